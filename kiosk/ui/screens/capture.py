"""The five photo screens: live preview on the left, what to do and the shutter on the right."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import CAPTURE_SCREENS, Screen
from kiosk.ui.builder import Builder, Column, intent, primary
from kiosk.ui.view import View

TITLES = {
    Screen.DOCUMENT_FRONT: "Foto del documento: il davanti",
    Screen.DOCUMENT_BACK: "Foto del documento: il retro",
    Screen.HEALTH_CARD_FRONT: "Foto della tessera sanitaria: il davanti",
    Screen.HEALTH_CARD_BACK: "Foto della tessera sanitaria: il retro",
    Screen.FACE: "Foto del tuo viso",
}
HOW = {
    "document_front": "Appoggia il documento aperto sul piano, con la tua foto verso l'alto.",
    "document_back": "Gira il documento e appoggialo sul piano.",
    "health_card_front": "Appoggia la tessera sanitaria sul piano, con il nome verso l'alto.",
    "health_card_back": "Gira la tessera sanitaria e appoggiala sul piano.",
    "face": "Guarda la telecamera, senza occhiali scuri né cappello.",
}
TITLE = "Foto"


def title(view: View) -> str:
    return TITLES[view.session.screen]


def state_key(view: View) -> tuple:
    s = view.session
    return (CAPTURE_SCREENS[s.screen] in s.captures, view.capture_guidance, s.mismatches)


def preview_rect(area: pygame.Rect, scale: float) -> pygame.Rect:
    w = min(round(600 * scale), area.w // 2)
    h = min(area.h, w * 3 // 4)
    return pygame.Rect(area.left, area.top, w, h)


def build(b: Builder, view: View, area: pygame.Rect) -> None:
    t, s, m = b.t, view.session, b.m
    kind = CAPTURE_SCREENS[s.screen]
    is_taken = kind in s.captures
    preview = preview_rect(area, m.scale)
    if m.is_large:  # a smaller preview: the words beside it need the room
        w = min(round(440 * m.scale), b.page_room * 4 // 3)
        preview = pygame.Rect(area.left, area.top, w, w * 3 // 4)
    placeholder = pygame.Surface(preview.size)
    placeholder.fill((40, 40, 40))
    b.dynamic("camera", b.image(placeholder, preview, element_id="camera"))
    right = pygame.Rect(preview.right + m.gap * 2, area.top, area.right - preview.right - m.gap * 2, area.h)
    col = Column(right, m.gap)
    if is_taken:
        col.add(lambda r: b.text(b.check(True) + "  " + t("Foto fatta. Se è sfocata o tagliata, rifalla."), r,
                                 kind="@notice", element_id="status"))
        if s.mismatches:  # the zone disagrees with the card: say where, never accept it silently
            fields = ", ".join(t.message("mismatch." + name) for name in s.mismatches)
            col.add(lambda r: b.text(t("Diverso sul documento:") + " " + fields, r, kind="@card",
                                     element_id="mismatch"))
    elif s.is_busy:
        col.add(lambda r: b.text(t("Sto scattando… Stai fermo."), r, kind="@notice", element_id="status"))
    else:
        col.add(lambda r: b.text(t(HOW[kind]), r, kind="@card", element_id="how"))
        if view.capture_guidance:  # live: the one thing to change, or "keep still: it shoots by itself"
            col.add(lambda r: b.text(t.message(view.capture_guidance), r, kind="@notice", element_id="guidance"))
    row = col.take(m.button_h)
    if is_taken:
        b.button("retake", t("Rifai la foto"), row, intent(Intent.RETAKE), is_enabled=not s.is_busy)
    else:
        b.button("capture", t("Scatta la foto"), row, intent(Intent.CAPTURE), kind="@selected",
                 is_enabled=not s.is_busy)
    primary(b, "next", t("Avanti") + "  ›", intent(Intent.NEXT), is_enabled=is_taken and not s.is_busy)
