"""Rounded boxes and buttons drawn by ``kiosk.ui.shapes`` look as pygame-gui draws them itself."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from datetime import date, datetime

import numpy as np
import pygame
import pygame_gui
import pytest
from pygame_gui.elements import UIButton, UITextBox

from kiosk.domain.citizen import Citizen, Sex
from kiosk.journey.screens import Screen
from kiosk.journey.session import Session
from kiosk.ui.app import KioskUI
from kiosk.ui.shapes import KioskShapeCache, parse_shape_id
from kiosk.ui.view import View

SIZES = [(760, 283), (433, 100), (90, 90), (1224, 60), (40, 300)]


def theme(*, radius: int, border: int, shadow: int = 0) -> dict:
    colours = {"normal_bg": "#FDE8E8", "hovered_bg": "#EAF1FA", "normal_border": "#B3261E",
               "hovered_border": "#0B4F9C", "dark_bg": "#FDE8E8"}
    misc = {"shape": "rounded_rectangle", "shape_corner_radius": str(radius), "border_width": str(border),
            "shadow_width": str(shadow)}
    return {"button": {"colours": colours, "misc": misc}, "text_box": {"colours": colours, "misc": misc}}


@pytest.fixture(scope="module")
def display():
    pygame.init()
    pygame.display.set_mode((1280, 800))
    yield
    pygame.quit()


def button_pixels(size, *, radius, border, is_fast: bool, state: str = "normal", shadow: int = 0) -> np.ndarray:
    manager = pygame_gui.UIManager((1280, 800), theme(radius=radius, border=border, shadow=shadow))
    if is_fast:
        manager.get_theme().shape_cache = KioskShapeCache()
    button = UIButton(pygame.Rect((10, 10), size), "", manager)
    shape = button.drawable_shape
    shape.redraw_state(state)
    return pygame.surfarray.pixels3d(shape.states[state].surface).astype(int), \
        pygame.surfarray.pixels_alpha(shape.states[state].surface).astype(int)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("radius", "border"), [(14, 3), (14, 2), (12, 4), (20, 4), (14, 0)])
def test_a_rounded_shape_matches_pygame_gui_but_at_its_corners(display, size, radius, border):
    reference_rgb, reference_alpha = button_pixels(size, radius=radius, border=border, is_fast=False)
    rgb, alpha = button_pixels(size, radius=radius, border=border, is_fast=True)
    assert rgb.shape == reference_rgb.shape
    difference = np.maximum(np.abs(rgb - reference_rgb).max(axis=2), np.abs(alpha - reference_alpha))
    # only the anti-aliased curves may differ (a corner square of radius + border + 2 px)
    w, h = size
    corner = radius + border + 2
    xs, ys = np.arange(w)[:, None], np.arange(h)[None, :]
    in_corner = ((xs < corner) | (xs >= w - corner)) & ((ys < corner) | (ys >= h - corner))
    assert difference[~in_corner].max() == 0
    # pygame-gui's inner curve is its outer one squashed to the inner size (an ellipse on a long thin box),
    # ours a circle: a pixel of the anti-aliased curve may differ by more, the corner as a whole hardly
    assert difference[in_corner].mean() <= 6
    assert difference.max() <= 180
    # the shape itself: a transparent outside corner, the border on the edges, the background inside
    assert alpha[0, 0] == 0 and alpha[w - 1, h - 1] == 0
    if border and min(w, h) > 2 * corner:
        assert tuple(rgb[w // 2, 0]) == (0xB3, 0x26, 0x1E) and alpha[w // 2, 0] == 255
        assert tuple(rgb[0, h // 2]) == (0xB3, 0x26, 0x1E)
    assert tuple(rgb[w // 2, h // 2]) == (0xFD, 0xE8, 0xE8) and alpha[w // 2, h // 2] == 255


def test_every_state_of_a_button_gets_its_own_colours(display):
    rgb, _alpha = button_pixels((433, 100), radius=14, border=3, is_fast=True, state="hovered")
    assert tuple(rgb[216, 1]) == (0x0B, 0x4F, 0x9C)  # the hovered border
    assert tuple(rgb[216, 50]) == (0xEA, 0xF1, 0xFA)


def test_the_shapes_kept_stay_within_their_budget_and_come_back_the_same(display):
    cache = KioskShapeCache(pixels_kept=300_000)
    shape_id = "rounded_rectangle_{}_{}_0_3_3_3_3_14_14_14_14_179_38_30_255_253_232_232_255"
    first = pygame.surfarray.array_alpha(cache.find_surface_in_cache(shape_id.format(760, 283))).copy()
    for width in range(200, 1050, 50):
        cache.find_surface_in_cache(shape_id.format(width, 283))
        assert cache.pixels_held <= 300_000
    again = cache.find_surface_in_cache(shape_id.format(760, 283))  # drawn anew after being let go
    assert (pygame.surfarray.array_alpha(again) == first).all()


def test_shapes_with_a_shadow_or_a_gradient_are_left_to_pygame_gui():
    assert parse_shape_id("rounded_rectangle_760_283_0_2_2_2_2_14_14_14_14_74_85_98_255_255_255_255_255") is not None
    assert parse_shape_id("rounded_rectangle_760_283_2_2_2_2_2_14_14_14_14_74_85_98_255_255_255_255_255") is None
    assert parse_shape_id("rounded_rectangle_760_283_0_2_2_2_2_14_14_14_14_74_85_98_255_"
                          "ColourGradient(#000000,#FFFFFF)") is None
    assert parse_shape_id("rounded_rectangle_760_283_0_2_2_2_2_14_14_8_8_74_85_98_255_255_255_255_255") is None
    assert parse_shape_id("rectangle_760_283_0_2_2_2_2_74_85_98_255_255_255_255_255") is None


def test_the_card_data_box_on_screen_has_round_corners_and_its_border():
    ui = KioskUI()
    ui.start()
    try:
        s = Session(screen=Screen.CARD_DATA, citizen=Citizen(
            codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
            sex=Sex.FEMALE, birth_place_code="H501", source="card"))
        ui.render(View(session=s, now=datetime(2025, 11, 23, 10, 30)))
        ui.draw(force=True)
        box = ui.element("card_data")
        assert isinstance(box, UITextBox)
        assert isinstance(ui.manager.get_theme().shape_cache, KioskShapeCache)
        s.is_high_contrast, s.is_large_text = True, True  # another manager, the same shapes budget
        ui.render(View(session=s, now=datetime(2025, 11, 23, 10, 30)))
        assert ui.manager.get_theme().shape_cache is ui._managers[(False, False, "latin")].get_theme().shape_cache
        s.is_high_contrast, s.is_large_text = False, False
        ui.render(View(session=s, now=datetime(2025, 11, 23, 10, 30)))
        ui.draw(force=True)
        box = ui.element("card_data")
        r = box.rect
        background = tuple(ui.surface.get_at((r.left, r.top)))[:3]
        assert background == tuple(ui.surface.get_at((r.left - 2, r.top + r.h // 2)))[:3]  # the page behind
        assert tuple(ui.surface.get_at((r.centerx, r.top)))[:3] == (0x4A, 0x55, 0x62)  # @card's border
        assert tuple(ui.surface.get_at((r.right - 1, r.centery)))[:3] == (0x4A, 0x55, 0x62)
        assert tuple(ui.surface.get_at((r.centerx, r.bottom - 1)))[:3] == (0x4A, 0x55, 0x62)
    finally:
        ui.close()
