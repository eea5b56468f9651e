"""The kiosk's fonts for text drawn as pictures (receipt lines the printer's code page cannot hold).

DejaVu Sans covers Latin (Italian, Romanian ș ț, Slovene č š ž), Cyrillic and Arabic; scripts it
lacks (Chinese) come from the first installed fallback that draws every letter of the text. Arabic
needs Pillow's raqm layout (shaping and right-to-left order); without it no font "draws" Arabic.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk.font_files import CJK, DEJAVU  # DejaVu Sans first (the UI's font too), then scripts it lacks

EDGE_PX = 8  # glyphs may overhang their advance: keep them off the paper's edge
_MISSING = "\U0010fffd"  # a private-use code point no font draws: its picture is the "missing glyph" box
_RTL_SCRIPTS = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


@functools.cache
def _installed() -> tuple[tuple[str, str], ...]:
    """(regular, bold) of the candidate fonts installed, in order; looked up once."""
    found = []
    for regular, bold in DEJAVU + CJK:
        if Path(regular).is_file():
            found.append((regular, bold if bold and Path(bold).is_file() else regular))
    return tuple(found)


def has_layout_engine() -> bool:
    """Pillow can shape Arabic and order right-to-left text (libraqm with FriBiDi)."""
    from PIL import features

    return bool(features.check("raqm"))


def _needs_layout(text: str) -> bool:
    return any(lo <= ord(c) <= hi for c in text for lo, hi in _RTL_SCRIPTS)


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=4096)
def _draws(path: str, char: str) -> bool:
    if char.isspace():
        return True
    font = _font(path, 24)
    missing = font.getmask(_MISSING)
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def _font_path(text: str, *, bold: bool) -> str | None:
    if _needs_layout(text) and not has_layout_engine():
        return None
    for regular, bold_path in _installed():
        if all(_draws(regular, c) for c in set(text)):
            return bold_path if bold else regular
    return None


def can_draw(texts: Iterable[str]) -> bool:
    """Every letter of every text has a glyph in one installed font (and can be shaped)."""
    return all(_font_path(text, bold=False) is not None for text in texts)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, direction: str | None) -> list[str]:
    def fits(s: str) -> bool:
        return font.getlength(s, direction=direction) <= width

    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        while not fits(word):  # a word wider than the paper (or a script without spaces): break it
            cut = max((n for n in range(1, len(word)) if fits(word[:n])), default=1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def draw_paragraph(
    text: str, *, width_px: int, size_px: int, bold: bool = False, align: str = "left", is_rtl: bool = False,
) -> Image.Image:
    """``text`` wrapped to ``width_px`` dots, black on white (mode "1"), each line ``size_px`` tall letters."""
    path = _font_path(text, bold=bold)
    if path is None:
        raise LookupError("no installed font draws this text")
    stroke = 1 if bold and path == _font_path(text, bold=False) else 0  # a font without a bold face
    font = _font(path, round(size_px * 0.9))
    direction = "rtl" if is_rtl and has_layout_engine() else None
    lines = _wrap(text, font, width_px - EDGE_PX, direction)
    line_height = round(size_px * 1.3)
    image = Image.new("L", (width_px, line_height * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        length = font.getlength(line, direction=direction)
        x = {"left": 0, "center": (width_px - length) / 2, "right": width_px - length}[align]
        draw.text((x, i * line_height + size_px * 0.05), line, font=font, fill=0, direction=direction,
                  stroke_width=stroke, stroke_fill=0)
    return image.point(lambda v: 0 if v < 140 else 255).convert("1")
