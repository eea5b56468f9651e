"""Touch as a citizen does it: fingers on a rotated panel, and accidental double taps."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
import pytest

from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.screens import Screen
from kiosk.ui.app import KioskUI
from tests.test_ui_screens import sample_session, show, view_of

ROTATIONS = (0, 90, 180, 270)


def panel_point(ui: KioskUI, pos: tuple[int, int]) -> tuple[int, int]:
    """Where a point of the UI appears on the rotated panel (the forward of the mapping under test)."""
    x, y = pos
    w, h = ui.size
    return {0: (x, y), 90: (h - 1 - y, x), 180: (w - 1 - x, h - 1 - y), 270: (y, w - 1 - x)}[ui.rotation]


def finger_tap(ui: KioskUI, pos: tuple[int, int]) -> list[UserIntent]:
    px, py = panel_point(ui, pos)
    pw, ph = ui._display.get_size()
    for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
        pygame.event.post(pygame.event.Event(kind, x=px / pw, y=py / ph, dx=0, dy=0, finger_id=0, touch_id=0,
                                             pressure=1.0))
    return ui.handle_events(pygame.event.get())


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_rotation_keeps_touch_aligned_and_turns_the_picture(rotation):
    ui = KioskUI(size=(1280, 800), rotation=rotation)
    ui.start()
    try:
        assert ui.size == (1280, 800)
        assert ui._display.get_size() == ((800, 1280) if rotation in (90, 270) else (1280, 800))
        show(ui, view_of(sample_session(Screen.DOCUMENT_TYPE, "it")))
        for choice in ("idcard", "passport", "driving_permit", "residence_permit"):
            assert finger_tap(ui, ui.element_rect(f"choose:{choice}").center) == [UserIntent(Intent.CHOOSE, choice)]
            ui._last_tap = None  # the next choice is a new, deliberate tap
        rect = ui.element_rect("next" if "next" in ui.element_ids() else "back")
        x, y = rect.left + 4, rect.centery  # the button's border: its colour, not the background's
        assert ui._display.get_at(panel_point(ui, (x, y))) == ui.surface.get_at((x, y))
    finally:
        ui.close()


def test_double_tap_is_one_tap_but_a_later_tap_counts():
    ui = KioskUI(size=(1280, 800))
    ui.start()
    try:
        show(ui, view_of(sample_session(Screen.CHECKLIST, "it")))
        pos = ui.element_rect("next").center
        taps = [pygame.event.Event(kind, pos=pos, button=1)
                for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) * 2]
        assert ui.handle_events(taps) == [UserIntent(Intent.NEXT)]  # the second came too soon
        other = ui.element_rect("back").center
        assert ui.handle_events([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=other, button=1),
                                 pygame.event.Event(pygame.MOUSEBUTTONUP, pos=other, button=1)]
                                ) == [UserIntent(Intent.BACK)]  # somewhere else: a real tap
        ui._last_tap = (ui._last_tap[0] - 1.0, ui._last_tap[1])  # a second later
        assert ui.handle_events(taps[:2]) == [UserIntent(Intent.NEXT)]
    finally:
        ui.close()
