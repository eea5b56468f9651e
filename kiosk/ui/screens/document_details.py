"""Number, issuer and dates of the identity document."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, intent, primary
from kiosk.ui.screens.fields import FieldSpec, field_grid
from kiosk.ui.view import View

TITLE = "Dati del documento"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    f = view.session.fields
    field_grid(b, area, [
        FieldSpec("document_number", "Numero del documento", initial=f.get("document_number", ""), max_length=20),
        FieldSpec("document_issuer", "Rilasciato da", initial=f.get("document_issuer", "")),
        FieldSpec("document_issue_date", "Data di rilascio", "gg/mm/aaaa", f.get("document_issue_date", ""),
                  max_length=10),
        FieldSpec("document_expiry_date", "Data di scadenza", "gg/mm/aaaa", f.get("document_expiry_date", ""),
                  max_length=10),
    ], columns=2)
    primary(b, "next", b.t("Avanti") + "  ›", intent(Intent.NEXT))
