"""Everything the citizen gave, to check before identification."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import CAPTURE_SCREENS
from kiosk.ui.builder import Builder, intent, primary
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
