"""What the chip said: the citizen confirms it is them."""

from __future__ import annotations

import html

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.i18n import format_date
from kiosk.ui.view import View

TITLE = "Sono i tuoi dati?"


def rows_html(b: Builder, rows: list[tuple[str, str]]) -> str:
    return "".join(f"{html.escape(b.t(k))}:  <b>{html.escape(v)}</b><br>" for k, v in rows)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, c, m = b.t, view.session.citizen, b.m
    card_w = area.w if m.is_large else round(area.w * 0.62)  # large text: one column
    col = Column(pygame.Rect(area.left, area.top, card_w, area.h), m.gap)
    side = Column(pygame.Rect(area.left + card_w + m.gap * 2, area.top, area.w - card_w - m.gap * 2, area.h), m.gap)
    if m.is_large:
        side = col
    if c is not None:
        rows = [("Cognome", c.surname), ("Nome", c.given_name), ("Codice fiscale", c.codice_fiscale),
                ("Data di nascita", format_date(c.birth_date, b.t.language))]
        col.add(lambda r: b.text(rows_html(b, rows), r, kind="@card", is_html=True, element_id="card_data"))
    side.add(lambda r: b.text(t("Li abbiamo letti dalla tessera sanitaria."), r))
    b.button("manual_entry", t("No, li correggo"), side.take(m.button_h), intent(Intent.MANUAL_ENTRY))
    primary(b, "next", t("Sì, sono io") + "  ›", intent(Intent.NEXT))
