"""The document's machine-readable zone disagrees with the card or with what the citizen typed.

Never accepted silently: the citizen retakes the photo (another document, or a clearer picture),
corrects what they typed (that field is marked), or asks the operator, who looks at the document
and confirms the data in person (recorded in the sealed enrollment for the reviewer).
"""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.session import correction_screen
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.view import View

TITLE = "Il documento non corrisponde"


def state_key(view: View) -> tuple:
    s = view.session
    return (s.mismatches, correction_screen(s), view.is_operator_route_offered)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, m, s = b.t, b.m, view.session
    col = Column(area, m.gap)
    fields = ", ".join(t.message("mismatch." + name) for name in s.mismatches)
    col.add(lambda r: b.text(t("I dati letti sul documento sono diversi da quelli della tessera o da quelli che hai "
                               "scritto. Diverso:") + " " + fields + ".", r, kind="@card", element_id="mismatch"))
    col.add(lambda r: b.text(t("Può succedere con una foto poco chiara o con un errore di battitura. Scegli cosa fare:"),
                             r))
    choices = [("retake", t("Rifai la foto"))]
    if correction_screen(s) is not None:
        choices.append(("correct", t("Correggi i dati")))
    if view.is_operator_route_offered:
        choices.append(("operator", t("Chiedi all'operatore")))
    if m.is_large:  # one choice a row
        for value, label in choices:
            b.choice(f"choose:{value}", label, col, intent(Intent.CHOOSE, value))
        return
    row = col.take(round(110 * m.scale))
    w = (row.w - m.gap * 2 * (len(choices) - 1)) // len(choices)
    for i, (value, label) in enumerate(choices):
        b.button(f"choose:{value}", label, pygame.Rect(row.left + i * (w + m.gap * 2), row.top, w, row.h),
                 intent(Intent.CHOOSE, value), kind="@choice")
