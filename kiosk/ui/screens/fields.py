"""Labelled text fields laid out in a grid (shared by the screens where the citizen types)."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.ui.builder import Builder


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # msgid
    hint: str = ""  # msgid shown after the label, e.g. the date format
    initial: str = ""
    is_masked: bool = False
    max_length: int = 0


def field_grid(b: Builder, area: pygame.Rect, specs: list[FieldSpec], *, columns: int = 1) -> pygame.Rect:
    """Place the fields (label above, or beside when three or more share one column); returns the space left."""
    m, s = b.m, b.m.scale
    if columns == 1 and len(specs) >= 3:
        return _inline(b, area, specs)
    label_h, entry_h = round(44 * s), max(90, round(92 * s))
    row_h = label_h + entry_h + round(22 * s)
    col_w = (area.w - (columns - 1) * m.gap * 2) // columns
    for i, spec in enumerate(specs):
        row, col = divmod(i, columns)
        x, y = area.left + col * (col_w + m.gap * 2), area.top + row * row_h
        words = b.t(spec.label) + (f"  ({b.t(spec.hint)})" if spec.hint else "")
        b.label(words, pygame.Rect(x, y, col_w, label_h), element_id=f"label:{spec.name}",
                smaller="@field_label_small")
        b.entry(spec.name, pygame.Rect(x, y + label_h, col_w, entry_h), initial=spec.initial,
                is_masked=spec.is_masked, max_length=spec.max_length)
    rows = (len(specs) + columns - 1) // columns
    top = area.top + rows * row_h
    return pygame.Rect(area.left, top, area.w, max(0, area.bottom - top))


def _inline(b: Builder, area: pygame.Rect, specs: list[FieldSpec]) -> pygame.Rect:
    m = b.m
    entry_h = max(90, round(92 * m.scale))
    label_w = round(area.w * 0.36)
    y = area.top
    for spec in specs:
        words = b.t(spec.label) + (f"  ({b.t(spec.hint)})" if spec.hint else "")
        b.label(words, pygame.Rect(area.left, y, label_w - m.gap, entry_h), element_id=f"label:{spec.name}",
                smaller="@field_label_small")
        b.entry(spec.name, pygame.Rect(area.left + label_w, y, area.w - label_w, entry_h), initial=spec.initial,
                is_masked=spec.is_masked, max_length=spec.max_length)
        y += entry_h + m.gap
    return pygame.Rect(area.left, y, area.w, max(0, area.bottom - y))
