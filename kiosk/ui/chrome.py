"""What every screen shares: the top bar (step, languages, text size, contrast, help), the title,
the error or notice box, and back/cancel at the bottom."""

from __future__ import annotations

import pygame

from kiosk.journey.events import Intent
from kiosk.journey.screens import STEPS, TOTAL_STEPS, Screen, can_cancel, can_go_back
from kiosk.ui.builder import LARGE_BUTTON_PADDING, Builder, Column, intent, primary_rect
from kiosk.ui.i18n import format_number
from kiosk.ui.view import View

LANGUAGES = ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh")
LANGUAGE_NAMES = {"it": "Italiano", "en": "English", "de": "Deutsch", "fr": "Français", "sl": "Slovenščina",
                  "ro": "Română", "sq": "Shqip", "uk": "Українська", "ar": "العربية", "zh": "中文"}
PICKER_LABEL = "Lingua / Language"  # the same in every language: a citizen lost in a foreign one must find it


def _words_w(b: Builder, text: str, kind: str = "@chrome") -> int:
    """How wide a button of ``kind`` must be for ``text``."""
    font = b.manager.get_theme().get_font([kind])
    return max(b.m.min_touch, font.size(b.words(text))[0] + LARGE_BUTTON_PADDING)


def _large_top_bar(b: Builder, view: View) -> None:
    """Large text: the same controls, each as wide as its words; the language picker shows its code and
    the step its short form ("4/9") when the long one does not fit."""
    m, s, t = b.m, view.session, b.t
    b.panel(pygame.Rect(0, 0, m.width, m.bar_h), kind="@bar", layer=0)
    size = m.bar_h - round(12 * m.scale)
    y = (m.bar_h - size) // 2
    x = m.width - m.margin
    contrast = "◐" if b.has_check_mark else "B/W"
    for element_id, words, action, is_on in (
        ("help", t("Aiuto"), intent(Intent.HELP), False),
        ("toggle:high_contrast", contrast, intent(Intent.TOGGLE, field_name="high_contrast"), s.is_high_contrast),
        ("toggle:large_text", "A+", intent(Intent.TOGGLE, field_name="large_text"), s.is_large_text),
        ("languages", s.language.upper(), intent(Intent.LANGUAGES), False),
    ):
        w = max(size, _words_w(b, words))
        x -= w
        b.button(element_id, words, pygame.Rect(x, y, w, size), action, kind="@chrome_on" if is_on else "@chrome")
        x -= m.gap
    left = pygame.Rect(m.margin, 0, x - m.margin - m.gap, m.bar_h)
    step = STEPS.get(s.screen)
    if step:
        words = t("Passo {n} di {total}").format(n=step, total=TOTAL_STEPS)
        if _words_w(b, words, "@step") - LARGE_BUTTON_PADDING > left.w - 8:
            words = f"{format_number(step, s.language)}/{format_number(TOTAL_STEPS, s.language)}"
        b.label(words, left, kind="@step", element_id="step")
    elif view.kiosk_name and s.screen is Screen.WELCOME:
        words = view.kiosk_name
        if _words_w(b, words, "@step") - LARGE_BUTTON_PADDING <= left.w - 8:  # a long name gives way to the controls
            b.label(words, left, kind="@step", element_id="kiosk_name")


def top_bar(b: Builder, view: View) -> None:
    if b.m.is_large:
        _large_top_bar(b, view)
        return
    m, s, t = b.m, view.session, b.t
    b.panel(pygame.Rect(0, 0, m.width, m.bar_h), kind="@bar", layer=0)
    size = m.button_h - round(12 * m.scale)
    size = max(size, 90)
    y = (m.bar_h - size) // 2
    x = m.width - m.margin
    help_w = round(190 * m.scale)
    x -= help_w
    b.button("help", t("Aiuto"), pygame.Rect(x, y, help_w, size), intent(Intent.HELP), kind="@chrome")
    contrast_w = size
    x -= m.gap + contrast_w
    b.button("toggle:high_contrast", "◐" if b.has_check_mark else "B/W", pygame.Rect(x, y, contrast_w, size),
             intent(Intent.TOGGLE, field_name="high_contrast"), kind="@chrome_on" if s.is_high_contrast else "@chrome")
    x -= m.gap + size
    b.button("toggle:large_text", "A+", pygame.Rect(x, y, size, size), intent(Intent.TOGGLE, field_name="large_text"),
             kind="@chrome_on" if s.is_large_text else "@chrome")
    if s.screen is not Screen.WELCOME:  # the welcome screen shows the languages large
        # one compact picker rather than a row of codes: eight languages would not leave room for the step
        label = f"{s.language.upper()} · {PICKER_LABEL}"
        picker_w = round(330 * m.scale * min(m.text_factor, 1.25))
        x -= m.gap + picker_w
        b.button("languages", label, pygame.Rect(x, y, picker_w, size), intent(Intent.LANGUAGES), kind="@chrome")
    left = pygame.Rect(m.margin, 0, x - 2 * m.margin, m.bar_h)
    step = STEPS.get(s.screen)
    if step:
        b.label(t("Passo {n} di {total}").format(n=step, total=TOTAL_STEPS), left, kind="@step", element_id="step")
    elif view.kiosk_name and s.screen is Screen.WELCOME:
        b.label(view.kiosk_name, left, kind="@step", element_id="kiosk_name", smaller="@step_small")


def title(b: Builder, text: str) -> pygame.Rect:
    """The screen's title under the top bar; returns the content area under it. Large text: a long title
    wraps onto a second line and the content starts lower."""
    m = b.m
    rect = pygame.Rect(m.margin, m.bar_h + round(8 * m.scale), m.width - 2 * m.margin, m.title_h - round(8 * m.scale))
    element = b.label(text, rect, kind="@title", element_id="title", smaller="@title_small")
    b.content_top = max(m.bar_h + m.title_h, element.rect.bottom + round(8 * m.scale))
    return title_area(b)


def title_area(b: Builder) -> pygame.Rect:
    """The content area between the title and the bottom bar."""
    m = b.m
    top = b.content_top
    return pygame.Rect(m.margin, top, m.width - 2 * m.margin, m.height - top - m.bottom_h)


def error_words(b: Builder, s) -> str:
    """The error in plain words; ``{seconds}`` (a new one-time code after a wait) filled in."""
    words = b.t.message(s.error)
    if "{seconds}" in words:
        words = words.replace("{seconds}", format_number(max(1, s.otp_wait_s), s.language))
    return words


def messages(b: Builder, view: View, area: pygame.Rect) -> pygame.Rect:
    """The error (red, with "!") or notice (blue) box on top of the content; returns the space left."""
    s = view.session
    col = Column(area, b.m.gap)
    if s.error:
        words = error_words(b, s)
        col.add(lambda r: b.text(("⚠  " if b.has_check_mark else "! ") + words, r, kind="@error", element_id="error"))
    elif s.notice:
        col.add(lambda r: b.text(b.t.message(s.notice), r, kind="@notice", element_id="notice"))
    if s.is_busy and s.screen not in (Screen.SEALING, Screen.INSERT_CARD):
        col.add(lambda r: b.text(b.t("Un momento, sto lavorando…"), r, kind="@notice", element_id="busy"))
    return col.rest()


def message_words(b: Builder, view: View) -> tuple[str, str]:
    """The one message a typing screen shows in its hint line: (words, theme class) or ("", "")."""
    s = view.session
    if s.error:
        return (("⚠  " if b.has_check_mark else "! ") + error_words(b, s)), "@hint_error"
    if s.is_busy:
        return b.t("Un momento, sto lavorando…"), "@hint_notice"
    if s.notice:
        return b.t.message(s.notice), "@hint_notice"
    return "", ""


def bar_left(b: Builder, view: View) -> int:
    """Large text: where the bottom bar's back and cancel buttons end (the primary button starts after)."""
    m, s, t = b.m, view.session, b.t
    x = m.margin
    if can_go_back(s.screen):
        x += _words_w(b, "‹ " + t("Indietro"), "button") + m.gap
    if can_cancel(s.screen) or (s.screen is Screen.SEALING and s.error):
        x += _words_w(b, t("Annulla"), "@danger") + m.gap
    return x


def bottom_bar(b: Builder, view: View) -> None:
    m, s, t = b.m, view.session, b.t
    y = m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2
    x = m.margin
    if m.is_large:  # each button as wide as its words
        if can_go_back(s.screen):
            words = "‹ " + t("Indietro")
            w = _words_w(b, words, "button")
            b.button("back", words, pygame.Rect(x, y, w, m.button_h), intent(Intent.BACK), is_enabled=not s.is_busy)
            x += w + m.gap
        if can_cancel(s.screen) or (s.screen is Screen.SEALING and s.error):
            w = _words_w(b, t("Annulla"), "@danger")
            b.button("cancel", t("Annulla"), pygame.Rect(x, y, w, m.button_h), intent(Intent.CANCEL), kind="@danger")
        return
    if can_go_back(s.screen):
        w = round(230 * m.scale * m.text_factor)
        b.button("back", "‹  " + t("Indietro"), pygame.Rect(x, y, w, m.button_h), intent(Intent.BACK),
                 is_enabled=not s.is_busy)
        x += w + m.gap * 2
    if can_cancel(s.screen) or (s.screen is Screen.SEALING and s.error):
        w = min(round(300 * m.scale * m.text_factor), primary_rect(m).left - m.gap - x)
        b.button("cancel", t("Annulla"), pygame.Rect(x, y, w, m.button_h), intent(Intent.CANCEL), kind="@danger")
