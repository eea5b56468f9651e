"""Number, issuer and dates of the identity document, typed on the on-screen keyboard."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Dati del documento"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    f, marked = view.session.fields, view.session.marked_fields
    typing_area(b, area, [
        FieldSpec("document_number", "Numero del documento", initial=f.get("document_number", ""), max_length=20,
                  keyboard="code", is_marked="document_number" in marked),
        FieldSpec("document_issuer", "Rilasciato da", initial=f.get("document_issuer", ""), max_length=60,
                  keyboard="name", is_marked="document_issuer" in marked),
        FieldSpec("document_issue_date", "Data di rilascio", "gg/mm/aaaa", f.get("document_issue_date", ""),
                  max_length=10, keyboard="date", is_marked="document_issue_date" in marked),
        FieldSpec("document_expiry_date", "Data di scadenza", "gg/mm/aaaa", f.get("document_expiry_date", ""),
                  max_length=10, keyboard="date", is_marked="document_expiry_date" in marked),
    ])
    primary(b, "next", b.t("Avanti") + "  ›", intent(Intent.NEXT))
