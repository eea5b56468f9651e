"""Labelled text fields laid out in a grid (shared by the screens where the citizen types)."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.ui.builder import Builder, Column
from kiosk.ui.hints import has_live_hint


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # msgid
    hint: str = ""  # msgid shown after the label, e.g. the date format
    initial: str = ""
    is_masked: bool = False
    max_length: int = 0
    keyboard: str = ""  # the on-screen keyboard layout for this field (kiosk.ui.keyboard.LAYOUTS)
    is_marked: bool = False  # differs from the document: its label is shown as an error, with a mark


def _label(b: Builder, spec: FieldSpec, rect: pygame.Rect) -> None:
    words = b.t(spec.label) + (f"  ({b.t(spec.hint)})" if spec.hint else "")
    if spec.is_marked:
        b.label("» " + words, rect, kind="@hint_error", element_id=f"label:{spec.name}", smaller="@hint_error_small")
    else:
        b.label(words, rect, element_id=f"label:{spec.name}", smaller="@field_label_small")


def field_grid(b: Builder, area: pygame.Rect, specs: list[FieldSpec], *, columns: int = 1) -> pygame.Rect:
    """Place the fields (label above, or beside when three or more share one column); returns the space left."""
    m, s = b.m, b.m.scale
    if columns == 1 and len(specs) >= 3:
        return _inline(b, area, specs)
    label_h, entry_h = round(44 * s), max(m.min_touch, round(92 * s))
    row_h = label_h + entry_h + round(22 * s)
    col_w = (area.w - (columns - 1) * m.gap * 2) // columns
    for i, spec in enumerate(specs):
        row, col = divmod(i, columns)
        x, y = area.left + col * (col_w + m.gap * 2), area.top + row * row_h
        _label(b, spec, pygame.Rect(x, y, col_w, label_h))
        b.entry(spec.name, pygame.Rect(x, y + label_h, col_w, entry_h), initial=spec.initial,
                is_masked=spec.is_masked, max_length=spec.max_length, layout=spec.keyboard)
    rows = (len(specs) + columns - 1) // columns
    top = area.top + rows * row_h
    return pygame.Rect(area.left, top, area.w, max(0, area.bottom - top))


def _inline(b: Builder, area: pygame.Rect, specs: list[FieldSpec], *, entry_h: int = 0, gap: int = 0) -> pygame.Rect:
    m = b.m
    entry_h = entry_h or max(m.min_touch, round(92 * m.scale))
    gap = gap or m.gap
    label_w = round(area.w * 0.36)
    y = area.top
    for spec in specs:
        _label(b, spec, pygame.Rect(area.left, y, label_w - m.gap, entry_h))
        b.entry(spec.name, pygame.Rect(area.left + label_w, y, area.w - label_w, entry_h), initial=spec.initial,
                is_masked=spec.is_masked, max_length=spec.max_length, layout=spec.keyboard)
        y += entry_h + gap
    return pygame.Rect(area.left, y, area.w, max(0, area.bottom - y))


def _stacked(b: Builder, area: pygame.Rect, specs: list[FieldSpec], *, columns: int, entry_h: int,
             gap: int) -> pygame.Rect:
    """Compact rows, each label right above its field; returns the space left under them."""
    m = b.m
    label_h = round(34 * m.scale)
    per_row = label_h + entry_h + gap
    col_w = (area.w - (columns - 1) * m.gap * 2) // columns
    for i, spec in enumerate(specs):
        row, col = divmod(i, columns)
        x, y = area.left + col * (col_w + m.gap * 2), area.top + row * per_row
        _label(b, spec, pygame.Rect(x, y, col_w, label_h))
        b.entry(spec.name, pygame.Rect(x, y + label_h, col_w, entry_h), initial=spec.initial,
                is_masked=spec.is_masked, max_length=spec.max_length, layout=spec.keyboard)
    top = area.top + ((len(specs) + columns - 1) // columns) * per_row
    return pygame.Rect(area.left, top, area.w, max(0, area.bottom - top))


def active_spec(b: Builder, specs: list[FieldSpec]) -> FieldSpec:
    """The field the keyboard types into: the one last touched, else the first still empty."""
    for spec in specs:
        if spec.name == b.active_field:
            return spec
    for spec in specs:
        if not b.saved_text.get(spec.name, spec.initial):
            return spec
    return specs[0]


def typing_area(b: Builder, area: pygame.Rect, specs: list[FieldSpec]) -> pygame.Rect:
    """Fields, the live hint and the on-screen keyboard; returns the space left for other words.

    A numeric pad sits on the right with the fields on the left; a full keyboard takes the lower part
    with the fields in compact rows above it.
    """
    from kiosk.ui import keyboard

    m = b.m
    if m.is_large:
        return _large_typing(b, area, specs)
    active = active_spec(b, specs)
    hint_h = round(40 * m.scale)
    if active.keyboard in keyboard.NUMERIC:
        pad_w = keyboard.numeric_width(m, active.keyboard)
        left = pygame.Rect(area.left, area.top, area.w - pad_w - m.gap * 2, area.h)
        if len(specs) > 3:  # many fields: each label above its field, so long labels keep their room
            rest = _stacked(b, left, specs, columns=1, entry_h=max(m.min_touch, round(56 * m.scale)),
                            gap=keyboard.key_gap(m))
        else:
            rest = field_grid(b, left, specs)
        if has_live_hint(active.name):
            hint_h = round(112 * m.scale)  # up to three wrapped lines beside the pad
            _hint(b, active.name, pygame.Rect(rest.left, rest.top, rest.w, hint_h), is_wrapped=True)
        elif b.message[0]:  # a PIN: no live hint, only the screen's message, as tall as its words
            hint_h = _hint(b, active.name, pygame.Rect(rest.left, rest.top, rest.w, -1), is_wrapped=True)
        else:
            hint_h = -m.gap
        pad = pygame.Rect(left.right + m.gap * 2, area.top, area.right - left.right - m.gap * 2, area.h)
        keyboard.place(b, pad, field_name=active.name, layout=active.keyboard, is_shifted=b.is_shifted)
        return pygame.Rect(rest.left, rest.top + hint_h + m.gap, rest.w, max(0, rest.bottom - rest.top - hint_h - m.gap))
    rows = keyboard.rows_for(active.keyboard)
    gap = keyboard.key_gap(m)
    entry_h = max(m.min_touch, round((64 if len(specs) == 1 else 56) * m.scale))
    row_gap = m.gap if len(specs) == 1 else gap
    board_h = min(len(rows) * round(66 * m.scale) + (len(rows) - 1) * gap,
                  area.h - len(specs) * (entry_h + row_gap) - hint_h - gap)
    if len(specs) > 3:  # many fields: two columns, each label above its field, leave the keyboard its room
        rows_n = (len(specs) + 1) // 2
        board_h = min(len(rows) * round(66 * m.scale) + (len(rows) - 1) * gap,
                      area.h - rows_n * (round(34 * m.scale) + entry_h + gap) - hint_h - gap)
        rest = _stacked(b, area, specs, columns=2, entry_h=entry_h, gap=gap)
    else:
        fields = pygame.Rect(area.left, area.top, area.w, area.h - board_h - hint_h - gap)
        rest = _inline(b, fields, specs, entry_h=entry_h, gap=row_gap)
    _hint(b, active.name, pygame.Rect(rest.left, rest.top, rest.w, hint_h))
    board = pygame.Rect(area.left, area.bottom - board_h, area.w, board_h)
    keyboard.place(b, board, field_name=active.name, layout=active.keyboard, is_shifted=b.is_shifted)
    return pygame.Rect(area.left, area.bottom, area.w, 0)


def _large_typing(b: Builder, area: pygame.Rect, specs: list[FieldSpec]) -> pygame.Rect:
    """Large text: one field at a time (‹ › beside it switch to the others), its hint, and the keyboard: a
    numeric pad on the right, a full keyboard under the field. A message longer than a line is shown
    first, in place of the keyboard, until the citizen taps "I understand". Returns the room left for
    other words (``pager`` pages what goes there)."""
    from kiosk.ui import keyboard

    m = b.m
    start = len(b.out.elements)
    active = active_spec(b, specs)
    gap = keyboard.key_gap(m)
    words, kind = b.message
    font = b.manager.get_theme().get_font([kind or "@hint"])
    is_long = bool(words) and font.size(b.words(words))[0] > area.w // 2
    is_reading = is_long and words != b.message_dismissed  # the message first, the keyboard after
    left, pad = area, None
    if active.keyboard in keyboard.NUMERIC and not is_reading:
        pad_w = keyboard.large_pad_width(b, active.keyboard)
        left = pygame.Rect(area.left, area.top, area.w - pad_w - m.gap * 2, area.h)
        pad = pygame.Rect(left.right + m.gap * 2, area.top, pad_w, area.h)
    col = Column(left, gap)
    label_spec = active
    if len(specs) > 1:
        i = specs.index(active)
        label_spec = FieldSpec(active.name, b.t(active.label) + (f"  ({b.t(active.hint)})" if active.hint else "")
                               + f"  ·  {i + 1}/{len(specs)}", is_marked=active.is_marked)
    label = _large_label(b, label_spec, col.take(m.line_h))
    col.y = label.rect.bottom + gap
    row = col.take(b.entry_h)
    if len(specs) > 1:  # the other fields, one tap away, beside this one
        side = max(m.min_touch, row.h)
        for element_id, mark, j, x in (("field_switch:prev", "‹", i - 1, row.left),
                                       ("field_switch:next", "›", i + 1, row.right - side)):
            button = b.button(element_id, mark, pygame.Rect(x, row.top, side, row.h), None,
                              is_enabled=0 <= j < len(specs))
            if 0 <= j < len(specs):
                b.out.field_switch[button] = specs[j].name
        row = pygame.Rect(row.left + side + m.gap, row.top, row.w - 2 * (side + m.gap), row.h)
    b.entry(active.name, row, initial=active.initial, is_masked=active.is_masked, max_length=active.max_length,
            layout=active.keyboard)
    if is_reading:  # read first (paged with the screen's other words), then "I understand" brings the keys
        for element in b.out.elements[start:]:
            b.fixed(element)
        b.paged_area = pygame.Rect(left.left, col.y, left.w, max(0, left.bottom - col.y))
        box = b.text(words, pygame.Rect(left.left, col.y, left.w, -1), kind=kind or "@hint", element_id="hint")
        b.out.hints[active.name], b.out.hint_message = box, words
        col.y = box.rect.bottom + gap
        b.out.message_ok = b.button("message:ok", b.t("Ho capito"), col.take(m.button_h), None, kind="@primary")
        b.out.keyboard_field, b.out.keyboard_layout = active.name, active.keyboard
        return pygame.Rect(left.left, col.y, left.w, left.h * 12)
    if is_long:  # read and understood: the live hint takes the line
        b.message = ("", "")
    # beside a pad only the phone number's hint (two lines): a code's rule would leave no room for the words
    # under it (where the code went, "it does not arrive")
    is_hinted = has_live_hint(active.name) and (pad is None or active.keyboard == "phone")
    if is_hinted or b.message[0]:
        lines = 3 if pad is not None and is_hinted else 1
        if lines == 1:
            _hint(b, active.name, col.take(m.line_h))
        else:
            _hint(b, active.name, col.take(round(lines * m.line_h * 1.1) + round(16 * m.scale)), is_wrapped=True)
    if pad is not None:
        keyboard.place(b, pad, field_name=active.name, layout=active.keyboard, is_shifted=b.is_shifted)
    else:
        keyboard.place(b, pygame.Rect(left.left, col.y, left.w, left.bottom - col.y), field_name=active.name,
                       layout=active.keyboard, is_shifted=b.is_shifted)
        col.y = left.bottom
    for element in b.out.elements[start:]:  # the field and its keyboard stay; words under them are paged
        b.fixed(element)
    b.paged_area = pygame.Rect(left.left, col.y, left.w, max(0, left.bottom - col.y))
    return pygame.Rect(left.left, col.y, left.w, left.h * 12 if pad is not None else 0)


def _large_label(b: Builder, spec: FieldSpec, rect: pygame.Rect):
    words = b.t(spec.label) + (f"  ({b.t(spec.hint)})" if spec.hint else "")
    kind = "@hint_error" if spec.is_marked else "@field_label"
    return b.label(("» " if spec.is_marked else "") + words, rect, kind=kind, element_id=f"label:{spec.name}")


def _hint(b: Builder, field_name: str, rect: pygame.Rect, *, is_wrapped: bool = False) -> int:
    """The line under the fields: the screen's error or notice first, then the live hint while typing."""
    words, kind = b.message
    if is_wrapped:
        label = b.text(words, rect, kind=kind or "@hint", element_id="hint")
    else:
        label = b.label(words, rect, kind=kind or "@hint", element_id="hint", smaller=kind + "_small" if kind else "")
    b.out.hints[field_name] = label
    b.out.hint_message = words
    return label.rect.h
