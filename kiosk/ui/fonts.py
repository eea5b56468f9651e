"""Find a font that covers Italian accents, €, č/š/ž (Slovene) and ✓; fall back to pygame-gui's own Noto Sans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)


@dataclass(frozen=True)
class FontChoice:
    name: str  # the font name pygame-gui knows
    regular_path: str = ""  # empty: a font pygame-gui ships (no system font needed)
    bold_path: str = ""

    @property
    def has_check_mark(self) -> bool:
        return bool(self.regular_path)  # DejaVu Sans has ✓ and ◐; the bundled Noto Sans may not


def find_font() -> FontChoice:
    for regular, bold in _CANDIDATES:
        if Path(regular).is_file():
            return FontChoice("kiosk_sans", regular, bold if Path(bold).is_file() else regular)
    return FontChoice("noto_sans")
