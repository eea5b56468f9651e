"""The service mode and the screen saver drawn with plain pygame (technicians' screens are not citizens'
screens: no theme, large plain buttons). Words come from the ``service`` catalogue through
``ServiceMode.t``: Italian when ``[journey] default_language`` is Italian, else English.
``tap(pos)`` maps a touch to a button name."""

from __future__ import annotations

import pygame

from kiosk.appliance.service import PAGES, ServiceMode

BG, FG, DIM, ACCENT, WARN = (24, 28, 36), (235, 238, 242), (150, 156, 168), (40, 110, 200), (200, 70, 60)
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok")
ACTIONS = {
    "devices": ("test_page", "live_view", "read_card", "test_leds", "resume"),
    "queue": ("sync", "export_usb"),
    "doctor": ("rerun",),
    "logs": (),
    "config": (),
}
LABELS = {"back": "<-", "ok": "OK", "card": "Technician card", "test_page": "Test page", "live_view": "Camera view",
          "read_card": "Read card", "test_leds": "LEDs", "resume": "Resume kiosk", "sync": "Sync now",
          "export_usb": "Export to USB", "rerun": "Run again", "reboot": "Reboot", "exit": "Exit",
          "page:devices": "Devices", "page:queue": "Queue", "page:doctor": "Doctor", "page:logs": "Logs",
          "page:config": "Config"}  # msgids of the ``service`` catalogue
LOGIN_TITLE = "Service mode: technician PIN, or your card and its PIN"


class ServiceScreen:
    def __init__(self, service: ServiceMode, size: tuple[int, int]) -> None:
        self.service = service
        self.size = size
        self.buttons: dict[str, pygame.Rect] = {}
        self._font: pygame.font.Font | None = None
        self._small: pygame.font.Font | None = None

    def _fonts(self) -> tuple[pygame.font.Font, pygame.font.Font]:
        if self._font is None:
            from kiosk.ui.fonts import find_font

            path = find_font().regular_path or None
            height = self.size[1]
            self._font = pygame.font.Font(path, max(18, height // 24))
            self._small = pygame.font.Font(path, max(12, height // 40))
        return self._font, self._small

    # -- layout -------------------------------------------------------------------------------------
    def layout(self) -> dict[str, pygame.Rect]:
        w, h = self.size
        s = self.service.state
        buttons: dict[str, pygame.Rect] = {}
        if not s.is_logged_in:
            key_w, key_h = w // 8, h // 8
            left, top = (w - 3 * key_w) // 2, h // 4
            for i, key in enumerate(KEYPAD):
                buttons[key] = pygame.Rect(left + (i % 3) * key_w, top + (i // 3) * key_h, key_w - 8, key_h - 8)
            buttons["card"] = pygame.Rect(left, top + 4 * key_h, 3 * key_w - 8, key_h - 8)
            buttons["exit"] = pygame.Rect(w - w // 6 - 10, 10, w // 6, h // 10)
            return buttons
        tab_w, tab_h = w // 6, h // (len(PAGES) + 3)
        for i, page in enumerate(PAGES):
            buttons["page:" + page] = pygame.Rect(8, 8 + i * tab_h, tab_w - 8, tab_h - 8)
        buttons["reboot"] = pygame.Rect(8, 8 + (len(PAGES) + 0.5) * tab_h, tab_w - 8, tab_h - 8)
        buttons["exit"] = pygame.Rect(8, 8 + (len(PAGES) + 1.5) * tab_h, tab_w - 8, tab_h - 8)
        act_w = (w - tab_w - 16) // 5
        for i, action in enumerate(ACTIONS.get(s.page, ())):
            buttons[action] = pygame.Rect(tab_w + 8 + i * act_w, h - h // 8, act_w - 8, h // 8 - 8)
        return buttons

    def tap(self, pos: tuple[int, int]) -> str:
        for name, rect in self.layout().items():
            if rect.collidepoint(pos):
                return name
        return ""

    # -- drawing ------------------------------------------------------------------------------------
    @property
    def title_width(self) -> int:
        """Room for the login title: left of the exit button."""
        return self.size[0] - self.size[0] // 6 - 10 - 20 - 16

    def _fit(self, text: str, width: int) -> pygame.Surface:
        """``text`` in the large font, or the small one when the large does not fit ``width``."""
        font, small = self._fonts()
        return font.render(text, True, FG) if font.size(text)[0] <= width else small.render(text, True, FG)

    def draw(self, surface: pygame.Surface, *, camera_frame=None) -> None:
        font, small = self._fonts()
        s = self.service.state
        surface.fill(BG)
        self.buttons = self.layout()
        for name, rect in self.buttons.items():
            label = self.service.t(LABELS.get(name, name))
            is_current = name == "page:" + s.page
            pygame.draw.rect(surface, ACCENT if is_current or name in ("ok", "card") else (60, 66, 80), rect,
                             border_radius=8)
            text = font.render(label, True, FG)
            if text.get_width() > rect.width - 8:
                text = small.render(label, True, FG)
            surface.blit(text, text.get_rect(center=rect.center))
        w, h = self.size
        if not s.is_logged_in:
            title = self._fit(self.service.t(LOGIN_TITLE), self.title_width)
            surface.blit(title, (20, 20))
            dots = font.render("*" * len(s.pin) or "-", True, FG)
            surface.blit(dots, dots.get_rect(center=(w // 2, h // 4 - h // 16)))
        else:
            x = w // 6 + 8
            y = 12
            header = self._fit(f"{self.service.t(LABELS['page:' + s.page])}  -  {s.message}", w - x - 16)
            surface.blit(header, (x, y))
            y += font.get_linesize() + 6
            if s.is_live_view and camera_frame is not None:
                frame = pygame.image.frombuffer(camera_frame.tobytes(), (camera_frame.shape[1], camera_frame.shape[0]),
                                                "RGB")
                box = pygame.Rect(x, y, w - x - 16, h - y - h // 8 - 16)
                scaled = pygame.transform.smoothscale(frame, box.size)
                surface.blit(scaled, box)
            else:
                for line in s.lines:
                    color = WARN if line.startswith("FAIL") or self.service.t("LOCKED (tamper)") in line else FG
                    surface.blit(small.render(line[:160], True, color), (x, y))
                    y += small.get_linesize()
                    if y > h - h // 8 - small.get_linesize():
                        break
        if s.message and not s.is_logged_in:
            msg = small.render(s.message, True, WARN)
            surface.blit(msg, (20, h - small.get_linesize() - 12))


class ScreenSaver:
    """A dark screen with the town hall's name drifting slowly (no burn-in, never one flat colour, so the
    watchdog does not take it for a blank screen)."""

    def __init__(self, size: tuple[int, int], *, text: str) -> None:
        self.size = size
        self.text = text
        self._font: pygame.font.Font | None = None

    def draw(self, surface: pygame.Surface, now: float) -> None:
        if self._font is None:
            from kiosk.ui.fonts import find_font

            self._font = pygame.font.Font(find_font().regular_path or None, max(18, self.size[1] // 20))
        surface.fill((0, 0, 0))
        label = self._font.render(self.text, True, (70, 70, 70))
        w, h = self.size
        span_x, span_y = max(w - label.get_width(), 1), max(h - label.get_height(), 1)
        t = int(now) // 10  # moves every ten seconds
        surface.blit(label, ((t * 97) % span_x, (t * 61) % span_y))


UPDATING = "Aggiornamento in corso: torniamo tra un minuto."


class UpdatingNotice:
    """Over the welcome screen while the updater holds the update lock: "updating, back in a minute" in
    the kiosk's language (a citizen-facing message, in every catalogue), on a dimmed copy of the screen.
    Drawn with the language's font: Arabic shaped and right to left (lines broken in reading order,
    then each prepared by ``bidi.visual_rtl``), Chinese broken between characters."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._fonts: dict[str, pygame.font.Font] = {}
        self._font: pygame.font.Font | None = None  # the last language's
        self._backdrop: pygame.Surface | None = None

    def text(self, language: str) -> str:
        from kiosk.ui.i18n import Translator

        return Translator(language)(UPDATING)

    def font(self, language: str) -> pygame.font.Font:
        from kiosk.ui.fonts import font_for

        if language not in self._fonts:
            choice = font_for(language)
            font = pygame.font.Font(choice.bold_path or choice.regular_path or None, max(20, self.size[1] // 16))
            if choice.regular_path and choice.script != "Latn":
                font.set_script(choice.script)  # HarfBuzz shapes the script (Arabic joining forms)
            if choice.is_rtl:
                font.set_direction(pygame.DIRECTION_RTL)
            self._fonts[language] = font
        self._font = self._fonts[language]
        return self._font

    def lines(self, text: str, width: int, *, language: str = "it") -> list[str]:
        """``text`` broken into lines ``width`` px wide, in reading order: at spaces, and between the
        characters of a word too wide on its own (Chinese has no spaces)."""
        font = self.font(language)
        lines = [""]
        for word in text.split():
            pieces = [word] if font.size(word)[0] <= width else list(word)
            for i, piece in enumerate(pieces):
                joiner = " " if i == 0 and lines[-1] else ""
                candidate = lines[-1] + joiner + piece
                if lines[-1] and font.size(candidate)[0] > width:
                    lines.append(piece)
                else:
                    lines[-1] = candidate
        return lines

    def draw(self, surface: pygame.Surface, *, language: str) -> None:
        from kiosk.ui.bidi import is_rtl, visual_rtl

        font = self.font(language)
        if self._backdrop is None:  # the welcome screen as it was, dimmed once
            self._backdrop = surface.copy()
            shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            shade.fill((0, 0, 0, 160))
            self._backdrop.blit(shade, (0, 0))
        surface.blit(self._backdrop, (0, 0))
        w, h = self.size
        box = pygame.Rect(w // 10, h // 3, w - w // 5, h // 3)
        pygame.draw.rect(surface, (250, 250, 250), box, border_radius=16)
        lines = self.lines(self.text(language), box.width - 48, language=language)
        line_h = font.get_linesize()
        y = box.centery - line_h * len(lines) // 2
        for line in lines:
            label = font.render(visual_rtl(line) if is_rtl(language) else line, True, (20, 24, 32))
            surface.blit(label, label.get_rect(midtop=(box.centerx, y)))
            y += line_h

    def reset(self) -> None:
        self._backdrop = None
