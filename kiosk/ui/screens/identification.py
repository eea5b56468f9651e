"""How the citizen is identified: an operator in person, or the health card and its PIN."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.view import View

TITLE = "Come ti riconosciamo?"


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, m = b.t, b.m
    col = Column(area, m.gap)
    col.add(lambda r: b.text(t("La legge chiede di verificare che sei proprio tu. Scegli come:"), r))
    if m.is_large:  # the long choices wrap beside their buttons
        b.choice("choose:operator", t("Un operatore del Comune mi riconosce di persona"), col,
                 intent(Intent.CHOOSE, "operator"))
        if view.is_pin_route_offered:
            b.choice("choose:pin", t("Uso il PIN della mia tessera sanitaria"), col, intent(Intent.CHOOSE, "pin"))
        return
    h = round(120 * m.scale)
    b.button("choose:operator", t("Un operatore del Comune mi riconosce di persona"), col.take(h),
             intent(Intent.CHOOSE, "operator"), kind="@choice")
    if view.is_pin_route_offered:
        b.button("choose:pin", t("Uso il PIN della mia tessera sanitaria"), col.take(h),
                 intent(Intent.CHOOSE, "pin"), kind="@choice")
