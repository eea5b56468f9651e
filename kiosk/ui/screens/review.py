"""Everything the citizen gave, to check before identification."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import CAPTURE_SCREENS
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.i18n import format_date, format_number
from kiosk.ui.screens.document_type import CHOICES
from kiosk.ui.view import View

TITLE = "Controlla i tuoi dati"


def rows_of(b: Builder, view: View) -> list[tuple[str, str]]:
    s, t = view.session, b.t
    yes, no = t("sì"), t("no")
    rows: list[tuple[str, str]] = []
    if s.citizen:
        rows += [("Nome e cognome", f"{s.citizen.given_name} {s.citizen.surname}"),
                 ("Codice fiscale", s.citizen.codice_fiscale),
                 ("Data di nascita", format_date(s.citizen.birth_date, t.language))]
    if s.document:
        kind = t(dict(CHOICES).get(s.document.doc_type.value, ""))
        rows += [("Documento", f"{kind} {s.document.number}"),
                 ("Scadenza del documento", format_date(s.document.expiry_date, t.language))]
    mark = "  " + b.check(True) if b.has_check_mark else "  (" + t("verificato") + ")"
    rows += [("Email", s.email + (mark if s.is_email_verified else "")),
             ("Cellulare", s.mobile + (mark if s.is_mobile_verified else "")),
             ("Foto fatte", t("{n} di {total}").format(n=format_number(len(s.captures), t.language),
                                                total=format_number(len(CAPTURE_SCREENS), t.language))),
             ("Condizioni accettate", yes if s.has_accepted_terms else no),
             ("Notizie del Comune", yes if s.has_accepted_marketing else no)]
    return rows


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    m, t = b.m, b.t
    rows = rows_of(b, view)
    if m.is_large:  # one column, each value under its name; the pager cuts it into pages
        col = Column(area, round(4 * m.scale))
        key_font, value_font = (b.manager.get_theme().get_font([kind]) for kind in ("@key_label", "@value"))
        key_w = max(key_font.size(b.words(t(key)))[0] for key, _ in rows) + m.gap * 2
        for i, (key, value) in enumerate(rows):
            if key_w + value_font.size(b.words(value))[0] + 8 <= area.w:  # name and value side by side
                h = m.line_h + round(8 * m.scale)
                b.label(t(key), pygame.Rect(area.left, col.y, key_w, h), kind="@key_label")
                b.label(value, pygame.Rect(area.left + key_w, col.y, area.w - key_w, h), kind="@value",
                        element_id=f"review:{i}")
                col.y += h + m.gap
                continue
            b.line(t(key), col, kind="@key_label")
            b.line(value, col, kind="@value", element_id=f"review:{i}")
            col.y += m.gap
        primary(b, "next", t("È tutto giusto") + "  ›", intent(Intent.NEXT))
        return
    half = (len(rows) + 1) // 2
    col_w = (area.w - m.gap * 2) // 2
    key_h = min(round(36 * m.scale * b.text_factor), area.h // (2 * half))
    value_h = min(round(46 * m.scale * b.text_factor), area.h // half - key_h)
    for i, (key, value) in enumerate(rows):
        c, r = divmod(i, half)
        x, y = area.left + c * (col_w + m.gap * 2), area.top + r * (key_h + value_h)
        b.label(t(key), pygame.Rect(x, y, col_w, key_h), kind="@key_label")
        b.label(value, pygame.Rect(x, y + key_h, col_w, value_h), kind="@value", element_id=f"review:{i}",
                smaller="@value_small")
    primary(b, "next", t("È tutto giusto") + "  ›", intent(Intent.NEXT))
