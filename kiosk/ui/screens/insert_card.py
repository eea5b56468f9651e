"""Insert the health card; it is read by itself. Or type the data instead."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.view import View

TITLE = "Inserisci la tessera sanitaria"


def state_key(view: View) -> tuple:
    return (view.session.is_card_present,)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, s, m = b.t, view.session, b.m
    col = Column(area, m.gap)
    if s.is_busy:
        col.add(lambda r: b.text(t("Sto leggendo la tessera… Non toglierla."), r, kind="@big", element_id="status"))
    else:
        col.add(lambda r: b.text(t("Metti la tessera nel lettore qui sotto, con il chip dorato verso l'alto. "
                                   "La leggiamo da soli: non serve toccare altro."), r, kind="@card"))
    if m.is_large:  # one choice a row, long words wrapped beside their button
        b.choice("manual_entry", t("Non ho la tessera: scrivo i dati"), col, intent(Intent.MANUAL_ENTRY))
        if s.error and s.is_card_present and not s.is_busy:
            b.button("retry", t("Leggi di nuovo"), col.take(m.button_h), intent(Intent.RETAKE))
        return
    row = col.take(m.button_h)
    w = area.w if m.is_large else round(560 * m.scale)  # large text: one button a row
    b.button("manual_entry", t("Non ho la tessera: scrivo i dati"), pygame.Rect(row.left, row.top, w, row.h),
             intent(Intent.MANUAL_ENTRY))
    if s.error and s.is_card_present and not s.is_busy:
        retry = col.take(m.button_h) if m.is_large else pygame.Rect(row.left + w + m.gap * 2, row.top,
                                                                    round(340 * m.scale), row.h)
        b.button("retry", t("Leggi di nuovo"), retry, intent(Intent.RETAKE))
