"""Accessibility rules measured on what is drawn: contrast from every theme, 9 mm targets, step shown, wipe."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import json
from pathlib import Path

import pygame
import pytest

from kiosk.journey.screens import STEPS, TOTAL_STEPS, Screen
from kiosk.journey.session import Session
from kiosk.ui import contrast
from kiosk.ui.app import KioskUI
from kiosk.ui.builder import Metrics
from tests.test_ui_keyboard import blank, tap, type_keys
from tests.test_ui_screens import sample_session, show, view_of, visible_text

THEMES = sorted((Path(__file__).resolve().parent.parent / "kiosk" / "ui").glob("theme*.json"))


def test_contrast_formula_matches_wcag_examples():
    assert contrast.ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast.ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast.ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


@pytest.mark.parametrize("path", THEMES, ids=[p.name for p in THEMES])
def test_every_theme_meets_the_contrast_rule(path):
    theme = json.loads(path.read_text(encoding="utf-8"))
    pairs = list(contrast.pairs(theme))
    assert len(pairs) > 30  # buttons in every state, labels, boxes: the theme is really read
    bad = [f"{p.element}/{p.state}: {p.fg} on {p.bg} is {p.ratio:.2f}:1, needs {p.required}:1"
           for p in pairs if p.ratio < p.required]
    assert not bad, "\n".join(bad)


def test_touch_size_follows_the_physical_panel():
    ten_inch = Metrics.for_size((1280, 800), px_per_mm=1280 / 217)
    seven_inch = Metrics.for_size((1280, 800), px_per_mm=1280 / 154)  # same pixels, smaller glass
    assert ten_inch.min_touch / (1280 / 217) >= 9.0
    assert seven_inch.min_touch > ten_inch.min_touch and seven_inch.min_touch / (1280 / 154) >= 9.0


@pytest.fixture(scope="module")
def ui():
    ui = KioskUI(size=(1280, 800), physical_mm=(217, 136))
    ui.start()
    yield ui
    ui.close()


def test_every_journey_screen_says_which_step(ui):
    for screen, n in STEPS.items():
        show(ui, view_of(sample_session(screen, "en")))
        assert ui.element("step").text == f"Step {n} of {TOTAL_STEPS}", screen


def test_high_contrast_and_large_text_switch_on_every_screen(ui):
    for screen in Screen:
        show(ui, view_of(sample_session(screen, "it")))
        ids = ui.element_ids()
        if screen in (Screen.SEALING, Screen.OUT_OF_SERVICE):
            continue  # nothing to read at length: a spinner, or the kiosk is closed
        assert {"toggle:large_text", "toggle:high_contrast", "help"} <= set(ids), screen


def test_wipe_after_keyboard_typing_leaves_nothing(ui):
    s = blank(Screen.EMAIL)
    show(ui, view_of(s))
    type_keys(ui, s, ["key:z", "key:o", "key:e", "key:@", "key:gmail.com"])
    s2 = blank(Screen.MANUAL_ENTRY)
    show(ui, view_of(s2))
    tap(ui, "field:surname")
    show(ui, view_of(s2))
    type_keys(ui, s2, ["key:Q", "key:U", "key:È"])
    s2.overlay = "inactivity"
    show(ui, view_of(s2))
    assert "continue" in ui.element_ids()  # the warning, one tap to continue
    show(ui, view_of(Session()))  # the wipe: a fresh session
    sprites = [sp for m in ui._managers.values() for sp in m.get_sprite_group().sprites()]
    texts = " ".join(visible_text(sp) for sp in sprites)
    for secret in ("zoe", "gmail", "Què"):
        assert secret not in texts
    assert not ui._saved_text and ui._active_field == ""
    assert "start" in ui.element_ids()


def test_dates_and_numbers_follow_the_language(ui):
    for lang, birth in (("it", "12 mar 1985"), ("en", "Mar 12, 1985"), ("de", "12.03.1985"), ("fr", "12 mars 1985"),
                        ("ro", "12 mar. 1985"), ("sq", "12 mar 1985"), ("uk", "12 бер. 1985\u202fр.")):
        show(ui, view_of(sample_session(Screen.REVIEW, lang)))
        values = [ui.element(i).text for i in ui.element_ids() if i.startswith("review:")]
        assert birth in values, (lang, values)
