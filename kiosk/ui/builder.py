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
# where large text may cut a long text box: after a line break or a sentence's end, outside a tag
_SENTENCE_END = re.compile(r"(?<=<br>)|(?<=[。！？])(?![^<]*>)|(?<=[.!?])(?=\s)(?![^<]*>)")


def _sentences(markup: str) -> list[str]:
    """``markup`` cut after line breaks and sentence ends, never inside bold or italic words."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(markup):
        if pieces and _open_tags(pieces[-1]):
            pieces[-1] += piece
        elif piece:
            pieces.append(piece)
    return pieces


def _open_tags(markup: str) -> int:
    return sum(markup.count(f"<{tag}>") - markup.count(f"</{tag}>") for tag in ("b", "i"))


def _trim_breaks(markup: str) -> str:
    markup = markup.strip()
    while markup.endswith("<br>"):
        markup = markup[:-4].rstrip()
    while markup.startswith("<br>"):
        markup = markup[4:].lstrip()
    return markup
BUTTON_PADDING = 36  # horizontal room a button's text needs besides itself
LARGE_BUTTON_PADDING = 20  # large text: a little less, the words are what matters
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
    line_h: int = 0  # large-text mode: the height of one line of text (0: normal mode)

    @property
    def is_large(self) -> bool:
        """Large-text mode: one column, long content paged (``pager``), every text at least 7.3 mm tall."""
        return self.line_h > 0

    @classmethod
    def for_size(cls, size: tuple[int, int], *, text_factor: float = 1.0,
                 px_per_mm: float = DEFAULT_PX_PER_MM, line_h: int = 0) -> Metrics:
        w, h = size
        s = max(0.75, h / 800)
        m = cls(w, h, s, text_factor=text_factor, px_per_mm=px_per_mm, line_h=line_h)
        m.min_touch = math.ceil(MIN_TOUCH_MM * px_per_mm)
        m.bar_h, m.title_h, m.bottom_h = round(104 * s), round(78 * s), round(124 * s)
        m.margin, m.gap = round(28 * s), round(16 * s)
        m.button_h = max(m.min_touch, round(100 * s))
        if line_h:  # large text: bars and buttons as tall as a line of it and a button's border and padding
            m.button_h = max(m.min_touch, line_h + round(10 * s))
            m.bar_h = line_h + round(22 * s)
            m.title_h = max(m.title_h, line_h + round(10 * s))
            m.bottom_h = m.button_h + round(8 * s)
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
    field_switch: dict[Any, str] = field(default_factory=dict)  # large text: ‹ › button -> the field it shows
    message_ok: Any = None  # large text: the "I understand" under a typing screen's long message
    fixed: set[int] = field(default_factory=set)  # id() of content elements that stay put (the bottom bar's)
    pager: dict[Any, int] = field(default_factory=dict)  # page-turn button -> -1 or +1
    pages: int = 1  # large-text mode: how many pages the content took
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
        self.content_top = metrics.bar_h + metrics.title_h  # under the title (a large title may wrap lower)
        self.paged_area: pygame.Rect | None = None  # large text: where a typing screen's other words are paged
        self.message_dismissed = ""  # large text: a typing screen's long message the citizen has read
        self.entry_h = 0  # large text: a text field as tall as a line of its (Latin) font and its padding
        self.bar_left = metrics.margin  # large text: where the bottom bar's back and cancel buttons end
        self.out = Built()

    # -- helpers ----------------------------------------------------------------------------------
    def _keep(self, element: Any, element_id: str = "") -> Any:
        self.out.elements.append(element)
        if element_id:
            self.out.by_id[element_id] = element
        return element

    def discard(self, element: Any) -> None:
        """Kill ``element`` and forget it (a large-text page that is not on show)."""
        element.kill()
        self.out.elements = [e for e in self.out.elements if e is not element]
        for table in (self.out.by_id, self.out.entries, self.out.hints, self.out.dynamic):
            for name in [k for k, v in table.items() if v is element]:
                del table[name]
        self.out.actions.pop(element, None)
        self.out.keys.pop(element, None)
        self.out.logical.pop(id(element), None)

    def fixed(self, element: Any) -> Any:
        """Mark ``element`` as one that stays where it is when large-text content is paged (bottom bar)."""
        self.out.fixed.add(id(element))
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
        padding = LARGE_BUTTON_PADDING if self.m.is_large else BUTTON_PADDING
        if self.text_width(button, text) + padding > rect.w:  # too long: a smaller font
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
        if self.m.is_large and (self.text_width(label, text) > label.rect.w - 8 or is_clipped):
            label.kill()  # large text has no smaller font: the words wrap, in a box as tall as they need
            words = html.escape(logical)
            if self.manager.get_theme().get_font_info([kind])["bold"]:
                words = f"<b>{words}</b>"
            return self.text(words, pygame.Rect(rect.x if not self.is_mirroring else self.m.width - rect.right,
                                                rect.y, rect.w, -1), kind=kind, element_id=element_id, is_html=True)
        if smaller and (self.text_width(label, text) > label.rect.w - 8 or is_clipped):
            label.kill()
            with warnings.catch_warnings():  # the smaller font may still be a pixel taller than a tight rect
                warnings.simplefilter("ignore", UserWarning)
                label = UILabel(pygame.Rect(rect), text, self.manager, object_id=self._oid(smaller, element_id))
        if text != logical:
            self.out.logical[id(label)] = logical
        return self._keep(label, element_id)

    def line(self, text: str, col: Column, *, kind: str = "@field_label", element_id: str = "") -> Any:
        """Large text: one line of ``text`` down ``col`` (wrapped onto more lines when it is longer)."""
        rect = pygame.Rect(col.rect.left, col.y, col.rect.w, self.m.line_h + round(8 * self.m.scale))
        element = self.label(text, rect, kind=kind, element_id=element_id)
        col.y = element.rect.bottom + col.gap
        return element

    def choice(self, element_id: str, text: str, col: Column, action: UserIntent, *, mark: str = "›",
               is_selected: bool = False) -> UIButton:
        """Large text: a choice too long for a button: a square button (``mark``: › or a check box) with its
        words wrapped beside it."""
        m = self.m
        font = self.manager.get_theme().get_font(["@choice"])
        whole = text if mark == "›" else f"{mark}  {text}"
        if font.size(self.words(whole))[0] + BUTTON_PADDING + 2 * 28 <= col.rect.w:
            return self.button(element_id, whole, col.take(m.button_h), action,
                               kind="@selected" if is_selected else "@choice")
        side = max(m.button_h, m.min_touch)
        top = col.y
        button = self.button(element_id, mark, pygame.Rect(col.rect.left, top, side, side), action,
                             kind="@selected" if is_selected else "@choice")
        words = self.text(text, pygame.Rect(col.rect.left + side + m.gap, top, col.rect.w - side - m.gap, -1),
                          element_id=element_id.replace(":", "_") + "_words")
        col.y = max(button.rect.bottom, words.rect.bottom) + col.gap
        return button

    def text(
        self, body: str, rect: pygame.Rect, *, kind: str = "@body", element_id: str = "", is_html: bool = False,
    ) -> UITextBox:
        """Wrapped text; ``rect.h == -1`` sizes the box to its text. Plain text is escaped. Large text: a box
        taller than a page is cut between sentences into boxes that fit one (``pager`` puts them on pages)."""
        logical = body if is_html else html.escape(body).replace("\n", "<br>")
        if self.m.is_large and rect.h == -1 and not getattr(self, "_is_splitting", False):
            return self._split_text(logical, rect, kind=kind, element_id=element_id)
        markup = self.markup(logical)
        box = UITextBox(markup, self.place(rect), self.manager, object_id=self._oid(kind, element_id),
                        allow_split_dashes=not self.is_cjk)
        if markup != logical:
            self.out.logical[id(box)] = logical
        return self._keep(box, element_id)

    @property
    def page_room(self) -> int:
        """Large text: the height a page of content has above the page-turn row."""
        m = self.m
        if self.paged_area is not None:
            return self.paged_area.h - m.button_h - 2 * m.gap
        return m.height - m.bottom_h - self.content_top - m.button_h - 2 * m.gap

    def _text_height(self, markup: str, width: int, kind: str) -> int:
        """About how tall a text box of ``kind`` and ``width`` is for ``markup`` (words wrapped at spaces,
        Chinese anywhere), a little more rather than less: measured without making the box."""
        theme = self.manager.get_theme()
        ids = [kind or "text_box", "text_box"]
        font = theme.get_font(ids)

        def misc(name: str, default: str) -> Any:
            try:
                return theme.get_misc_data(name, ids)
            except LookupError:
                return default

        border = misc("border_width", "1")
        border = max(border.values()) if isinstance(border, dict) else int(border)
        pad_x, pad_y = (int(v) for v in misc("padding", "5,5").split(","))
        spacing = float(misc("line_spacing", "1.25"))
        room = width - 2 * (border + pad_x) - 8
        lines = 0
        for paragraph in html.unescape(re.sub(r"<(?!br>)[^>]+>", "", markup)).split("<br>"):
            units = list(paragraph) if self.is_cjk else paragraph.split(" ")
            line = ""
            lines += self._lines(font, units[0], room) if units else 1
            for unit in units:
                candidate = unit if not line else line + ("" if self.is_cjk else " ") + unit
                if line and font.size(candidate)[0] > room:
                    lines, line = lines + self._lines(font, unit, room), unit
                else:
                    line = candidate
        return round(lines * font.size("Hg")[1] * spacing * 1.1) + 2 * (border + pad_y) + 8

    def _lines(self, font: Any, unit: str, room: int) -> int:
        return max(1, -(-font.size(unit)[0] // max(1, room)))

    def _split_text(self, logical: str, rect: pygame.Rect, *, kind: str, element_id: str) -> UITextBox:
        self._is_splitting = True
        # plain words (no frame) go in pieces of a few lines, so that a page fills up before the next starts;
        # a framed box (card, notice, error) stays whole unless it is taller than a page
        is_plain = kind in ("", "@body")
        room = min(self.page_room, round(3 * self.m.line_h * 1.1) + 16) if is_plain else self.page_room
        try:
            if self._text_height(logical, rect.w, kind) <= room:
                return self.text(logical, rect, kind=kind, element_id=element_id, is_html=True)
            pieces = []
            for sentence in _sentences(logical):  # a sentence taller than a page is cut between words
                if self._text_height(sentence, rect.w, kind) <= room or _open_tags(sentence) or \
                        "<" in sentence.replace("<br>", ""):
                    pieces.append(sentence)
                else:
                    pieces += [w + " " for w in sentence.split(" ")]
            if len(pieces) < 2:
                return self.text(logical, rect, kind=kind, element_id=element_id, is_html=True)
            y, current, n = rect.top, "", 0
            for piece in pieces + [""]:
                candidate = current + piece if current else piece.lstrip()
                if piece:
                    is_fitting = self._text_height(candidate.strip(), rect.w, kind) <= room
                    if is_fitting or not current:
                        current = candidate
                        continue
                box = self.text(_trim_breaks(current), pygame.Rect(rect.left, y, rect.w, -1), kind=kind,
                                element_id=element_id if n == 0 else f"{element_id}_{n}" if element_id else "",
                                is_html=True)
                y, current, n = box.rect.bottom + (0 if is_plain else self.m.gap), piece.lstrip(), n + 1
            return box
        finally:
            self._is_splitting = False

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
    if m.is_large:
        w = round(m.width * 0.36)
    return pygame.Rect(m.width - m.margin - w, m.height - m.bottom_h + (m.bottom_h - m.button_h) // 2, w, m.button_h)


def primary(b: Builder, element_id: str, text: str, action: UserIntent, *, is_enabled: bool = True) -> UIButton:
    rect = primary_rect(b.m)
    if b.m.is_large:  # as wide as its words, up to the back and cancel buttons; else the plain "next"
        font = b.manager.get_theme().get_font(["@primary"])
        room = b.m.width - b.m.margin - b.bar_left - b.m.gap
        need = font.size(b.words(text))[0] + LARGE_BUTTON_PADDING
        if need > room and text.endswith("›"):
            text = b.t("Avanti") + "  ›"
            need = font.size(b.words(text))[0] + LARGE_BUTTON_PADDING
        rect.w = min(room, max(rect.w, need))
        rect.right = b.m.width - b.m.margin
    return b.fixed(b.button(element_id, text, rect, action, kind="@primary", is_enabled=is_enabled))
