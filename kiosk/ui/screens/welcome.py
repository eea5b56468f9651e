"""Welcome: what this kiosk does, the language in large buttons, and start."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary, primary_rect
from kiosk.ui.chrome import LANGUAGE_NAMES
from kiosk.ui.view import View

TITLE = "Benvenuto! Attiva qui la tua identità digitale SPID"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, m = b.t, b.m
    col = Column(area, m.gap)
    col.add(lambda r: b.text(t("È gratis e ci vogliono circa 15 minuti. Ti guidiamo passo per passo. "
                               "Se hai bisogno, tocca «Aiuto» e arriva una persona del Comune."), r))
    if m.is_large:  # the languages are one tap away in the top bar, as on every screen: start comes first
        primary(b, "start", t("Inizia") + "  ›", intent(Intent.START))
        col.y += m.gap
        b.button("choose:status", t("La mia pratica"), col.take(m.button_h), intent(Intent.CHOOSE, "status"))
        b.button("choose:info", t("Cos'è SPID?"), col.take(m.button_h), intent(Intent.CHOOSE, "info"))
        return
    col.add(lambda r: b.text(t("Scegli la lingua:"), r))
    per_row = 5  # ten languages in two rows
    w = (col.rect.w - (per_row - 1) * m.gap) // per_row
    items = list(LANGUAGE_NAMES.items())
    rows = -(-len(items) // per_row)
    room = col.rest().h - m.gap  # what the intro left above the bottom bar: rows shrink, never below 9 mm
    h = max(m.min_touch, min(m.button_h, (room - (rows - 1) * m.gap) // rows))
    for start in range(0, len(items), per_row):
        row = col.take(h)
        for i, (lang, name) in enumerate(items[start:start + per_row]):
            b.button(f"lang:{lang}", name, pygame.Rect(row.left + i * (w + m.gap), row.top, w, row.h),
                     intent(Intent.SET_LANGUAGE, lang), kind="@selected" if view.session.language == lang else "")
    primary(b, "start", t("Inizia") + "  ›", intent(Intent.START))
    y = m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2  # the bottom bar: no back or cancel here
    w = (primary_rect(m).left - 2 * m.margin - m.gap * 2) // 2
    b.button("choose:status", t("La mia pratica"), pygame.Rect(m.margin, y, w, m.button_h),
             intent(Intent.CHOOSE, "status"))
    b.button("choose:info", t("Cos'è SPID?"), pygame.Rect(m.margin + w + m.gap * 2, y, w, m.button_h),
             intent(Intent.CHOOSE, "info"))
