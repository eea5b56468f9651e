"""Arabic and Chinese: fonts that cover every word, joined Arabic letters, numbers and Latin that read left
to right inside Arabic, the mirrored layout, Western digits, and a language switch that keeps the typing."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from datetime import date

import numpy as np
import pygame
import pytest

from kiosk.journey.screens import Screen
from kiosk.ui.app import KioskUI
from kiosk.ui.bidi import reading_order, visual_rtl
from kiosk.ui.chrome import LANGUAGE_NAMES
from kiosk.ui.fonts import FontChoice, font_for
from kiosk.ui.i18n import _catalogue, format_date, format_number
from test_ui_screens import click, sample_session, show, type_text, view_of

ARTIFACTS = __import__("test_ui_screens").ARTIFACTS / "rtl"


@pytest.fixture(scope="module")
def ui():
    ui = KioskUI(size=(1280, 800), double_tap_s=0.0)
    ui.start()
    yield ui
    ui.close()


def _font(choice: FontChoice, *, bold: bool = False, rtl: bool = False) -> pygame.font.Font:
    font = pygame.font.Font(choice.bold_path if bold else choice.regular_path, 32)
    if rtl:
        font.set_script(choice.script)
        font.set_direction(pygame.DIRECTION_RTL)
    return font


def _ink(surface: pygame.Surface) -> np.ndarray:
    """Which pixels of a rendered text are drawn (alpha > 50%), as a (w, h) boolean array."""
    return pygame.surfarray.array_alpha(surface) > 128


@pytest.mark.parametrize(("language", "bidi_case"), [
    ("ar", ("رقم الطلب: SP-2025-7K3Q9", "SP-2025-7K3Q9 :بلطلا مقر")),
    ("ar", ("اتصل بـ +39 333 1234567 الآن", "نآلا +39 333 1234567 ـب لصتا")),
    ("ar", ("البريد giulia.bianchi@esempio.it صحيح", "حيحص giulia.bianchi@esempio.it ديربلا")),
    ("ar", ("الرمز الضريبي (codice fiscale) غير صحيح", "حيحص ريغ (codice fiscale) يبيرضلا زمرلا")),
    ("ar", ("الخطوة 4 من 9", "9 نم 4 ةوطخلا")),
    ("ar", ("BNCGLI85C52H501R", "BNCGLI85C52H501R")),
])
def test_numbers_and_latin_read_left_to_right_inside_arabic(language, bidi_case):
    text, seen_from_the_left = bidi_case
    assert reading_order(text) == seen_from_the_left


def test_rendered_number_keeps_its_digit_order():
    """HarfBuzz lays an Arabic line out right to left: a number handed through visual_rtl comes out as 12345."""
    pygame.init()
    arabic = font_for("ar")
    rtl, ltr = _font(arabic, rtl=True), _font(arabic)
    assert np.array_equal(_ink(rtl.render(visual_rtl("12345"), True, (0, 0, 0))),
                          _ink(ltr.render("12345", True, (0, 0, 0))))
    # and without it the digits would be reversed: the test can tell
    assert not np.array_equal(_ink(rtl.render("12345", True, (0, 0, 0))), _ink(ltr.render("12345", True, (0, 0, 0))))


def test_arabic_letters_are_joined():
    """A shaped word is not its isolated letters side by side: HarfBuzz picks the contextual forms."""
    pygame.init()
    font = _font(font_for("ar"), rtl=True)
    word = "مرحبا"
    shaped = _ink(font.render(word, True, (0, 0, 0)))
    letters = [font.render(c, True, (0, 0, 0)) for c in reversed(word)]  # right to left, each one isolated
    row = pygame.Surface((sum(s.get_width() for s in letters), max(s.get_height() for s in letters)), pygame.SRCALPHA)
    x = 0
    for s in letters:
        row.blit(s, (x, 0))
        x += s.get_width()
    isolated = _ink(row)
    assert shaped.shape != isolated.shape or not np.array_equal(shaped, isolated)
    assert shaped.shape[0] < isolated.shape[0]  # joined letters are narrower than the isolated forms


@pytest.mark.parametrize("language", ["ar", "zh"])
def test_font_covers_every_word_of_the_language(language):
    """No tofu: every character of the catalogue (and every language name) has a glyph in the chosen font,
    regular and bold; a character without one renders exactly like the font's .notdef box."""
    pygame.init()
    choice = font_for(language)
    assert choice.regular_path, f"no system font for {language}: is the Debian package installed?"
    chars = {c for words in _catalogue(language).values() for c in words} | set("".join(LANGUAGE_NAMES.values()))
    chars |= set("0123456789@.-+:/€‹›") | (set("✓⚠◐☑☐") if choice.has_check_mark else set("[X]!OK"))
    chars = {c for c in chars if c.isprintable() and not c.isspace()}
    for bold in (False, True):
        font = _font(choice, bold=bold)
        notdef = _ink(font.render("\ue000", True, (0, 0, 0)))  # a private-use code point no font has
        missing = sorted(c for c in chars if np.array_equal(_ink(font.render(c, True, (0, 0, 0))), notdef))
        # the other script's name is drawn with its own font (#lang_ar, #lang_zh), never with this one
        missing = [c for c in missing if c not in LANGUAGE_NAMES["ar" if language == "zh" else "zh"]]
        assert not missing, f"{language} {'bold' if bold else 'regular'}: no glyph for {missing}"


def test_arabic_layout_is_mirrored_but_the_keyboard_keeps_its_order(ui):
    show(ui, view_of(sample_session(Screen.EMAIL, "ar")))
    ui.screenshot(ARTIFACTS / "ar_email.png")
    back, nxt = ui.element_rect("back"), ui.element_rect("next")
    assert back.centerx > ui.size[0] / 2 > nxt.centerx  # back at the right, forward at the left
    assert ui.element_rect("help").centerx < ui.element_rect("step").centerx  # the header too
    assert ui.element_rect("key:q").centerx < ui.element_rect("key:w").centerx  # a Latin keyboard stays qwerty
    title = ui.element_rect("title")
    assert title.right == ui.size[0] - ui.metrics.margin
    show(ui, view_of(sample_session(Screen.EMAIL, "it")))
    assert ui.element_rect("back").centerx < ui.size[0] / 2 < ui.element_rect("next").centerx


def test_switching_to_arabic_keeps_what_was_typed(ui):
    s = sample_session(Screen.MANUAL_ENTRY, "it")
    s.fields, s.error = {}, ""
    show(ui, view_of(s))
    assert click(ui, "field:surname") == []
    type_text(ui, "Rossi")
    for language in ("ar", "zh", "it"):
        s.language = language
        show(ui, view_of(s))
        assert ui.element("field:surname").get_text() == "Rossi", language
    ui.screenshot(ARTIFACTS / "it_after_switch.png")


def test_dates_and_numbers_use_western_digits():
    assert format_number(1234, "ar") == "1,234"
    assert all(c in "0123456789/\u200f" for c in format_date(date(1985, 3, 12), "ar"))
    assert format_date(date(1985, 3, 12), "zh") == "1985年3月12日"


def _rows(text: str, width: int) -> list[str]:
    """The lines pygame-gui's text box breaks ``text`` into at ``width`` px."""
    from pygame_gui import UIManager
    from pygame_gui.elements import UITextBox

    pygame.init()
    manager = UIManager((800, 600))
    box = UITextBox(text, pygame.Rect(0, 0, width, 400), manager)
    rows = ["".join(getattr(item, "text", "") for item in row.items).strip()
            for row in box.text_box_layout.layout_rows]
    box.kill()
    return rows


def test_a_wrapped_arabic_line_never_breaks_inside_a_latin_run(ui):  # ui: a display for pygame-gui
    """Drawn right to left, each line of a text box is reversed: a Latin run broken across two lines
    would read "elettronica" on the upper line and "Carta d'identità" below it. The run moves whole."""
    sentence = "احضر معك Carta d'identità elettronica إلى المكتب"
    run = visual_rtl("Carta d'identità elettronica")  # as drawn: reversed in place
    split_before = [w for w in range(160, 420, 10) if not any(run in r for r in _rows(visual_rtl(sentence), w))]
    assert split_before, "no width broke the run without binding: the test could not tell"
    for width in range(240, 420, 10):  # narrower, the run no longer fits one line (pygame-gui hyphenates it)
        rows = [r.replace("\u00a0", " ") for r in _rows(visual_rtl(sentence, is_wrapped=True), width)]
        assert sum(run in r for r in rows) == 1, (width, rows)
