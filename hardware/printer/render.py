"""Render ESC/POS bytes to a picture of the receipt (for previews, tests and the bench).

Understands what python-escpos sends for receipts: text in the selected code page (ESC t),
ESC @, ESC !, ESC E/G (bold), ESC - (underline), ESC a (alignment), ESC M (font), GS ! (size),
GS B (reverse), ESC 2/3 (line spacing), LF, ESC d/J (feed), GS V (cut, drawn as a dashed line),
GS v 0 (raster images) and native QR codes (GS ( k). Other commands are skipped by their length.
"""

from __future__ import annotations

import codecs
import functools
import os
from dataclasses import dataclass, replace

import qrcode
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
CELL = {0: (12, 24), 1: (9, 17)}  # Font A, Font B: dots per character
LINE_SPACING = 30  # dots: the ESC 2 default, about 1/6 inch
MARGIN = 16
QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
         50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}
# bytes of arguments after ESC x / GS x for fixed-length commands we skip or read
ESC_ARGS = {0x20: 1, 0x21: 1, 0x25: 1, 0x2D: 1, 0x32: 0, 0x33: 1, 0x3D: 1, 0x3F: 1, 0x40: 0,
            0x44: 0, 0x45: 1, 0x47: 1, 0x4A: 1, 0x4D: 1, 0x52: 1, 0x54: 1, 0x56: 1, 0x61: 1,
            0x64: 1, 0x69: 0, 0x6D: 0, 0x70: 3, 0x74: 1, 0x7B: 1, 0x63: 2, 0x4C: 0, 0x53: 0,
            0x24: 2, 0x5C: 2, 0x55: 1, 0x72: 1, 0x4B: 0}
GS_ARGS = {0x21: 1, 0x42: 1, 0x48: 1, 0x49: 1, 0x4C: 2, 0x50: 2, 0x57: 2, 0x61: 1, 0x62: 1,
           0x66: 1, 0x68: 1, 0x72: 1, 0x77: 1, 0x2F: 1, 0x24: 2, 0x5C: 2, 0x54: 1}


@dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font: int = 0
    width: int = 1
    height: int = 1


@dataclass(frozen=True)
class Glyph:
    char: str
    style: Style


def render(data: bytes, *, width_px: int = 576) -> Image.Image:
    """A black-on-white picture of what the printer would print, ``width_px`` dots wide."""
    return _Renderer(width_px).run(bytes(data))


class _Renderer:
    def __init__(self, width_px: int) -> None:
        self.width = width_px
        self.blocks: list[Image.Image] = [_blank(width_px, MARGIN)]
        self._init()
        self.qr_data = b""
        self.qr_size = 3
        self.qr_ec = qrcode.constants.ERROR_CORRECT_M

    def _init(self) -> None:
        self.style = Style()
        self.align = 0
        self.spacing = LINE_SPACING
        self.codec = "cp437"
        self.line: list[Glyph] = []

    # -- parsing ------------------------------------------------------------------------------

    def run(self, data: bytes) -> Image.Image:
        i, n = 0, len(data)
        while i < n:
            b = data[i]
            if b == 0x1B and i + 1 < n:
                i = self._esc(data, i + 1)
            elif b == 0x1D and i + 1 < n:
                i = self._gs(data, i + 1)
            elif b == 0x1C and i + 1 < n:
                i = self._fs(data, i + 1)
            elif b == 0x10 and i + 1 < n:  # DLE EOT n / DLE ENQ n: real-time status, no output
                i += 3
            elif b == 0x0A:
                self._flush(empty_feeds=True)
                i += 1
            elif b == 0x09:
                col = self._columns_used()
                self._text(" " * (8 - col % 8))
                i += 1
            elif b < 0x20 or b == 0x7F:
                i += 1
            else:
                j = i
                while j < n and data[j] >= 0x20 and data[j] != 0x7F:
                    j += 1
                self._text(data[i:j].decode(self.codec, errors="replace"))
                i = j
        self._flush(empty_feeds=False)
        self.blocks.append(_blank(self.width, MARGIN))
        return _stack(self.blocks, self.width)

    def _esc(self, d: bytes, i: int) -> int:
        cmd, arg = d[i], d[i + 1] if i + 1 < len(d) else 0
        s = self.style
        if cmd == 0x40:
            self._flush(empty_feeds=False)
            self._init()
        elif cmd == 0x21:
            self.style = replace(s, font=arg & 1, bold=bool(arg & 8), height=2 if arg & 16 else 1,
                                 width=2 if arg & 32 else 1, underline=bool(arg & 128))
        elif cmd in (0x45, 0x47):
            self.style = replace(s, bold=bool(arg & 1))
        elif cmd == 0x2D:
            self.style = replace(s, underline=arg in (1, 2, 49, 50))
        elif cmd == 0x4D:
            self.style = replace(s, font=1 if arg in (1, 49) else 0)
        elif cmd == 0x61:
            self.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(arg, 0)
        elif cmd == 0x74:
            self.codec = _codec(arg)
        elif cmd == 0x32:
            self.spacing = LINE_SPACING
        elif cmd == 0x33:
            self.spacing = arg
        elif cmd == 0x64:
            self._flush(empty_feeds=False)
            self.blocks.append(_blank(self.width, arg * self.spacing))
        elif cmd == 0x4A:
            self._flush(empty_feeds=False)
            self.blocks.append(_blank(self.width, arg))
        elif cmd == 0x2A:  # ESC * m nL nH: column bit image, skipped
            count = d[i + 2] + 256 * d[i + 3] if i + 3 < len(d) else 0
            return i + 4 + count * (3 if arg in (32, 33) else 1)
        return i + 1 + ESC_ARGS.get(cmd, 0)

    def _gs(self, d: bytes, i: int) -> int:
        cmd, arg = d[i], d[i + 1] if i + 1 < len(d) else 0
        if cmd == 0x21:
            self.style = replace(self.style, width=(arg >> 4 & 7) + 1, height=(arg & 7) + 1)
        elif cmd == 0x42:
            self.style = replace(self.style, invert=bool(arg & 1))
        elif cmd == 0x56:
            self._flush(empty_feeds=False)
            self._cut()
            return i + (3 if arg in (65, 66, 97, 98, 103, 104) else 2)
        elif cmd == 0x76 and arg == 0x30:
            return self._raster(d, i + 2)
        elif cmd in (0x28, 0x38):  # GS ( x pL pH ... / GS 8 L p1..p4 ...
            return self._extended(d, i)
        elif cmd == 0x6B:  # barcode: skipped
            if arg <= 6:
                end = d.find(b"\0", i + 2)
                return len(d) if end < 0 else end + 1
            return i + 3 + (d[i + 2] if i + 2 < len(d) else 0)
        return i + 1 + GS_ARGS.get(cmd, 0)

    def _fs(self, d: bytes, i: int) -> int:
        cmd = d[i]
        if cmd == 0x28 and i + 3 < len(d):  # FS ( x pL pH
            return i + 4 + d[i + 2] + 256 * d[i + 3]
        return i + 1 + {0x70: 2, 0x21: 1, 0x2D: 1, 0x53: 2, 0x57: 1, 0x43: 1}.get(cmd, 0)

    def _extended(self, d: bytes, i: int) -> int:
        if d[i] == 0x38:  # GS 8 L p1 p2 p3 p4
            if i + 5 >= len(d):
                return len(d)
            return i + 6 + int.from_bytes(d[i + 2 : i + 6], "little")
        if i + 3 >= len(d):
            return len(d)
        fn_class, length = d[i + 1], d[i + 2] + 256 * d[i + 3]
        body = d[i + 4 : i + 4 + length]
        if fn_class == 0x6B and len(body) >= 2 and body[0] == 49:
            self._qr(body[1], body[2:])
        return i + 4 + length

    # -- content ------------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        for char in text:
            if self._line_width() + self._cell(self.style)[0] > self.width:
                self._flush(empty_feeds=False)
            self.line.append(Glyph(char, self.style))

    def _cell(self, style: Style) -> tuple[int, int]:
        w, h = CELL[style.font]
        return w * style.width, h * style.height

    def _line_width(self) -> int:
        return sum(self._cell(g.style)[0] for g in self.line)

    def _columns_used(self) -> int:
        return self._line_width() // CELL[self.style.font][0]

    def _flush(self, *, empty_feeds: bool) -> None:
        if not self.line:
            if empty_feeds:
                self.blocks.append(_blank(self.width, self.spacing))
            return
        height = max(self._cell(g.style)[1] for g in self.line)
        block = _blank(self.width, max(self.spacing, height + 2))
        x = self._x(self._line_width())
        for glyph in self.line:
            w, h = self._cell(glyph.style)
            block.paste(_glyph(glyph.char, glyph.style, w, h), (x, height - h))
            x += w
        self.blocks.append(block)
        self.line = []

    def _x(self, content_width: int) -> int:
        spare = max(self.width - content_width, 0)
        return (0, spare // 2, spare)[self.align]

    def _place(self, image: Image.Image) -> None:
        block = _blank(self.width, image.height)
        block.paste(image, (self._x(image.width), 0))
        self.blocks.append(block)

    def _cut(self) -> None:
        block = _blank(self.width, 40)
        draw = ImageDraw.Draw(block)
        for x in range(0, self.width, 16):
            draw.line((x, 20, x + 8, 20), fill=0, width=2)
        self.blocks.append(block)

    def _raster(self, d: bytes, i: int) -> int:
        if i + 4 >= len(d):
            return len(d)
        mode = d[i]
        row_bytes, rows = d[i + 1] + 256 * d[i + 2], d[i + 3] + 256 * d[i + 4]
        body = d[i + 5 : i + 5 + row_bytes * rows]
        if row_bytes and rows and len(body) == row_bytes * rows:
            self._flush(empty_feeds=False)
            bits = Image.frombytes("1", (row_bytes * 8, rows), bytes(b ^ 0xFF for b in body))
            scale_x, scale_y = (2 if mode & 1 else 1), (2 if mode & 2 else 1)
            image = bits.convert("L").resize((row_bytes * 8 * scale_x, rows * scale_y), Image.Resampling.NEAREST)
            self._place(image)
        return i + 5 + row_bytes * rows

    def _qr(self, fn: int, args: bytes) -> None:
        if fn == 67 and args:
            self.qr_size = max(1, min(args[0], 16))
        elif fn == 69 and args:
            self.qr_ec = QR_EC.get(args[0], self.qr_ec)
        elif fn == 80 and args:
            self.qr_data = args[1:]
        elif fn == 81 and self.qr_data:
            self._flush(empty_feeds=False)
            code = qrcode.QRCode(error_correction=self.qr_ec, box_size=self.qr_size, border=4)
            code.add_data(self.qr_data)
            code.make(fit=True)
            self._place(code.make_image(fill_color="black", back_color="white").get_image().convert("L"))


@functools.cache
def _codec(page: int) -> str:
    from escpos import capabilities  # the code page numbers are python-escpos's data

    pages = capabilities.get_profile("default").profile_data["codePages"]  # "19" -> "CP858"
    name = pages.get(str(page)) or "CP437"
    try:
        return codecs.lookup(name.replace("_", "-")).name
    except LookupError:
        return "cp437"


def _blank(width: int, height: int) -> Image.Image:
    return Image.new("L", (width, max(height, 0)), 255)


def _stack(blocks: list[Image.Image], width: int) -> Image.Image:
    page = _blank(width, sum(b.height for b in blocks))
    y = 0
    for block in blocks:
        page.paste(block, (0, y))
        y += block.height
    return page


@functools.lru_cache(maxsize=2048)
def _glyph(char: str, style: Style, width: int, height: int) -> Image.Image:
    base_w, base_h = CELL[style.font]
    font, fake_bold = _font(style.bold, round(base_h * 0.83) * style.height)
    cell = Image.new("L", (base_w * style.height, height), 255)
    draw = ImageDraw.Draw(cell)
    draw.text((0, 0), char, font=font, fill=0, stroke_width=1 if fake_bold else 0, stroke_fill=0)
    if style.underline:
        draw.line((0, height - 2, cell.width, height - 2), fill=0, width=max(style.height, 1) * 2)
    image = cell.resize((width, height), Image.Resampling.LANCZOS) if cell.width != width else cell
    if style.invert:
        image = image.point(lambda v: 255 - v)
    return image.point(lambda v: 0 if v < 150 else 255)


@functools.lru_cache(maxsize=32)
def _font(bold: bool, size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for folder in FONT_DIRS:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return ImageFont.truetype(path, size), False
    return ImageFont.load_default(size=size), bold
