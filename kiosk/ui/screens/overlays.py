"""Overlays shown above the journey: help, the cancel question, the inactivity warning, the language list."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.ui.builder import Builder, Column, intent
from kiosk.ui.chrome import LANGUAGE_NAMES
from kiosk.ui.view import View


def card_rect(b: Builder) -> pygame.Rect:
    m = b.m
    if m.is_large:  # large text: the whole screen but a margin
        return pygame.Rect(m.margin, m.margin, m.width - 2 * m.margin, m.height - 2 * m.margin)
    w, h = min(m.width - 2 * m.margin, round(1000 * m.scale)), min(m.height - 2 * m.margin, round(640 * m.scale))
    return pygame.Rect((m.width - w) // 2, (m.height - h) // 2, w, h)


def _frame(b: Builder, heading: str) -> tuple[pygame.Rect, Column]:
    rect = card_rect(b)
    b.panel(rect, kind="@overlay", layer=0)
    inner = rect.inflate(-2 * b.m.margin - 8, -2 * b.m.margin - 8)
    col = Column(inner, b.m.gap)
    b.label(heading, col.take(max(round(64 * b.m.scale), b.m.line_h + 8)), kind="@title", element_id="title")
    return inner, col


def build(b: Builder, view: View) -> None:
    overlays = {"help": _help, "cancel": _cancel, "inactivity": _inactivity, "languages": _languages}
    overlays.get(view.session.overlay, _help)(b, view)


def _languages(b: Builder, view: View) -> None:
    """Every language by its own name, two columns; tapping one switches and closes, nothing typed is lost."""
    t, m = b.t, b.m
    inner, col = _frame(b, t("Scegli la lingua:"))
    items = list(LANGUAGE_NAMES.items())
    rows = (len(items) + 1) // 2
    w = (inner.w - m.gap * 2) // 2
    grid = pygame.Rect(inner.left, col.y, inner.w, inner.bottom - m.button_h - m.gap - col.y)
    gap = m.gap // 2 if m.is_large else m.gap
    h = min(m.button_h, (grid.h - (rows - 1) * gap) // rows)
    for i, (lang, name) in enumerate(items):
        rect = pygame.Rect(inner.left + (i % 2) * (w + m.gap * 2), grid.top + (i // 2) * (h + gap), w, h)
        b.button(f"lang:{lang}", name, rect, intent(Intent.SET_LANGUAGE, lang),
                 kind="@selected" if view.session.language == lang else "")
    cw = round(360 * m.scale)
    b.button("dismiss", t("Chiudi"), pygame.Rect(inner.centerx - cw // 2, inner.bottom - m.button_h, cw, m.button_h),
             intent(Intent.DISMISS), kind="@primary")


def _help(b: Builder, view: View) -> None:
    t, m = b.t, b.m
    inner, col = _frame(b, t("Arriva qualcuno ad aiutarti"))
    col.add(lambda r: b.text(t("Abbiamo chiamato il personale del Comune. Resta pure qui: i tuoi dati sono al sicuro "
                               "e puoi continuare quando vuoi."), r))
    w = round(360 * m.scale)
    b.button("dismiss", t("Chiudi"), pygame.Rect(inner.centerx - w // 2, inner.bottom - m.button_h, w, m.button_h),
             intent(Intent.DISMISS), kind="@primary")


def _cancel(b: Builder, view: View) -> None:
    t, m = b.t, b.m
    inner, col = _frame(b, t("Vuoi annullare tutto?"))
    col.add(lambda r: b.text(t("Se annulli, cancelliamo subito tutti i dati che hai inserito e si ricomincia "
                               "dall'inizio."), r))
    w = (inner.w - m.gap * 2) // 2
    y = inner.bottom - m.button_h
    if m.is_large:  # one answer a row, each as wide as the card
        b.button("dismiss", t("No, continuo"), pygame.Rect(inner.left, y, inner.w, m.button_h),
                 intent(Intent.DISMISS), kind="@primary")
        b.button("confirm_cancel", t("Sì, annulla tutto"),
                 pygame.Rect(inner.left, y - m.gap - m.button_h, inner.w, m.button_h),
                 intent(Intent.CONFIRM_CANCEL), kind="@danger")
        return
    b.button("confirm_cancel", t("Sì, annulla tutto"), pygame.Rect(inner.left, y, w, m.button_h),
             intent(Intent.CONFIRM_CANCEL), kind="@danger")
    b.button("dismiss", t("No, continuo"), pygame.Rect(inner.right - w, y, w, m.button_h),
             intent(Intent.DISMISS), kind="@primary")


def _inactivity(b: Builder, view: View) -> None:
    t, m = b.t, b.m
    inner, col = _frame(b, t("Sei ancora qui?"))
    col.add(lambda r: b.text(t("Per proteggere i tuoi dati, tra poco li cancelliamo e si ricomincia. "
                               "Secondi rimasti:"), r))
    count = b.label(str(view.seconds_left()), col.take(round((144 if m.is_large else 150) * m.scale)),
                    kind="@countdown", element_id="countdown")
    b.dynamic("countdown", count)
    h = m.button_h if m.is_large else round(130 * m.scale)
    b.button("continue", t("Sono ancora qui"), pygame.Rect(inner.left, inner.bottom - h, inner.w, h),
             intent(Intent.CONTINUE), kind="@primary")
