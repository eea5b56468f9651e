"""The health card's PIN: masked, with the tries left; the journey never spends the last try."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.i18n import format_number
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Scrivi il PIN della tessera sanitaria"


def state_key(view: View) -> tuple:
    return (view.session.pin_tries_left,)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    rest = typing_area(b, area,
                      [FieldSpec("pin", "PIN", "da 5 a 8 cifre", is_masked=True, max_length=8, keyboard="digits")])
    col = Column(rest, m.gap)
    if s.pin_tries_left is not None:
        col.add(lambda r: b.text(t("Tentativi rimasti: {n}").format(n=format_number(s.pin_tries_left, t.language)), r, kind="@body",
                                 element_id="tries"))
    col.add(lambda r: b.text(t("Nessuno vede il PIN: non lo salviamo. Per sicurezza ci fermiamo prima "
                               "che la tessera si blocchi."), r))
    primary(b, "next", t("Conferma") + "  ›", intent(Intent.NEXT), is_enabled=not s.is_busy)
