"""Email or mobile number (one per screen)."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, field_grid
from kiosk.ui.view import View

TITLE = "Contatti"


def title(view: View) -> str:
    return "Il tuo indirizzo email" if view.session.screen is Screen.EMAIL else "Il tuo numero di cellulare"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t = view.session, b.t
    if s.screen is Screen.EMAIL:
        spec = FieldSpec("email", "Email", "esempio: mario.rossi@gmail.com", s.fields.get("email", s.email),
                         max_length=120)
        why = "Ti scriveremo qui la seconda metà del codice di attivazione."
    else:
        spec = FieldSpec("mobile", "Cellulare", "esempio: 333 123 4567", s.fields.get("mobile", s.mobile),
                         max_length=20)
        why = "Ti servirà per entrare con SPID. Per un numero estero scrivi anche il prefisso, come +44."
    rest = field_grid(b, area, [spec])
    Column(rest, b.m.gap).add(lambda r: b.text(t(why), r))
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT))
