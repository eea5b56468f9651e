"""A CIE was laid on the reader: the citizen may type its CAN (6 digits on the front) to fill in the names.

The chip gives names, birth date and sex, never the codice fiscale: that is typed on the next screen.
A wrong CAN is said once; the kiosk never tries again by itself.
"""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Carta d'identità elettronica: scrivi il CAN"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    if m.is_large:  # the field and its pad first; the words and the way out beside them (paged)
        rest = typing_area(b, area, [FieldSpec("can", "CAN", "6 cifre", s.fields.get("can", ""), max_length=6,
                                               keyboard="digits")])
        col = Column(rest, m.gap)
        if s.is_busy:
            col.add(lambda r: b.text(t("Sto leggendo la carta… Non toglierla."), r, kind="@notice",
                                     element_id="status"))
        else:
            col.add(lambda r: b.text(t("Il CAN sono le 6 cifre in basso a destra sul fronte della carta. Dal chip "
                                       "leggiamo nome, cognome e data di nascita."), r))
        b.choice("manual_entry", t("Scrivo i dati a mano"), col, intent(Intent.MANUAL_ENTRY))
        primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
        return
    col = Column(area, m.gap)
    if s.is_busy:
        col.add(lambda r: b.text(t("Sto leggendo la carta… Non toglierla."), r, kind="@big", element_id="status"))
    else:
        col.add(lambda r: b.text(t("Il CAN sono le 6 cifre in basso a destra sul fronte della carta. Dal chip "
                                   "leggiamo nome, cognome e data di nascita."), r))
    rest = typing_area(b, col.rest(), [FieldSpec("can", "CAN", "6 cifre", s.fields.get("can", ""), max_length=6,
                                                 keyboard="digits")])
    row = Column(rest, m.gap).take(m.button_h)
    b.button("manual_entry", t("Scrivo i dati a mano"), row, intent(Intent.MANUAL_ENTRY))
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
