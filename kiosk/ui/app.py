"""``KioskUI``: renders a ``View`` with pygame-gui and turns touches into ``UserIntent``s.

The loop the shell runs::

    ui = KioskUI(); ui.start()
    while True:
        for intent in ui.handle_events(pygame.event.get()):
            journey.handle(intent, now)
        ui.render(View(session=journey.session, now=now, ...))
        ui.draw()

Widgets are rebuilt only when what they show changes (screen, language, overlay, text size, contrast,
error, notice, or a screen's own state); the camera preview and the inactivity countdown update in
place. A new ``Session`` object (a wipe) destroys every widget, so no citizen data stays on screen.
"""

from __future__ import annotations

import copy
import html
import time
import json
import weakref
from pathlib import Path
from typing import Any

import pygame
import pygame_gui
from pygame_gui.core import ObjectID
from pygame_gui.elements import UIButton, UILabel, UITextBox, UITextEntryLine

from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.screens import Screen
from kiosk.journey.session import Session
from kiosk.ui import chrome, keyboard, pager
from kiosk.ui.builder import DEFAULT_PX_PER_MM, Builder, Built, Metrics
from kiosk.ui.hints import hint_for
from kiosk.ui.bidi import visual_rtl
from kiosk.ui.fonts import LARGE_TEXT_CAP_MM, FontChoice, find_font, script_of, size_for_cap
from kiosk.ui.i18n import Translator
from kiosk.ui.speech import SECRET_ELEMENTS, Speech, plain
from kiosk.ui.screens import module_for
from kiosk.ui.screens import overlays
from kiosk.ui.shapes import KioskShapeCache
from kiosk.ui.view import View

HERE = Path(__file__).parent
THEME = HERE / "theme.json"
THEME_HIGH_CONTRAST = HERE / "theme_high_contrast.json"
LARGE_TEXT_FACTOR = 1.25  # large-text mode: how much wider the few width-from-words rects grow
LARGE_LINE_SPACING = "1.1"  # large-text mode: wrapped lines closer together (the letters are big enough)
LARGE_ENTRY_PADDING = (12, 8)  # large-text mode: a text field's padding (x, y): the letters need the room
DOUBLE_TAP_S = 0.3  # an accidental double tap lands within this; a deliberate second tap comes later
SECRET_FIELDS = frozenset({"pin", "operator_pin"})  # never restored from a widget's memory
SPEECH_SKIP = SECRET_ELEMENTS | {"hint"}  # never read aloud: codes; the hint is read when it changes
CURSOR_BLINK_S = 0.4  # pygame-gui's text cursor blink: the loop wakes this often while a field is focused
HINT_SPEECH_PAUSE_S = 1.0  # a changed hint is read once typing pauses this long: no chatter on every key


def _set_font(spec: dict, font: FontChoice) -> None:
    spec["name"] = font.name
    if font.regular_path:
        spec["regular_path"], spec["bold_path"] = font.regular_path, font.bold_path
    if font.script != "Latn":
        spec["script"] = font.script
    if font.is_rtl:
        spec["direction"] = "rtl"


class KioskUI:
    def __init__(self, *, size: tuple[int, int] = (1280, 800), fullscreen: bool = False,
                 theme_path: str | Path | None = None, physical_mm: tuple[float, float] | None = None,
                 speech: Speech | None = None, rotation: int = 0, double_tap_s: float = DOUBLE_TAP_S) -> None:
        if rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
        self.size = size  # the UI's own (logical) size, before rotation onto the panel
        self.rotation = rotation  # the panel is mounted turned clockwise by this much
        self.double_tap_s = double_tap_s  # a second tap this soon on the same spot is an accident
        self._last_tap: tuple[float, tuple[int, int]] | None = None
        self._is_dropping_up = False
        self._display: pygame.Surface | None = None
        self.physical_mm = physical_mm  # the display's visible width and height; None: a 10.1" panel
        self.is_fullscreen = fullscreen
        self.theme_path = Path(theme_path) if theme_path else THEME
        self.surface: pygame.Surface | None = None
        self.metrics = Metrics.for_size(size, px_per_mm=self.px_per_mm)
        self.font: FontChoice | None = None
        self._managers: dict[tuple[bool, bool, str], pygame_gui.UIManager] = {}
        self._backgrounds: dict[tuple[bool, bool, str], pygame.Color] = {}
        self._shapes = KioskShapeCache()  # one for every mode's manager: shape ids say all (size, colours)
        self._mode: tuple[bool, bool, str] = (False, False, "latin")  # large text, high contrast, script
        self._built = Built()
        self._key: tuple | None = None
        self._session_ref: weakref.ref[Session] | None = None
        self._screen: Screen | None = None
        self._saved_text: dict[str, str] = {}
        self._overlay = ""
        self._last_frame: Any = None
        self._clock: pygame.time.Clock | None = None
        self._page = 0  # large-text mode: the page of the screen's content on show
        self._message_dismissed = ""  # large text: the typing screen's long message the citizen has read
        self._page_anchor: tuple | None = None  # what the page belongs to (screen, information page)
        self._active_field = ""  # the field the on-screen keyboard types into
        self._is_shifted = False
        self._t = Translator("it")
        self.speech = speech  # spoken guidance (headphones); None: a silent kiosk
        self._spoken: tuple | None = None  # what the last reading of a screen was about
        self._is_dirty = True  # something changed since the last frame was drawn
        self.clock = time.monotonic  # when a changed hint is due to be read (tests pass their own)
        self._hint_due: tuple[float, str, str] | None = None  # (when, field, words) to read once typing pauses
        self._hint_said: dict[str, str] = {}  # field -> the hint last read (or shown when the screen was read)

    @property
    def px_per_mm(self) -> float:
        if not self.physical_mm:
            return DEFAULT_PX_PER_MM
        return min(self.size[0] / self.physical_mm[0], self.size[1] / self.physical_mm[1])

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        pygame.init()
        flags = pygame.FULLSCREEN if self.is_fullscreen else 0
        is_sideways = self.rotation in (90, 270)
        panel = (self.size[1], self.size[0]) if is_sideways else self.size
        self._display = pygame.display.set_mode(panel, flags)
        pygame.display.set_caption("Sportello")
        if self.is_fullscreen:
            pygame.mouse.set_visible(False)
        pw, ph = self._display.get_size()
        self.size = (ph, pw) if is_sideways else (pw, ph)
        self.surface = self._display if self.rotation == 0 else pygame.Surface(self.size)
        self.metrics = Metrics.for_size(self.size, px_per_mm=self.px_per_mm)
        self.font = find_font()
        self._clock = pygame.time.Clock()
        self._manager_for(self._mode)

    def close(self) -> None:
        if self.speech is not None:
            self.speech.close()
        self._clear()
        for manager in self._managers.values():
            manager.clear_and_reset()
        self._managers.clear()
        pygame.quit()
        self.surface = None

    def __enter__(self) -> KioskUI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- themes -----------------------------------------------------------------------------------
    def _theme_dict(self, mode: tuple[bool, bool, str]) -> dict:
        is_large, is_contrast, script = mode
        path = THEME_HIGH_CONTRAST if is_contrast else self.theme_path
        theme = json.loads(path.read_text(encoding="utf-8"))
        font = find_font(script)
        for name, block in theme.items():
            spec = block.get("font") if isinstance(block, dict) else None
            if not spec:
                continue
            spec["size"] = str(round(int(spec.get("size", 30)) * self.metrics.scale))
            # fields are typed in Latin (email, phone, codice fiscale, names): left to right on every screen
            _set_font(spec, find_font() if name == "text_entry_line" else font)
            if is_large:
                self._enlarge(spec)
                if name == "text_entry_line":
                    block.setdefault("misc", {})["padding"] = ",".join(map(str, LARGE_ENTRY_PADDING))
                block.setdefault("misc", {})["line_spacing"] = LARGE_LINE_SPACING
            misc = block.get("misc", {})
            if font.is_rtl and misc.get("text_horiz_alignment") == "left":
                misc["text_horiz_alignment"] = "right"  # Arabic lines start at the right
        if font.is_rtl:  # wrapped text starts at the right too
            theme.setdefault("text_box", {}).setdefault("misc", {})["text_horiz_alignment"] = "right"
        # every language by its own name in its own script, whatever the screen's language
        for lang, other in (("ar", "arabic"), ("zh", "cjk")):
            block = copy.deepcopy({k: v for k, v in theme["button"].items() if k == "font"})
            _set_font(block["font"], find_font(other))
            if is_large:
                self._enlarge(block["font"])
            if font.is_rtl:  # the builder handed it the bidi form of the name: drawn right to left, it reads right
                block["font"]["direction"] = "rtl"
            theme[f"#lang_{lang}"] = block
        return theme

    def _enlarge(self, spec: dict) -> None:
        """Large-text mode: at least the size at which this font's capital H is ``LARGE_TEXT_CAP_MM`` tall."""
        path = spec.get("bold_path" if spec.get("bold") == "1" else "regular_path", "")
        spec["size"] = str(max(int(spec["size"]), size_for_cap(path, LARGE_TEXT_CAP_MM * self.px_per_mm)))

    def _manager_for(self, mode: tuple[bool, bool, str]) -> pygame_gui.UIManager:
        if mode not in self._managers:
            theme = self._theme_dict(mode)
            manager = pygame_gui.UIManager(self.size, copy.deepcopy(theme), enable_live_theme_updates=False)
            manager.get_theme().shape_cache = self._shapes  # rounded shapes: corners supersampled, not all
            # rich text (bold words in a regular box and back) asks for both styles of every size in use
            fonts = {(b["font"]["name"], int(b["font"]["size"])) for b in theme.values()
                     if isinstance(b, dict) and isinstance(b.get("font"), dict)}
            fd = manager.get_theme().get_font_dictionary()
            manager.preload_fonts([
                {"name": name, "point_size": size, "style": style, "antialiased": 1}
                for name, size in sorted(fonts) for style in ("regular", "bold")
                if not fd.check_font_preloaded(fd.create_font_id(size, name, style == "bold", False))
            ])
            self._managers[mode] = manager
            self._backgrounds[mode] = pygame.Color(theme["defaults"]["colours"]["dark_bg"])
        return self._managers[mode]

    @property
    def manager(self) -> pygame_gui.UIManager:
        return self._manager_for(self._mode)

    # -- rendering --------------------------------------------------------------------------------
    def render(self, view: View) -> None:
        if self.surface is None:
            raise RuntimeError("KioskUI.start() first")
        s = view.session
        is_same_session = self._session_ref is not None and self._session_ref() is s
        if not is_same_session:
            self._wipe_widgets()
            self._session_ref = weakref.ref(s)
        module = module_for(s.screen)
        anchor = (s.screen, module.page_key(view) if hasattr(module, "page_key") else None)
        if anchor != self._page_anchor:  # another screen (or information page) starts at its first page
            self._page_anchor, self._page = anchor, 0
        key = self._rebuild_key(view)
        if is_same_session and key == self._key:
            self._update_dynamic(view)
            self._say_hint_if_due()
            return
        if self._built.entries and self._screen is s.screen:
            self._saved_text.update({name: e.get_text() for name, e in self._built.entries.items()
                                     if name not in SECRET_FIELDS})
        elif self._screen is not s.screen:
            self._saved_text = {}
            self._active_field, self._is_shifted = "", False
            self._hint_due, self._hint_said = None, {}
            self._page, self._message_dismissed = 0, ""
        self._clear()
        self._mode = (s.is_large_text, s.is_high_contrast, script_of(s.language))
        self._screen, self._overlay, self._key = s.screen, s.overlay, key
        self._build(view)
        self._is_dirty = True
        self._update_dynamic(view)
        about = (s.screen, s.language, s.overlay, s.error, s.notice, key[-2], self._page)  # a new page is read too
        if self.speech is not None and self.speech.is_enabled and about != self._spoken:
            self._spoken = about
            self.speech.read_screen(self._readable_parts(), s.language)
        self._say_hint_if_due()

    def _say_hint_if_due(self) -> None:
        """Read the field's live hint once typing has paused, if it says something new."""
        if self._hint_due is None or self.clock() < self._hint_due[0]:
            return
        _, name, words = self._hint_due
        self._hint_due = None
        if words and words != self._hint_said.get(name) and self.speech is not None:
            self._hint_said[name] = words
            self.speech.hint(words, self._t.language)

    def seconds_to_next_event(self) -> float | None:
        """How long the loop may sleep before the UI has something to do by itself: a hint to read, the
        cursor of the field being typed in to blink."""
        due = [] if self._hint_due is None else [max(0.0, self._hint_due[0] - self.clock())]
        focused = self.manager.get_focus_set() if self.surface is not None else None
        if focused and any(isinstance(e, UITextEntryLine) for e in focused):
            due.append(CURSOR_BLINK_S)
        return min(due) if due else None

    def invalidate(self) -> None:
        """Rebuild (and read aloud) the screen at the next render, e.g. when headphones are plugged in."""
        self._key = None
        self._spoken = None

    def _readable_parts(self) -> list[str]:
        """The words of the screen as they are read aloud: texts and buttons, never fields or codes."""
        ids = {id(e): name for name, e in self._built.by_id.items()}
        parts, buttons = [], []
        for element in self._built.elements:
            name = ids.get(id(element), "")
            if not element.alive() or element in self._built.keys:
                continue
            if name.startswith(("lang:", "toggle:large", "toggle:high")):
                continue
            if name == "hint" and self._built.hint_message:  # a typing screen's error is said with it
                name = ""
            elif name in SPEECH_SKIP:
                continue
            logical = self._built.logical.get(id(element))  # Arabic: the words before bidi reordering
            if isinstance(element, UITextBox):
                parts.append(plain(logical or element.html_text))
            elif isinstance(element, UILabel):
                parts.append(logical or element.text)
            elif isinstance(element, UIButton):  # what can be done comes after what is said
                buttons.append((logical or element.text).strip(" ‹›"))
        return parts + buttons

    def _rebuild_key(self, view: View) -> tuple:
        s = view.session
        module = module_for(s.screen)
        extra = module.state_key(view) if hasattr(module, "state_key") else ()
        keys = ((self._active_field, self._is_shifted, self._page, self._message_dismissed) if s.screen is self._screen
                else ("", False, 0, ""))
        return (s.screen, s.language, s.overlay, s.is_large_text, s.is_high_contrast, s.error, s.notice,
                s.otp_wait_s, s.is_busy, view.is_pin_route_offered, view.kiosk_name, extra, keys)

    def _build(self, view: View) -> None:
        s = view.session
        t = Translator(s.language)
        fields = {k: v for k, v in s.fields.items()}
        saved = {**{k: v for k, v in self._saved_text.items() if k not in fields}, **fields}
        self.font = find_font(self._mode[2])
        self.metrics = Metrics.for_size(self.size, text_factor=LARGE_TEXT_FACTOR if s.is_large_text else 1.0,
                                        px_per_mm=self.px_per_mm,
                                        line_h=self._large_line_h() if s.is_large_text else 0)
        b = Builder(self.manager, t, self.metrics, saved_text=saved,
                    has_check_mark=bool(self.font and self.font.has_check_mark), is_rtl=self.font.is_rtl,
                    is_cjk=self._mode[2] == "cjk",
                    text_factor=LARGE_TEXT_FACTOR if s.is_large_text else 1.0,
                    active_field=self._active_field, is_shifted=self._is_shifted)
        if s.overlay:
            overlays.build(b, view)
        else:
            module = module_for(s.screen)
            title = module.title(view) if hasattr(module, "title") else module.TITLE
            chrome.top_bar(b, view)
            has_keyboard = getattr(module, "HAS_KEYBOARD", False)
            if self.metrics.is_large and hasattr(module, "has_keyboard"):
                has_keyboard = module.has_keyboard(view)  # large text pages the screen when it shows no keyboard
            if self.metrics.is_large and has_keyboard:  # the field's name heads the screen: its room goes to keys
                b.content_top = self.metrics.bar_h + round(6 * self.metrics.scale)
                area = chrome.title_area(b)
            else:
                area = chrome.title(b, t(title))
            if self.metrics.is_large:
                b.bar_left = chrome.bar_left(b, view)
                b.entry_h = self._entry_h()
                b.message_dismissed = self._message_dismissed
            is_paged = self.metrics.is_large and not has_keyboard
            start = len(b.out.elements)
            if has_keyboard:  # messages go to the line under the fields
                b.message = chrome.message_words(b, view)
            else:
                area = chrome.messages(b, view, pager.tall(area) if is_paged else area)
            module.build(b, view, area)
            if is_paged:  # large text: one tall column, cut into pages that fit
                self._page = pager.paginate(b, b.out.elements[start:], chrome.title_area(b), self._page)
            elif b.paged_area is not None and b.paged_area.h > 0:  # beside a numeric pad
                self._page = pager.paginate(b, b.out.elements[start:], b.paged_area, self._page)
            chrome.bottom_bar(b, view)
        self._built = b.out
        self._t = t
        if not s.overlay:  # an overlay (language list, help) leaves the field being typed in as it was
            self._active_field = b.out.keyboard_field
        if not b.out.hint_message:
            for name in b.out.hints:
                self._update_hint(name, is_typed=False)

    def _entry_h(self) -> int:
        """Large text: a text field's height: a line of its font (Latin in every language) and its padding."""
        theme = self.manager.get_theme()
        font = theme.get_font(["text_entry_line"])
        return font.size("Hg")[1] + 2 * (LARGE_ENTRY_PADDING[1] + 3) + 4

    def _large_line_h(self) -> int:
        """The height of a line of large text in the screen's font (its capital H 7.3 mm tall)."""
        path = self.font.regular_path if self.font else ""
        size = size_for_cap(path, LARGE_TEXT_CAP_MM * self.px_per_mm)
        font = pygame.font.Font(path or None, size)
        if not (self.font and self.font.is_rtl):
            return font.get_linesize()
        font.set_script("Arab")  # shaped Arabic reaches higher and lower than Latin
        font.set_direction(pygame.DIRECTION_RTL)
        return max(font.get_linesize(), font.size("نعم، ألغِ كل شيء")[1])

    def _update_hint(self, field_name: str, *, is_typed: bool = True) -> None:
        label, entry = self._built.hints.get(field_name), self._built.entries.get(field_name)
        if label is None or entry is None:
            return
        if self._built.hint_message:  # the citizen types again: the error gives way to the live hint
            self._built.hint_message = ""
            label.change_object_id(ObjectID(class_id="@hint", object_id="#hint"))
        msgid, is_ok = hint_for(field_name, entry.get_text())
        words = self._t(msgid) if msgid else ""
        if is_typed and self.speech is not None and self.speech.is_enabled:
            # read later, once typing pauses (each key moves the moment on); a hint never holds what was typed
            self._hint_due = (self.clock() + HINT_SPEECH_PAUSE_S, field_name, words)
        elif words and field_name not in self._hint_said:
            self._hint_said[field_name] = words  # on show: not news; its changes are
        if words and is_ok:
            words = ("✓  " if self.font and self.font.has_check_mark else "OK  ") + words
        if self.font is not None and self.font.is_rtl:
            words = visual_rtl(words)
        if isinstance(label, UITextBox):
            words = html.escape(words)
            if label.html_text != words:
                label.set_text(words)
        elif label.text != words:
            label.set_text(words)
    def _clear(self) -> None:
        for element in self._built.elements:
            element.kill()
        self._built = Built()
        self._last_frame = None

    def _wipe_widgets(self) -> None:
        """A new session: nothing of the previous citizen may survive, in widgets or in memory."""
        self._clear()
        for manager in self._managers.values():
            manager.clear_and_reset()
        self._saved_text = {}
        self._key = None
        self._screen = None
        self._active_field, self._is_shifted = "", False
        self._page, self._message_dismissed = 0, ""

    def _update_dynamic(self, view: View) -> None:
        dyn = self._built.dynamic
        if "countdown" in dyn:
            words = str(view.seconds_left())
            if self.font is not None and self.font.is_rtl:
                words = visual_rtl(words)
            if dyn["countdown"].text != words:
                dyn["countdown"].set_text(words)
                self._is_dirty = True
        camera = dyn.get("camera")
        if camera is not None and view.camera_frame is not None and view.camera_frame is not self._last_frame:
            self._last_frame = view.camera_frame
            self._is_dirty = True
            camera.set_image(self._frame_surface(view.camera_frame, camera.rect.size,
                                                 is_mirrored=view.session.screen is Screen.FACE))

    @staticmethod
    def _frame_surface(frame: Any, size: tuple[int, int], *, is_mirrored: bool) -> pygame.Surface:
        """An (H, W, 3) RGB frame scaled to fit ``size`` (letterboxed, aspect kept)."""
        image = pygame.surfarray.make_surface(frame[:, :, :3].swapaxes(0, 1))
        if is_mirrored:
            image = pygame.transform.flip(image, True, False)
        fw, fh = image.get_size()
        ratio = min(size[0] / fw, size[1] / fh)
        scaled = pygame.transform.smoothscale(image, (max(1, round(fw * ratio)), max(1, round(fh * ratio))))
        out = pygame.Surface(size)
        out.fill((0, 0, 0))
        out.blit(scaled, scaled.get_rect(center=(size[0] // 2, size[1] // 2)))
        return out

    # -- input ------------------------------------------------------------------------------------
    def handle_events(self, events: list[pygame.event.Event]) -> list[UserIntent]:
        manager = self.manager
        if events:
            self._is_dirty = True  # hover, press and typing all change what is drawn
        for event in events:
            event = self._from_touch(event)
            if event is not None and not self._is_double_tap(event):
                if event.type == pygame.MOUSEBUTTONDOWN:
                    self._touched(event.pos)
                manager.process_events(event)
        out: list[UserIntent] = []
        # pygame-gui reports presses and edits by posting events: take them now, leave the rest queued.
        for event in pygame.event.get(eventtype=[pygame_gui.UI_BUTTON_PRESSED, pygame_gui.UI_TEXT_ENTRY_CHANGED,
                                                 pygame_gui.UI_TEXT_ENTRY_FINISHED]):
            out.extend(self._intents_from(event))
        return out

    def _to_logical(self, pos: tuple[float, float]) -> tuple[int, int]:
        """A point on the panel (as SDL reports it) in the UI's own coordinates, undoing the rotation."""
        px, py = pos
        w, h = self.size
        if self.rotation == 90:
            return round(py), round(h - 1 - px)
        if self.rotation == 180:
            return round(w - 1 - px), round(h - 1 - py)
        if self.rotation == 270:
            return round(w - 1 - py), round(px)
        return round(px), round(py)

    def _from_touch(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION) and getattr(
            event, "touch", False
        ):
            return None  # SDL's copy of a finger event: the FINGER event itself is used
        if event.type in (pygame.FINGERDOWN, pygame.FINGERUP):
            panel_w, panel_h = (self.size[1], self.size[0]) if self.rotation in (90, 270) else self.size
            pos = self._to_logical((event.x * panel_w, event.y * panel_h))
            kind = pygame.MOUSEBUTTONDOWN if event.type == pygame.FINGERDOWN else pygame.MOUSEBUTTONUP
            return pygame.event.Event(kind, pos=pos, button=1, touch=False)
        if event.type == pygame.FINGERMOTION:
            return None
        if self.rotation and hasattr(event, "pos"):
            return pygame.event.Event(event.type, {**event.dict, "pos": self._to_logical(event.pos)})
        return event

    def _is_double_tap(self, event: pygame.event.Event) -> bool:
        """Drop the second of two taps on the same spot within ``double_tap_s`` (and its release)."""
        if event.type == pygame.MOUSEBUTTONUP and self._is_dropping_up:
            self._is_dropping_up = False
            return True
        if event.type != pygame.MOUSEBUTTONDOWN:
            return False
        now = time.monotonic()
        last, self._last_tap = self._last_tap, (now, event.pos)
        if last is None or now - last[0] >= self.double_tap_s:
            return False
        near = max(abs(event.pos[0] - last[1][0]), abs(event.pos[1] - last[1][1])) <= self.metrics.min_touch
        self._is_dropping_up = near
        return near

    def _touched(self, pos: tuple[int, int]) -> None:
        """A touch on a field makes it the one the on-screen keyboard types into."""
        for name, entry in self._built.entries.items():
            if entry.alive() and entry.rect.collidepoint(pos) and name in self._built.layouts:
                self._active_field = name
                return

    def _key_pressed(self, key: keyboard.Key) -> list[UserIntent]:
        if key.action == "shift":
            self._is_shifted = not self._is_shifted  # the keyboard is rebuilt with the other case
            return []
        name = self._built.keyboard_field
        entry = self._built.entries.get(name)
        if entry is None:
            return []
        old = entry.get_text()
        new = keyboard.apply(key, old, layout=self._built.keyboard_layout, is_shifted=self._is_shifted,
                             max_length=self._built.max_lengths.get(name, 0))
        if new == old:
            return []
        entry.set_text(new)
        entry.edit_position = len(new)
        self._update_hint(name)
        if self.speech is not None:
            word = {"backspace": "Cancella una lettera", "clear": "Cancella tutto", "prefix": "Prefisso italiano"}
            label = self._t(word[key.action]) if key.action in word else (self._t("Spazio") if key.text == " "
                                                                          else new[-1:] or key.label)
            self.speech.key(label, self._t.language, field_name=name, key_word=self._t("Tasto"))
        return [UserIntent(Intent.SET_FIELD, new, name)]

    def _intents_from(self, event: pygame.event.Event) -> list[UserIntent]:
        element = getattr(event, "ui_element", None)  # another sender's event with the same number: not ours
        if element is None:
            return []
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            key = self._built.keys.get(element)
            if key is not None:
                return self._key_pressed(key)
            if element in self._built.pager:  # a page turn: the next render shows the other page
                self._page = max(0, min(self._built.pages - 1, self._page + self._built.pager[element]))
                return []
            if element in self._built.field_switch:  # large text: another field (and its keyboard)
                self._active_field, self._is_shifted = self._built.field_switch[element], False
                return []
            if element is self._built.message_ok and element is not None:  # read: now the keyboard
                self._message_dismissed = self._built.hint_message
                return []
            action = self._built.actions.get(element)
            return [action] if action is not None else []
        names = {entry: name for name, entry in self._built.entries.items()}
        name = names.get(element)
        if name is None:
            return []
        if event.type == pygame_gui.UI_TEXT_ENTRY_CHANGED:
            self._update_hint(name)
            return [UserIntent(Intent.SET_FIELD, event.ui_element.get_text(), name)]
        return [UserIntent(Intent.NEXT)]  # Enter on a physical keyboard

    # -- drawing and inspection -------------------------------------------------------------------
    def draw(self, *, force: bool = False) -> bool:
        """Draw a frame if anything changed (or ``force``); returns whether one was drawn. A focused text
        field keeps drawing so that its cursor blinks."""
        if self.surface is None:
            raise RuntimeError("KioskUI.start() first")
        focused = self.manager.get_focus_set()
        is_typing = any(isinstance(e, UITextEntryLine) for e in focused) if focused else False
        if not (force or self._is_dirty or is_typing):
            return False
        self._is_dirty = False
        dt = self._clock.tick() / 1000 if self._clock else 0.0
        manager = self.manager
        manager.update(min(dt, 0.1))
        background = self._backgrounds[self._mode]
        if self._overlay:
            background = pygame.Color(0, 0, 0) if self._mode[1] else pygame.Color("#5B6470")
        self.surface.fill(background)
        manager.draw_ui(self.surface)
        if self.rotation:
            self._display.blit(pygame.transform.rotate(self.surface, -self.rotation), (0, 0))
        pygame.display.flip()
        return True

    def screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(path))
        return path

    @property
    def translator(self) -> Translator:
        """The translator of the screen on show (its ``missing`` lists what the language lacked)."""
        return self._t

    @property
    def keyboard_state(self) -> tuple[str, str, bool]:
        """The field the on-screen keyboard types into, its layout and whether shift is on."""
        return self._built.keyboard_field, self._built.keyboard_layout, self._is_shifted

    def element_ids(self) -> list[str]:
        return sorted(self._built.by_id)

    def element(self, element_id: str) -> Any:
        return self._built.by_id[element_id]

    def element_rect(self, element_id: str) -> pygame.Rect:
        try:
            return pygame.Rect(self._built.by_id[element_id].rect)
        except KeyError:
            raise KeyError(f"no element {element_id!r} on screen; there are {self.element_ids()}") from None

    def elements(self) -> list[Any]:
        return list(self._built.elements)
