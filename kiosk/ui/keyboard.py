"""The large on-screen keyboard: layouts as data, what each key does to the text, and its buttons.

pygame-gui has no on-screen keyboard. A screen that asks for typing places one under its fields with
``place``; the keys are ordinary buttons, so mouse, finger and the size rule work as for any button.
A key never calls the application: ``KioskUI`` looks the pressed button up in ``Built.keys``, edits the
active field with ``apply`` and reports ``SET_FIELD`` like typing on a physical keyboard would.

Layouts (``FieldSpec.keyboard``):

- ``email``: lower-case letters, digits, ``@ . - _`` and whole-domain keys (gmail.com, libero.it …);
- ``phone``: a numeric pad with a ``+39`` key that adds or removes the Italian prefix;
- ``name``: capital letters with the Italian accented ones and the apostrophe; words start upper-case;
- ``code``: the codice fiscale (capital letters and digits); ``digits``: codes and PINs; ``date``;
- ``text``: letters, digits and spaces (document number, issuer).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.ui.builder import LARGE_BUTTON_PADDING, Builder

ITALIAN_PREFIX = "+39"
EMAIL_DOMAINS = ("gmail.com", "libero.it", "virgilio.it", "outlook.it")


@dataclass(frozen=True)
class Key:
    """One key: ``label`` on the button, ``text`` it types; ``action`` for the keys that do something else."""

    label: str
    text: str = ""
    action: str = ""  # "" types text; "backspace", "clear", "shift", "prefix"
    width: float = 1.0  # in key units

    @property
    def key_id(self) -> str:
        return "key:" + (self.action or self.text)

    @property
    def is_secret_safe(self) -> bool:
        """Keys whose name may be spoken even on a PIN screen (they carry no digit)."""
        return bool(self.action)


def _chars(row: str, *, width: float = 1.0) -> list[Key]:
    return [Key(c, c, width=width) for c in row]


BACKSPACE = Key("⌫", action="backspace", width=1.6)
CLEAR = Key("Cancella tutto", action="clear", width=3.0)  # msgid: the label is translated
SHIFT = Key("⇧", action="shift", width=1.6)
SPACE = Key("␣", " ", width=4.0)

LAYOUTS: dict[str, list[list[Key]]] = {
    "email": [
        _chars("1234567890"),
        _chars("qwertyuiop") + [Key("@", "@", width=1.2)],
        _chars("asdfghjkl") + [Key(".", "."), Key("-", "-")],
        _chars("zxcvbnm") + [Key("_", "_"), BACKSPACE],
        [Key(d, d, width=2.4) for d in EMAIL_DOMAINS] + [CLEAR],
    ],
    "phone": [
        _chars("123"), _chars("456"), _chars("789"),
        [Key("+", "+"), Key("0", "0"), Key("⌫", action="backspace")],
        [Key(ITALIAN_PREFIX, action="prefix"), Key(CLEAR.label, action="clear", width=2.0)],
    ],
    "digits": [_chars("123"), _chars("456"), _chars("789"), [Key("0", "0"), Key("⌫", action="backspace", width=2.0)],
               [Key(CLEAR.label, action="clear", width=3.0)]],
    "date": [_chars("123"), _chars("456"), _chars("789"), [Key("/", "/"), Key("0", "0"), Key("⌫", action="backspace")]],
    "name": [
        _chars("QWERTYUIOP") + _chars("ÈÉ"),
        _chars("ASDFGHJKL") + _chars("ÀÌ"),
        _chars("ZXCVBNM") + [Key("'", "'"), Key("-", "-")] + _chars("ÒÙ"),
        [SHIFT, SPACE, CLEAR, BACKSPACE],
    ],
    "code": [
        _chars("1234567890"),
        _chars("QWERTYUIOP"),
        _chars("ASDFGHJKL"),
        _chars("ZXCVBNM") + [CLEAR, BACKSPACE],
    ],
    "text": [
        _chars("1234567890"),
        _chars("QWERTYUIOP") + _chars("ÈÉ"),
        _chars("ASDFGHJKL") + _chars("ÀÌ"),
        _chars("ZXCVBNM") + [Key("'", "'"), Key("-", "-"), Key(".", ".")] + _chars("ÒÙ"),
        [SHIFT, SPACE, CLEAR, BACKSPACE],
    ],
}
# Large text: at most four rows (a key as tall as a line of large text); email's letters and its digits
# and domains are two pages, switched with the 123/abc key (the shift key of this layout).
LARGE_LAYOUTS: dict[str, tuple[list[list[Key]], list[list[Key]]]] = {
    "email": (
        [_chars("qwertyuiop"), _chars("asdfghjkl") + [Key("@", "@")],
         _chars("zxcvbnm") + [Key(".", "."), Key("-", "-"), BACKSPACE],
         [Key("123", action="shift", width=2.0), Key("_", "_"), CLEAR]],
        [_chars("1234567890"), [Key(d, d, width=5.0) for d in EMAIL_DOMAINS[:2]],
         [Key(d, d, width=5.0) for d in EMAIL_DOMAINS[2:]],
         [Key("123", action="shift", width=2.0), Key(".", "."), Key("@", "@"), BACKSPACE]],
    ),
    "text": (
        [_chars("QWERTYUIOP") + _chars("ÈÉ"), _chars("ASDFGHJKL") + _chars("ÀÌ"),
         _chars("ZXCVBNM") + [Key("'", "'"), Key("-", "-"), Key(".", ".")] + _chars("ÒÙ"),
         [SHIFT, SPACE, CLEAR, BACKSPACE]],
    ) * 2,
}


def large_rows(layout: str, *, is_shifted: bool = False) -> list[list[Key]]:
    """The rows of ``layout`` in large-text mode."""
    if layout in LARGE_LAYOUTS:
        return LARGE_LAYOUTS[layout][1 if is_shifted else 0]
    return rows_for(layout)


PLAIN_LABELS = {"⌫": "<-", "⇧": "Aa", "␣": "___"}  # when the font has no such symbols
NUMERIC_UNIT = 140  # px at scale 1: a numeric key is never wider
NUMERIC = frozenset({"phone", "digits", "date"})


def apply(key: Key, text: str, *, layout: str, is_shifted: bool = False, max_length: int = 0) -> str:
    """The field's text after pressing ``key`` (typing always goes at the end, like on a form)."""
    if key.action == "backspace":
        return text[:-1]
    if key.action == "clear":
        return ""
    if key.action == "prefix":
        body = text.replace(" ", "")
        if body.startswith(ITALIAN_PREFIX):
            return body[len(ITALIAN_PREFIX):]
        return ITALIAN_PREFIX + (body[1:] if body.startswith("+") else body)
    if key.action:
        return text  # shift changes the keyboard, not the text
    typed = key.text
    if layout == "email" and typed in EMAIL_DOMAINS:  # a domain key completes the part after the @
        local = text.split("@", 1)[0]
        new = f"{local}@{typed}"
        return new if not max_length or len(new) <= max_length else text
    if layout in ("name", "text") and typed.isalpha():
        at_word_start = not text or text[-1] in " '-"
        if layout == "name":
            typed = typed.upper() if at_word_start != is_shifted else typed.lower()
        else:
            typed = typed.lower() if is_shifted else typed.upper()
    new = text + typed
    if max_length and len(new) > max_length:
        return text
    return new


def rows_for(layout: str) -> list[list[Key]]:
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"no keyboard layout {layout!r}; there are {sorted(LAYOUTS)}") from None


def key_gap(m) -> int:
    return max(6, round((6 if m.is_large else 8) * m.scale))


def numeric_width(m, layout: str) -> int:
    """How wide a numeric pad is: three keys and their gaps (wider rows use the same units)."""
    rows = rows_for(layout)
    units = max(sum(k.width for k in row) for row in rows)
    n = max(len(row) for row in rows)
    return round(units * NUMERIC_UNIT * m.scale + (n - 1) * key_gap(m))


def _label(b: Builder, key: Key, layout: str, is_shifted: bool) -> str:
    label = key.label if b.has_check_mark else PLAIN_LABELS.get(key.label, key.label)
    if key.action == "clear":
        return b.t(key.label)
    if key.action == "shift":
        return "abc" if is_shifted else label
    if layout == "name" and key.text.isalpha() and is_shifted:
        return key.label.lower()
    return label


def large_pad_width(b: Builder, layout: str) -> int:
    """Large text: how wide a numeric pad is: its keys at full size, or its widest key's words."""
    m, gap = b.m, key_gap(b.m)
    font = b.manager.get_theme().get_font(["@key"])
    width = 0
    for row in large_rows(layout):
        unit = round(NUMERIC_UNIT * m.scale)
        need = sum(max(k.width * unit, font.size(_label(b, k, layout, False))[0] + LARGE_BUTTON_PADDING) for k in row)
        width = max(width, round(need) + (len(row) - 1) * gap)
    return width


def _key_row(b: Builder, rect: pygame.Rect, used: pygame.Rect, keys, *, x: float, y: int, h: int, gap: int,
             is_shifted: bool) -> None:
    """One row of key buttons from ``x``: ``keys`` gives (key, label, width); ``used`` grows to hold them."""
    for key, label, w in keys:
        kx = round(x)
        if b.is_mirroring:  # b.button mirrors the rect: pre-mirror it inside ``rect`` so that keys only shift
            kx = rect.left + rect.right - kx - round(w)
        button = b.button(key.key_id, label, pygame.Rect(kx, y, round(w), h), None,
                          kind="@key_on" if key.action == "shift" and is_shifted else "@key")
        b.out.keys[button] = key
        used.union_ip(button.rect)
        x += w + gap


def _place_large(b: Builder, rect: pygame.Rect, *, field_name: str, layout: str, is_shifted: bool) -> pygame.Rect:
    """Large text: rows of keys as tall as a line of text; a key is at least as wide as its words."""
    m = b.m
    rows = large_rows(layout, is_shifted=is_shifted)
    gap = key_gap(m)
    font = b.manager.get_theme().get_font(["@key"])
    h = max(m.min_touch, min(m.line_h + round(6 * m.scale), (rect.h - (len(rows) - 1) * gap) // len(rows)))
    labels = [[_label(b, k, layout, is_shifted) for k in row] for row in rows]
    needs = [[font.size(b.words(w))[0] + LARGE_BUTTON_PADDING for w in row] for row in labels]
    unit = float(NUMERIC_UNIT * m.scale) if layout in NUMERIC else rect.w
    for row, need in zip(rows, needs):  # the largest unit at which every row fits, words included
        room = rect.w - (len(row) - 1) * gap
        for _ in range(3):
            fixed = sum(n for k, n in zip(row, need) if n > k.width * unit)
            units = sum(k.width for k, n in zip(row, need) if n <= k.width * unit)
            if units:
                unit = min(unit, (room - fixed) / units)
    used = b.place(pygame.Rect(rect.left, rect.top, 0, 0))
    for r, (row, row_labels, need) in enumerate(zip(rows, labels, needs)):
        widths = [max(k.width * unit, n) for k, n in zip(row, need)]
        x = rect.left + (rect.w - sum(widths) - (len(row) - 1) * gap) / 2
        y = rect.top + r * (h + gap)
        _key_row(b, rect, used, zip(row, row_labels, widths), x=x, y=y, h=h, gap=gap, is_shifted=is_shifted)
    b.out.keyboard_field, b.out.keyboard_layout = field_name, layout
    if b.is_mirroring:
        used.x = b.m.width - used.right
    return used


def place(b: Builder, rect: pygame.Rect, *, field_name: str, layout: str, is_shifted: bool = False) -> pygame.Rect:
    """The keys of ``layout`` centred in ``rect`` from its top; returns the rect they take."""
    m = b.m
    if m.is_large:
        return _place_large(b, rect, field_name=field_name, layout=layout, is_shifted=is_shifted)
    rows = rows_for(layout)
    gap = key_gap(m)
    tallest = round((96 if layout in NUMERIC else 72) * m.scale)
    h = max(m.min_touch, min(tallest, (rect.h - (len(rows) - 1) * gap) // len(rows)))
    units = max(sum(k.width for k in row) for row in rows)
    n_max = max(len(row) for row in rows)
    unit = (rect.w - (n_max - 1) * gap) / units
    if layout in NUMERIC:
        unit = min(unit, round(NUMERIC_UNIT * m.scale))
    unit = max(unit, m.min_touch)
    top = rect.top
    used = b.place(pygame.Rect(rect.left, rect.top, 0, 0))  # grows in the coordinates the buttons land in
    is_mirroring = b.is_mirroring  # right to left: the keyboard moves to the mirrored place, its keys keep their order
    for r, row in enumerate(rows):
        row_w = sum(k.width for k in row) * unit + (len(row) - 1) * gap
        x = rect.left + (rect.w - row_w) / 2
        y = top + r * (h + gap)
        keys = ((key, _label(b, key, layout, is_shifted), key.width * unit) for key in row)
        _key_row(b, rect, used, keys, x=x, y=y, h=h, gap=gap, is_shifted=is_shifted)
    b.out.keyboard_field, b.out.keyboard_layout = field_name, layout
    if is_mirroring:  # in the screen's own (unmirrored) coordinates, like ``rect``
        used.x = b.m.width - used.right
    return used
