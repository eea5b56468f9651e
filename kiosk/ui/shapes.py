"""Rounded rectangles in well under a millisecond, whatever their size.

pygame-gui draws a rounded rectangle (buttons, text boxes, the error and notice boxes) four times as
wide and as tall as it is and scales it down, so that its corners are anti-aliased; it keeps the
result only for shapes under 40 000 px. A box the size of the card-data panel (760 x 280 px) thus
cost 60 ms of every screen change that showed one, far more on a Pi, and a wide button 8 ms per state.

Only the corners need the anti-aliasing. ``KioskShapeCache`` takes the place of pygame-gui's shape
cache (the theme's ``shape_cache``, which every rounded shape asks before drawing itself) and serves
each plain rounded rectangle as nine slices of a small prototype drawn the same way, four times over
and scaled down: the four corners copied, the straight edges stretched from one-pixel strips, the
middle a plain fill; the finished shapes are kept (up to ``PIXELS_KEPT``) for the next screen that
shows the same. Shapes with a shadow, a colour gradient or uneven corners or borders are left to
pygame-gui, as before. The surfaces hold shapes and colours only, never text.
"""

from __future__ import annotations

from collections import OrderedDict

import pygame
from pygame_gui.core.surface_cache import SurfaceCache

AA = 4  # supersampling of the corners, as pygame-gui's own
PREFIX = "rounded_rectangle_"
PROTOTYPES_KEPT = 256  # small surfaces (a corner's size squared): a few hundred KB at most
PIXELS_KEPT = 4_000_000  # finished shapes kept for the next build (16 MB): several screens' worth


def _copy(dst: pygame.Surface, src: pygame.Surface, pos: tuple[int, int]) -> None:
    """Copy ``src`` onto a transparent part of ``dst`` as it is (no alpha blending)."""
    dst.blit(src, pos, special_flags=pygame.BLEND_RGBA_MAX)


def _stretch(src: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    """``src`` (a prototype of odd size 2c+1 along a stretched side) at ``size``: its middle row and
    column repeated, its borders of c pixels kept as they are."""
    sw, sh = src.get_size()
    w, h = size
    if sw != w:
        c = sw // 2
        wide = pygame.Surface((w, sh), pygame.SRCALPHA, 32)
        wide.fill((0, 0, 0, 0))
        _copy(wide, src.subsurface((0, 0, c, sh)), (0, 0))
        _copy(wide, pygame.transform.scale(src.subsurface((c, 0, 1, sh)), (w - 2 * c, sh)), (c, 0))
        _copy(wide, src.subsurface((sw - c, 0, c, sh)), (w - c, 0))
        src, sw = wide, w
    if sh != h:
        c = sh // 2
        tall = pygame.Surface((w, h), pygame.SRCALPHA, 32)
        tall.fill((0, 0, 0, 0))
        _copy(tall, src.subsurface((0, 0, w, c)), (0, 0))
        _copy(tall, pygame.transform.scale(src.subsurface((0, c, w, 1)), (w, h - 2 * c)), (0, c))
        _copy(tall, src.subsurface((0, sh - c, w, c)), (0, h - c))
        src = tall
    return src


def draw_prototype(size: tuple[int, int], *, radius: int, border: int, inner_radius: float,
                   border_colour: pygame.Color, bg_colour: pygame.Color) -> pygame.Surface:
    """A rounded rectangle of ``size`` drawn ``AA`` times over and scaled down (anti-aliased edges).
    Colours and result are alpha-premultiplied, as everything pygame-gui draws."""
    w, h = size
    big = pygame.Surface((w * AA, h * AA), pygame.SRCALPHA, 32)
    outer = border_colour if border > 0 else bg_colour
    big.fill((0, 0, 0, 0))  # pygame-gui's colours and surfaces are alpha-premultiplied: averaging them is exact
    pygame.draw.rect(big, outer, big.get_rect(), border_radius=radius * AA)
    if border > 0:
        inner = pygame.Rect(border * AA, border * AA, (w - 2 * border) * AA, (h - 2 * border) * AA)
        if inner.w > 0 and inner.h > 0:
            pygame.draw.rect(big, bg_colour, inner, border_radius=max(0, round(inner_radius * AA)))
    return pygame.transform.smoothscale(big, size)


def rounded_rectangle(size: tuple[int, int], *, radius: int, border: int, border_colour: pygame.Color,
                      bg_colour: pygame.Color, prototypes: dict | None = None) -> pygame.Surface:
    """A rounded rectangle of ``size`` with a ``border``-px border: corners anti-aliased like pygame-gui's."""
    w, h = size
    radius = max(0, min(radius, w // 2, h // 2))
    border = max(0, min(border, w // 2, h // 2))
    # pygame-gui's inner corner: the outer one scaled with the shape (a little rounder than concentric)
    inner_radius = radius * min((w - 2 * border) / w, (h - 2 * border) / h)
    corner = radius + border + 1  # the curves (outer and inner) end within this many pixels of a side
    proto = (min(w, 2 * corner + 1), min(h, 2 * corner + 1))
    key = (proto, radius, border, round(inner_radius * AA), tuple(border_colour), tuple(bg_colour))
    surface = prototypes.get(key) if prototypes is not None else None
    if surface is None:
        surface = draw_prototype(proto, radius=radius, border=border, inner_radius=inner_radius,
                                 border_colour=border_colour, bg_colour=bg_colour)
        if prototypes is not None:
            if len(prototypes) >= PROTOTYPES_KEPT:
                prototypes.pop(next(iter(prototypes)))
            prototypes[key] = surface
    return _stretch(surface, size)


def parse_shape_id(shape_id: str) -> dict | None:
    """The parameters in one of pygame-gui's rounded-rectangle shape ids (``SurfaceCache.build_cache_id``),
    or None for a shape this module leaves to pygame-gui (a shadow, a gradient, uneven corners or borders)."""
    if not shape_id.startswith(PREFIX):
        return None
    try:
        numbers = [int(part) for part in shape_id[len(PREFIX):].split("_")]
    except ValueError:  # a colour gradient is written out by name
        return None
    if len(numbers) != 19:
        return None
    w, h, shadow, *rest = numbers
    borders, radii, border_rgba, bg_rgba = rest[0:4], rest[4:8], rest[8:12], rest[12:16]
    if shadow or w <= 0 or h <= 0 or len(set(borders)) != 1 or len(set(radii)) != 1:
        return None
    return {"size": (w, h), "border": borders[0], "radius": radii[0],
            "border_colour": pygame.Color(*border_rgba), "bg_colour": pygame.Color(*bg_rgba)}


class KioskShapeCache(SurfaceCache):
    """pygame-gui's shape cache, answering every plain rounded rectangle with ``rounded_rectangle``.

    Install with ``manager.get_theme().shape_cache = KioskShapeCache()`` before any element is made.
    """

    def __init__(self, *, pixels_kept: int = PIXELS_KEPT) -> None:
        super().__init__()
        self.pixels_kept = pixels_kept
        self._prototypes: dict = {}
        self._shapes: OrderedDict[str, pygame.Surface] = OrderedDict()  # least recently used first
        self._pixels = 0

    def find_surface_in_cache(self, lookup_id: str) -> pygame.Surface | None:
        """The shape, to be copied by the caller (as pygame-gui does with whatever its cache returns)."""
        surface = self._shapes.get(lookup_id)
        if surface is not None:
            self._shapes.move_to_end(lookup_id)
            return surface
        shape = parse_shape_id(lookup_id)
        if shape is None:
            return super().find_surface_in_cache(lookup_id)
        surface = rounded_rectangle(prototypes=self._prototypes, **shape)
        w, h = surface.get_size()
        self._shapes[lookup_id] = surface
        self._pixels += w * h
        while self._pixels > self.pixels_kept and len(self._shapes) > 1:
            _, old = self._shapes.popitem(last=False)
            self._pixels -= old.get_width() * old.get_height()
        return surface

    @property
    def pixels_held(self) -> int:
        """The size of the finished shapes kept, in pixels (never above ``pixels_kept`` but for one shape)."""
        return self._pixels
