"""Which identity document the citizen brought: four big choices."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.view import View

TITLE = "Che documento hai con te?"
CHOICES = (("idcard", "Carta d'identità"), ("passport", "Passaporto"), ("driving_permit", "Patente di guida"),
           ("residence_permit", "Permesso di soggiorno"))


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    m = b.m
    col = Column(area, m.gap)
    col.add(lambda r: b.text(b.t("Tocca il documento che vuoi usare. Deve essere valido, non scaduto."), r))
    if m.is_large:  # one column of big choices
        for value, words in CHOICES:
            selected = view.session.doc_type is not None and view.session.doc_type.value == value
            b.choice(f"choose:{value}", b.t(words), col, intent(Intent.CHOOSE, value), is_selected=selected)
        return
    rest = col.rest()
    h = min(round(130 * m.scale), (rest.h - m.gap) // 2)
    w = (rest.w - m.gap * 2) // 2
    for i, (value, words) in enumerate(CHOICES):
        r, c = divmod(i, 2)
        rect = pygame.Rect(rest.left + c * (w + m.gap * 2), rest.top + r * (h + m.gap * 2), w, h)
        selected = view.session.doc_type is not None and view.session.doc_type.value == value
        b.button(f"choose:{value}", b.t(words), rect, intent(Intent.CHOOSE, value),
                 kind="@selected" if selected else "@choice")
