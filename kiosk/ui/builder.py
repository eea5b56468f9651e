"""Makes pygame-gui elements for one rendered screen and remembers what each one means.

A screen module calls ``button``/``text``/``entry``… with an element id (``next``, ``choose:idcard``,
``field:email``) and the intent a tap emits. The builder keeps the ids (for ``KioskUI.element_rect``),
the intents and the entries, and kills everything in ``clear``.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pygame
import pygame_gui
from pygame_gui.core import ObjectID
from pygame_gui.elements import UIButton, UIImage, UILabel, UIPanel, UITextBox, UITextEntryLine

from kiosk.journey.events import Intent, UserIntent
from kiosk.ui.bidi import visual_rtl
from kiosk.ui.i18n import Translator

_TEXT_NODE = re.compile(r"(?<=>)[^<]+|^[^<]+")
BUTTON_PADDING = 36  # horizontal room a button's text needs besides itself
MIN_TOUCH_MM = 9.0  # EN 301 549 / WCAG 2.2 target size for a public touchscreen
DEFAULT_PX_PER_MM = 1280 / 217.0  # a 10.1" 1280x800 panel


@dataclass
class Metrics:
    """Sizes in pixels for this screen; ``scale`` follows the screen height (800 px = 1.0)."""

    width: int
    height: int
    scale: float = 1.0
    bar_h: int = 0
    title_h: int = 0
    bottom_h: int = 0
    margin: int = 0
    gap: int = 0
    button_h: int = 0
    text_factor: float = 1.0  # large-text mode: wide buttons grow with their words
    px_per_mm: float = DEFAULT_PX_PER_MM  # from the display's configured physical size
    min_touch: int = 0  # MIN_TOUCH_MM in pixels

    @classmethod
    def for_size(cls, size: tuple[int, int], *, text_factor: float = 1.0,
                 px_per_mm: float = DEFAULT_PX_PER_MM) -> Metrics:
        w, h = size
        s = max(0.75, h / 800)
        m = cls(w, h, s, text_factor=text_factor, px_per_mm=px_per_mm)
        m.min_touch = math.ceil(MIN_TOUCH_MM * px_per_mm)
        m.bar_h, m.title_h, m.bottom_h = round(104 * s), round(78 * s), round(124 * s)
        m.margin, m.gap = round(28 * s), round(16 * s)
        m.button_h = max(m.min_touch, round(100 * s))
        return m

    def content(self) -> pygame.Rect:
        top = self.bar_h + self.title_h
        return pygame.Rect(self.margin, top, self.width - 2 * self.margin, self.height - top - self.bottom_h)


@dataclass
class Built:
    elements: list[Any] = field(default_factory=list)
    by_id: dict[str, Any] = field(default_factory=dict)
    actions: dict[Any, UserIntent] = field(default_factory=dict)
    entries: dict[str, UITextEntryLine] = field(default_factory=dict)  # field name -> entry
    dynamic: dict[str, Any] = field(default_factory=dict)  # elements updated every frame (camera, countdown)
    keys: dict[Any, Any] = field(default_factory=dict)  # on-screen keyboard button -> keyboard.Key
    keyboard_field: str = ""  # the field the on-screen keyboard types into
    keyboard_layout: str = ""
    layouts: dict[str, str] = field(default_factory=dict)  # field name -> its keyboard layout
    max_lengths: dict[str, int] = field(default_factory=dict)
    hints: dict[str, Any] = field(default_factory=dict)  # field name -> its live validation label
    hint_message: str = ""  # an error or notice shown in the hint line until the citizen types
    logical: dict[int, str] = field(default_factory=dict)  # id(element) -> its words in reading order (Arabic)


class Builder:
    def __init__(
        self, manager: pygame_gui.UIManager, t: Translator, metrics: Metrics, *,
        saved_text: dict[str, str], has_check_mark: bool, text_factor: float = 1.0,
        active_field: str = "", is_shifted: bool = False, is_rtl: bool = False, is_cjk: bool = False,
    ) -> None:
        self.manager, self.t, self.m = manager, t, metrics
        self.text_factor = text_factor  # 1.25 in large-text mode
        self.saved_text = saved_text
        self.has_check_mark = has_check_mark
        self.active_field = active_field  # the field the citizen last touched (the keyboard types there)
        self.is_shifted = is_shifted
        self.is_rtl = is_rtl  # Arabic: the layout is mirrored and words are prepared for HarfBuzz (bidi.py)
        self.is_cjk = is_cjk  # Chinese: lines break between any two characters, without a hyphen
        self.is_mirroring = is_rtl
        self.message: tuple[str, str] = ("", "")  # a typing screen's error or notice, for its hint line
        self.out = Built()

    # -- helpers ----------------------------------------------------------------------------------
    def _keep(self, element: Any, element_id: str = "") -> Any:
        self.out.elements.append(element)
        if element_id:
            self.out.by_id[element_id] = element
        return element

    @staticmethod
    def _oid(class_id: str, element_id: str = "") -> ObjectID:
        safe = "#" + "".join(c if c.isalnum() else "_" for c in element_id) if element_id else None
        return ObjectID(class_id=class_id or None, object_id=safe)

    def text_width(self, element: Any, text: str) -> int:
        font = getattr(element, "font", None)
        if font is None:
            return 0
        return font.get_rect(text).width if hasattr(font, "get_rect") else font.size(text)[0]

    def place(self, rect: pygame.Rect) -> pygame.Rect:
        """``rect`` as laid out for this screen: mirrored left to right for a right-to-left language."""
        rect = pygame.Rect(rect)
        if self.is_mirroring:
            rect.x = self.m.width - rect.right
        return rect

    def words(self, text: str) -> str:
        """``text`` as the font draws it: right-to-left languages get their bidi runs (bidi.visual_rtl)."""
        return visual_rtl(text) if self.is_rtl else text

    def markup(self, markup: str) -> str:
        """``words`` for the text between the tags of an html text box."""
        if self.is_cjk:  # no spaces to break at: pygame-gui then breaks between characters (``is_cjk``)
            return _TEXT_NODE.sub(lambda m: m.group(0).replace(" ", "\u00a0"), markup)
        if not self.is_rtl:
            return markup
        return _TEXT_NODE.sub(lambda m: html.escape(visual_rtl(html.unescape(m.group(0)), is_wrapped=True), quote=False), markup)

    # -- elements ---------------------------------------------------------------------------------
    def button(
        self, element_id: str, text: str, rect: pygame.Rect, intent: UserIntent | None, *,
        kind: str = "", is_enabled: bool = True,
    ) -> UIButton:
        rect = pygame.Rect(rect)
        rect.w, rect.h = max(rect.w, self.m.min_touch), max(rect.h, self.m.min_touch)
        rect, logical, text = self.place(rect), text, self.words(text)
        button = UIButton(rect, text, self.manager, object_id=self._oid(kind, element_id))
        if self.text_width(button, text) + BUTTON_PADDING > rect.w:  # too long: a smaller font
            button.kill()
            button = UIButton(rect, text, self.manager, object_id=self._oid("@small", element_id))
        if text != logical:
            self.out.logical[id(button)] = logical
        if not is_enabled:
            button.disable()
        if intent is not None:
            self.out.actions[button] = intent
        return self._keep(button, element_id)

    def label(
        self, text: str, rect: pygame.Rect, *, kind: str = "@field_label", element_id: str = "", smaller: str = "",
    ) -> UILabel:
        """One line of text; when it does not fit, ``smaller`` (a class with a smaller font) is used instead."""
        with warnings.catch_warnings():  # "label too small" is handled here, by a smaller font
            warnings.simplefilter("ignore", UserWarning)
            rect, logical, text = self.place(rect), text, self.words(text)
            label = UILabel(pygame.Rect(rect), text, self.manager, object_id=self._oid(kind, element_id))
        # Arabic letters reach deeper below the baseline than Latin ones: a line taller than its rect is clipped
        is_clipped = self.is_rtl and getattr(label, "font", None) is not None and label.font.size(text)[1] > rect.h
        if smaller and (self.text_width(label, text) > label.rect.w - 8 or is_clipped):
            label.kill()
            with warnings.catch_warnings():  # the smaller font may still be a pixel taller than a tight rect
                warnings.simplefilter("ignore", UserWarning)
                label = UILabel(pygame.Rect(rect), text, self.manager, object_id=self._oid(smaller, element_id))
        if text != logical:
            self.out.logical[id(label)] = logical
        return self._keep(label, element_id)

    def text(
        self, body: str, rect: pygame.Rect, *, kind: str = "@body", element_id: str = "", is_html: bool = False,
    ) -> UITextBox:
        """Wrapped text; ``rect.h == -1`` sizes the box to its text. Plain text is escaped."""
        logical = body if is_html else html.escape(body).replace("\n", "<br>")
        markup = self.markup(logical)
        box = UITextBox(markup, self.place(rect), self.manager, object_id=self._oid(kind, element_id),
                        allow_split_dashes=not self.is_cjk)
        if markup != logical:
            self.out.logical[id(box)] = logical
        return self._keep(box, element_id)

    def entry(
        self, field_name: str, rect: pygame.Rect, *, initial: str = "", is_masked: bool = False, max_length: int = 0,
        layout: str = "",
    ) -> UITextEntryLine:
        text = self.saved_text.get(field_name, initial)
        entry = UITextEntryLine(self.place(rect), self.manager, object_id=self._oid("", "field:" + field_name),
                                initial_text=text or None)
        if is_masked:
            entry.set_text_hidden(True)
        if max_length:
            entry.set_text_length_limit(max_length)
        self.out.entries[field_name] = entry
        self.out.max_lengths[field_name] = max_length
        if layout:
            self.out.layouts[field_name] = layout
        return self._keep(entry, "field:" + field_name)

    def image(self, surface: pygame.Surface, rect: pygame.Rect, *, element_id: str = "") -> UIImage:
        return self._keep(UIImage(self.place(rect), surface, self.manager, object_id=self._oid("", element_id)),
                          element_id)

    def panel(self, rect: pygame.Rect, *, kind: str = "@bar", layer: int = 1) -> UIPanel:
        return self._keep(UIPanel(self.place(rect), starting_height=layer, manager=self.manager,
                                  object_id=self._oid(kind)))

    def dynamic(self, name: str, element: Any) -> None:
        self.out.dynamic[name] = element

    # -- words ------------------------------------------------------------------------------------
    def check(self, is_on: bool) -> str:
        if self.has_check_mark:
            return "☑" if is_on else "☐"
        return "[X]" if is_on else "[  ]"


def intent(kind: Intent, value: Any = None, field_name: str = "") -> UserIntent:
    return UserIntent(kind, value, field_name)


class Column:
    """A cursor that stacks elements down a rect."""

    def __init__(self, rect: pygame.Rect, gap: int) -> None:
        self.rect, self.gap, self.y = pygame.Rect(rect), gap, rect.top

    def take(self, height: int) -> pygame.Rect:
        r = pygame.Rect(self.rect.left, self.y, self.rect.width, height)
        self.y += height + self.gap
        return r

    def add(self, make: Callable[[pygame.Rect], Any]) -> Any:
        """Place an auto-height element (``rect.h == -1``) and move below it."""
        element = make(pygame.Rect(self.rect.left, self.y, self.rect.width, -1))
        self.y = element.rect.bottom + self.gap
        return element

    def rest(self) -> pygame.Rect:
        return pygame.Rect(self.rect.left, self.y, self.rect.width, max(0, self.rect.bottom - self.y))


def primary_rect(m: Metrics) -> pygame.Rect:
    """The big primary button, bottom right, always in the same place."""
    w = round(380 * m.scale * m.text_factor)
    return pygame.Rect(m.width - m.margin - w, m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2, w, m.button_h)


def primary(b: Builder, element_id: str, text: str, action: UserIntent, *, is_enabled: bool = True) -> UIButton:
    return b.button(element_id, text, primary_rect(b.m), action, kind="@primary", is_enabled=is_enabled)
