"""Find a font for the screen's script; fall back to pygame-gui's own Noto Sans.

- Latin and Cyrillic (it en de fr sl ro sq uk): DejaVu Sans (fonts-dejavu-core), which also has €, ✓, ◐.
- Arabic: DejaVu Sans too. It has the Arabic letters with their joining forms (HarfBuzz shapes them),
  and Latin in the same face: SDL_ttf draws a string with one font and has no fallback, and Arabic
  screens are full of Latin (SPID, CIE, emails, the codice fiscale). Noto Sans Arabic has no Latin.
- Chinese (Simplified): WenQuanYi Micro Hei (fonts-wqy-microhei, 5 MB installed, with Latin and
  digits). Noto Sans CJK (fonts-noto-cjk) would be 90 MB on the Pi's SD card for the same screens.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from kiosk.font_files import CJK, DEJAVU

SCRIPTS = {"ar": "arabic", "zh": "cjk"}  # languages that need more than a Latin/Cyrillic font


@dataclass(frozen=True)
class FontChoice:
    name: str  # the font name pygame-gui knows
    regular_path: str = ""  # empty: a font pygame-gui ships (no system font needed)
    bold_path: str = ""
    script: str = "Latn"  # ISO 15924, for HarfBuzz shaping
    is_rtl: bool = False

    @property
    def has_check_mark(self) -> bool:
        # DejaVu Sans has ✓ ◐ ☑ ☐ ⚠; WenQuanYi lacks ☑ ☐ ⚠ (plain [X] and ! instead); the bundled Noto Sans may too
        return bool(self.regular_path) and self.script != "Hani"


def script_of(language: str) -> str:
    """"latin", "arabic" or "cjk": which font a language's screens need."""
    return SCRIPTS.get(language.split("_")[0], "latin")


def _first(candidates: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    for regular, bold in candidates:
        if Path(regular).is_file():
            return regular, bold if bold and Path(bold).is_file() else regular
    return None


def find_font(script: str = "latin") -> FontChoice:
    """The font for ``script``; pygame-gui's bundled Noto fonts when the system has none."""
    if script == "cjk":
        found = _first(CJK)
        return FontChoice("kiosk_cjk", *found, script="Hani") if found else FontChoice("noto_sans_sc", script="Hani")
    found = _first(DEJAVU)
    if script == "arabic":
        return (FontChoice("kiosk_arabic", *found, script="Arab", is_rtl=True) if found
                else FontChoice("noto_sans_ar", script="Arab", is_rtl=True))
    return FontChoice("kiosk_sans", *found) if found else FontChoice("noto_sans")


def font_for(language: str) -> FontChoice:
    return find_font(script_of(language))


LARGE_TEXT_CAP_MM = 7.3  # large-text mode: a capital H at least this tall (EN 301 549 / the issue)
_GENERIC_CAP_RATIO = 0.73  # a sans-serif's cap height per point, for a font file we cannot measure


@functools.cache
def cap_height(path: str, size: int) -> int:
    """The ink height in pixels of a capital H in the font file ``path`` at ``size`` points."""
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    _, _, miny, maxy, _ = pygame.font.Font(path, size).metrics("H")[0]
    return maxy - miny


def size_for_cap(path: str, cap_px: float) -> int:
    """The smallest point size at which a capital H of ``path`` is at least ``cap_px`` pixels tall."""
    if not path:
        return math.ceil(cap_px / _GENERIC_CAP_RATIO)
    size = max(4, math.floor(cap_px / 0.8))
    while cap_height(path, size) < cap_px:
        size += 1
    return size
