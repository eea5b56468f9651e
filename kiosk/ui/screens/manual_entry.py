"""Type the codice fiscale and names; they are cross-checked against each other."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Scrivi i tuoi dati"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    f, marked = view.session.fields, view.session.marked_fields
    typing_area(b, area, [
        FieldSpec("codice_fiscale", "Codice fiscale", "16 caratteri", f.get("codice_fiscale", ""), max_length=16,
                  keyboard="code", is_marked="codice_fiscale" in marked),
        FieldSpec("surname", "Cognome", initial=f.get("surname", ""), max_length=60, keyboard="name",
                  is_marked="surname" in marked),
        FieldSpec("given_name", "Nome", initial=f.get("given_name", ""), max_length=60, keyboard="name",
                  is_marked="given_name" in marked),
    ])
    primary(b, "next", b.t("Avanti") + "  ›", intent(Intent.NEXT))
