"""Email or mobile number (one per screen), typed on the large on-screen keyboard."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.ui.builder import Builder, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Contatti"


def title(view: View) -> str:
    return "Il tuo indirizzo email" if view.session.screen is Screen.EMAIL else "Il tuo numero di cellulare"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t = view.session, b.t
    if s.screen is Screen.EMAIL:
        spec = FieldSpec("email", "Email", "", s.fields.get("email", s.email), max_length=120, keyboard="email")
    else:
        spec = FieldSpec("mobile", "Cellulare", "", s.fields.get("mobile", s.mobile), max_length=20,
                         keyboard="phone")
    typing_area(b, area, [spec])
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT))
