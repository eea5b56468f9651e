"""Consents: the terms (required) and marketing (optional, separate, refusing it blocks nothing)."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLE = "I tuoi consensi"


def state_key(view: View) -> tuple:
    return (view.session.has_accepted_terms, view.session.has_accepted_marketing)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    s, t, m = view.session, b.t, b.m
    col = Column(area, m.gap)
    for name, words, is_on in (
        ("terms", "Accetto le condizioni del servizio (obbligatorio)", s.has_accepted_terms),
        ("marketing", "Voglio notizie sui servizi del Comune (facoltativo)", s.has_accepted_marketing),
    ):
        if m.is_large:  # the check box as a big button, its words wrapped beside it
            b.choice(f"toggle:{name}", t(words), col, intent(Intent.TOGGLE, field_name=name), mark=b.check(is_on),
                     is_selected=is_on)
            continue
        rect = col.take(m.button_h)
        b.button(f"toggle:{name}", f"{b.check(is_on)}  {t(words)}", rect, intent(Intent.TOGGLE, field_name=name),
                 kind="@selected" if is_on else "@choice")
    col.add(lambda r: b.text(t("Usiamo i tuoi dati solo per creare SPID. Il personale può darti il testo completo "
                               "su carta."), r))
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT))
