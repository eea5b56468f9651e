"""What you need before starting."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "Prepara queste cose"
ITEMS = (
    "La tessera sanitaria (TS-CNS)",
    "Un documento valido: carta d'identità, passaporto, patente o permesso di soggiorno",
    "Il tuo indirizzo email",
    "Il tuo telefono cellulare",
)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t = b.t
    col = Column(area, b.m.gap)
    if b.m.is_large:  # one item a box: the pages fill up item by item
        for i, item in enumerate(ITEMS):
            col.add(lambda r: b.text(f"•  {t(item)}", r, kind="@card", element_id="checklist" if i == 0 else ""))
        col.add(lambda r: b.text(t("Ci vogliono circa 15 minuti. Puoi tornare indietro in ogni momento."), r))
        primary(b, "next", t("Ho tutto, avanti") + "  ›", intent(Intent.NEXT))
        return
    items = "".join(f"•  {b.t(item)}<br>" for item in ITEMS)
    col.add(lambda r: b.text(items, r, kind="@card", is_html=True, element_id="checklist"))
    col.add(lambda r: b.text(t("Ci vogliono circa 15 minuti. Puoi tornare indietro in ogni momento."), r))
    primary(b, "next", t("Ho tutto, avanti") + "  ›", intent(Intent.NEXT))
