"""WCAG 2.2 contrast computed from a theme JSON: every text colour against the background it is drawn on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

STATES = ("normal", "hovered", "active", "selected", "disabled")
LARGE_PX = 24.0  # 18 pt
LARGE_BOLD_PX = 18.67  # 14 pt bold


def _channel(c: int) -> float:
    v = c / 255
    return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    h = colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def ratio(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@dataclass(frozen=True)
class Pair:
    element: str  # theme block, e.g. "@primary"
    state: str
    fg: str
    bg: str
    size_px: float
    is_bold: bool

    @property
    def is_large(self) -> bool:
        return self.size_px >= LARGE_PX or (self.is_bold and self.size_px >= LARGE_BOLD_PX)

    @property
    def required(self) -> float:
        return 3.0 if self.is_large else 4.5

    @property
    def ratio(self) -> float:
        return ratio(self.fg, self.bg)


def pairs(theme: dict) -> Iterator[Pair]:
    """Every (text, background) a theme block draws, state by state, with the font it uses."""
    defaults = theme.get("defaults", {})
    base_colours = defaults.get("colours", {})
    for name, block in theme.items():
        if not isinstance(block, dict):
            continue
        colours = block.get("colours", {})
        font = {**defaults.get("font", {}), **block.get("font", {})}
        size, is_bold = float(font.get("size", 30)), str(font.get("bold", "0")) == "1"
        for state in STATES:
            fg = colours.get(f"{state}_text")
            if fg is None:
                continue
            bg = colours.get(f"{state}_bg") or colours.get("dark_bg") or base_colours.get("dark_bg")
            yield Pair(name, state, fg, bg, size, is_bold)
