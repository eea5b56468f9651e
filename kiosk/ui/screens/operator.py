"""An operator logs in with their PIN, then confirms (or refuses) the citizen in person."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.screens.fields import FieldSpec, typing_area
from kiosk.ui.view import View

HAS_KEYBOARD = True
TITLE = "Riconoscimento da parte di un operatore"


def state_key(view: View) -> tuple:
    return (bool(view.session.operator_id), view.session.operator_task)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    col = Column(area, m.gap)
    if not s.operator_id and m.is_large:  # the PIN and its pad first; the words beside them
        rest = typing_area(b, area, [FieldSpec("operator_pin", "Solo per l'operatore: PIN operatore",
                                               is_masked=True, max_length=8, keyboard="digits")])
        Column(rest, m.gap).add(lambda r: b.text(t("Abbiamo chiamato un operatore: arriva tra poco. Tieni pronto il "
                                                   "documento."), r, kind="@card"))
        primary(b, "next", t("Accedi") + "  ›", intent(Intent.NEXT))
        return
    if not s.operator_id:
        col.add(lambda r: b.text(t("Abbiamo chiamato un operatore: arriva tra poco. Tieni pronto il documento."),
                                 r, kind="@card"))
        typing_area(b, col.rest(), [FieldSpec("operator_pin", "Solo per l'operatore: PIN operatore",
                                             is_masked=True, max_length=8, keyboard="digits")])
        primary(b, "next", t("Accedi") + "  ›", intent(Intent.NEXT))
        return
    if s.operator_task == "mismatch":  # the zone disagrees: the operator reads the document itself
        fields = ", ".join(t.message("mismatch." + name) for name in s.mismatches)
        col.add(lambda r: b.text(t("Operatore: la lettura automatica del documento dà dati diversi per:") + " "
                                 + fields, r, kind="@card", element_id="mismatch"))
        col.add(lambda r: b.text(t("Guarda il documento: i dati della tessera e quelli scritti dal cittadino sono "
                                   "quelli del documento? La tua conferma viene registrata."), r))
        refuse, confirm = t("No, sono diversi"), t("Sì, i dati sono corretti")
    else:
        col.add(lambda r: b.text(t("Operatore: confronta la persona con il documento e con la foto. "
                                   "Confermi che è la persona del documento?"), r, kind="@card"))
        refuse, confirm = t("No, non confermo"), t("Sì, confermo l'identità")
    if m.is_large:  # one answer a row
        b.button("choose:confirm", confirm, col.take(m.button_h), intent(Intent.CHOOSE, "confirm"), kind="@primary")
        b.button("choose:refuse", refuse, col.take(m.button_h), intent(Intent.CHOOSE, "refuse"), kind="@danger")
        return
    row = col.take(round(110 * m.scale))
    w = (row.w - m.gap * 2) // 2
    b.button("choose:refuse", refuse, pygame.Rect(row.left, row.top, w, row.h),
             intent(Intent.CHOOSE, "refuse"), kind="@danger")
    b.button("choose:confirm", confirm, pygame.Rect(row.right - w, row.top, w, row.h),
             intent(Intent.CHOOSE, "confirm"), kind="@primary")
