"""Large-text pages: content laid out in one tall column is cut into pages that fit the screen.

A screen in large-text mode builds its content as usual, into an area as wide as the screen's and
many times taller. ``paginate`` then groups the elements into rows (elements side by side share a
row), cuts the rows into pages as tall as the real area, keeps the page on show (moved up to the top
of the area) and discards the others; a row of big "previous page / next page" buttons with the
page position ("Pagina 2 di 3") sits under the content. Nothing is scaled or clipped: a row goes
whole to the page where it fits. Turning a page is the UI's business: the buttons report to
``KioskUI`` through ``Built.pager`` and never reach the journey.
"""

from __future__ import annotations

from typing import Any

import pygame

from kiosk.ui.builder import LARGE_BUTTON_PADDING, Builder
from kiosk.ui.i18n import format_number

TALL = 12  # the content area of a large-text screen is laid out this many screens tall, then paged


def tall(area: pygame.Rect) -> pygame.Rect:
    return pygame.Rect(area.left, area.top, area.w, area.h * TALL)


def paginate(b: Builder, elements: list[Any], area: pygame.Rect, page: int) -> int:
    """Show page ``page`` (clamped) of ``elements`` in ``area``; returns the page shown (0-based).

    Elements are taken top to bottom; one that would reach below the page starts the next page, so
    elements side by side (same top, same height) stay together and a tall one beside a column
    (the camera preview) stays on the page where it starts."""
    m = b.m
    movable = sorted((e for e in elements if e.alive() and id(e) not in b.out.fixed), key=lambda e: e.rect.top)
    if not movable or max(e.rect.bottom for e in movable) <= area.bottom:
        b.out.pages = 1
        return 0
    room = b.page_room
    pages: list[tuple[int, list[Any]]] = [(movable[0].rect.top, [])]
    for e in movable:
        top, members = pages[-1]
        if members and e.rect.bottom - top > room and e.rect.top > top:
            pages.append((e.rect.top, []))
        pages[-1][1].append(e)
    page = max(0, min(page, len(pages) - 1))
    for i, (top, members) in enumerate(pages):
        for e in members:
            if i == page:
                e.set_relative_position((e.relative_rect.x, e.relative_rect.y + area.top - top))
            else:
                b.discard(e)
    b.out.pages = len(pages)
    _pager_row(b, pygame.Rect(area.left, area.bottom - m.button_h, area.w, m.button_h), page, len(pages))
    return page


def _pager_row(b: Builder, rect: pygame.Rect, page: int, pages: int) -> None:
    """[‹ previous page]  Pagina 2 di 3  [next page ›], words shortened to arrows when they do not fit."""
    t, m = b.t, b.m
    n, total = format_number(page + 1, t.language), format_number(pages, t.language)
    font = b.manager.get_theme().get_font(["button"])
    label_font = b.manager.get_theme().get_font(["@page_position"])
    prev_words, next_words = "‹  " + t("Pagina precedente"), t("Pagina seguente") + "  ›"
    long_position, short_position = t("Pagina {n} di {total}").format(n=n, total=total), f"{n}/{total}"
    for prev_words, next_words, position in ((prev_words, next_words, long_position),
                                             ("‹", next_words, long_position),
                                             ("‹", next_words, short_position),
                                             ("‹", "›", long_position),
                                             ("‹", "›", short_position)):
        prev_w, next_w = (max(round(m.min_touch * 2.5), font.size(b.words(w))[0] + LARGE_BUTTON_PADDING)
                          for w in (prev_words, next_words))
        if prev_w + next_w + label_font.size(b.words(position))[0] + 16 + 2 * m.gap <= rect.w:
            break
    prev = b.button("pager:prev", prev_words, pygame.Rect(rect.left, rect.top, prev_w, rect.h), None,
                    is_enabled=page > 0)
    nxt = b.button("pager:next", next_words, pygame.Rect(rect.right - next_w, rect.top, next_w, rect.h), None,
                   is_enabled=page + 1 < pages)
    b.out.pager[prev], b.out.pager[nxt] = -1, 1
    middle = pygame.Rect(rect.left + prev_w + m.gap, rect.top, rect.w - prev_w - next_w - 2 * m.gap, rect.h)
    b.label(position, middle, kind="@page_position", element_id="pager:position")
