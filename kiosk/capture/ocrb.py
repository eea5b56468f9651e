"""Reading an MRZ line by its geometry: fixed-pitch cells matched against OCR-B glyphs.

Every MRZ is printed in OCR-B at a fixed pitch (30 characters a line on an identity card, 44 on a
passport), so each character sits in a known cell. Each cell's glyph is compared with the 37
OCR-B glyphs drawn from Debian's ``fonts-ocr-b``; the caller restricts the candidates by field
type (digits only in a date, letters and ``<`` in a name) and walks the runners-up until the
check digits hold. This complements tesseract, whose English model confuses ``<`` with ``K``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
OCR_B = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
GLYPH = (20, 28)  # (width, height) of a normalised glyph


class FontMissing(RuntimeError):
    """The OCR-B font is not installed (Debian package fonts-ocr-b)."""


@dataclass(frozen=True)
class Cell:
    """One character position: candidates best first, as (character, score 0..1)."""

    ranked: tuple[tuple[str, float], ...]

    def best(self, allowed: str = ALPHABET) -> str:
        for ch, _ in self.ranked:
            if ch in allowed:
                return ch
        return "<"

    def options(self, allowed: str, *, margin: float = 0.12, limit: int = 3) -> list[str]:
        """The allowed candidates whose score is within ``margin`` of the best allowed one."""
        picks = [(ch, sc) for ch, sc in self.ranked if ch in allowed]
        if not picks:
            return ["<"]
        top = picks[0][1]
        return [ch for ch, sc in picks[:limit] if top - sc <= margin]


def _normalise(glyph: np.ndarray) -> np.ndarray:
    """Ink (255) on 0, cropped to its box, scaled into GLYPH keeping proportions, as float unit vector."""
    ys, xs = np.nonzero(glyph)
    if len(xs) == 0:
        return np.zeros(GLYPH[::-1], np.float32)
    crop = glyph[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    scale = min(GLYPH[0] / w, GLYPH[1] / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float32)
    out = np.zeros(GLYPH[::-1], np.float32)
    x0, y0 = (GLYPH[0] - nw) // 2, (GLYPH[1] - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = small
    out = cv2.GaussianBlur(out, (3, 3), 0)
    out -= out.mean()
    norm = float(np.linalg.norm(out))
    return out / norm if norm else out


BLURS = (0.0, 3.0, 5.0, 7.0)  # px at the 96 px drawing: templates for sharp and for soft pictures


@lru_cache(maxsize=1)
def templates() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, characters, relative heights, relative widths): each glyph sharp and blurred."""
    try:
        font = ImageFont.truetype(OCR_B, 96)
    except OSError as err:
        raise FontMissing("the OCR-B font is missing (Debian package fonts-ocr-b)") from err
    cap = font.getbbox("H")
    cap_h = cap[3] - cap[1]
    pitch = font.getlength("H")
    vectors, chars, heights, widths = [], [], [], []
    for ch in ALPHABET:
        img = Image.new("L", (200, 200), 0)
        ImageDraw.Draw(img).text((50, 40), ch, font=font, fill=255)
        drawn = np.asarray(img)
        for sigma in BLURS:
            soft = cv2.GaussianBlur(drawn, (0, 0), sigma) if sigma else drawn
            arr = (soft > 127).astype(np.uint8) * 255
            ys, xs = np.nonzero(arr)
            if len(xs) == 0:
                continue
            heights.append((ys.max() - ys.min() + 1) / cap_h)
            widths.append((xs.max() - xs.min() + 1) / pitch)
            vectors.append(_normalise(arr).ravel())
            chars.append(ch)
    return np.stack(vectors), np.array(chars), np.array(heights, np.float32), np.array(widths, np.float32)


def classify(glyph: np.ndarray, *, line_height: float, pitch: float) -> Cell:
    vectors, chars, heights, widths = templates()
    ys, xs = np.nonzero(glyph)
    if len(xs) == 0:
        return Cell(ranked=(("<", 0.0),))
    h = (ys.max() - ys.min() + 1) / line_height
    w = (xs.max() - xs.min() + 1) / pitch
    scores = vectors @ _normalise(glyph).ravel()
    scores = scores - 0.3 * np.abs(heights - h) - 0.3 * np.abs(widths - w)
    ranked: dict[str, float] = {}
    for i in np.argsort(-scores):
        ranked.setdefault(str(chars[i]), float(scores[i]))
        if len(ranked) == 6:
            break
    return Cell(ranked=tuple(ranked.items()))


def binarise(band: np.ndarray) -> np.ndarray:
    """Ink 255 on 0: sharpened a little, shading and glare flattened, then Otsu's threshold."""
    band = cv2.addWeighted(band, 1.8, cv2.GaussianBlur(band, (0, 0), 2), -0.8, 0)
    k = max(15, (band.shape[0] // 6) | 1)
    background = cv2.morphologyEx(band, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    flat = cv2.divide(band, background, scale=255)
    _, ink = cv2.threshold(cv2.GaussianBlur(flat, (3, 3), 0), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def deskew(ink: np.ndarray, *, max_degrees: float = 3.0, step: float = 0.5) -> np.ndarray:
    """Turn the band so its rows of text are level (a slightly crooked outline leaves them sloping).

    The angle is the one whose row profile is the most peaked, tried on a quarter-size copy.
    """
    small = cv2.resize(ink, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_degrees, max_degrees + 1e-6, step):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
        profile = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR).sum(axis=1, dtype=np.float64)
        score = float(np.var(profile))
        if score > best_score:
            best, best_score = float(angle), score
    if best == 0.0:
        return ink
    H, W = ink.shape
    m = cv2.getRotationMatrix2D((W / 2, H / 2), best, 1.0)
    return cv2.warpAffine(ink, m, (W, H), flags=cv2.INTER_NEAREST)


def text_rows(ink: np.ndarray, *, min_width: float = 0.5) -> list[tuple[int, int]]:
    """(top, bottom) of the rows of text that span at least ``min_width`` of the band."""
    rows = (ink > 0).sum(axis=1) > max(2, 0.02 * ink.shape[1])
    found, start = [], None
    for i, on in enumerate(list(rows) + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if i - start >= 6:
                cols = np.nonzero((ink[start:i] > 0).any(axis=0))[0]
                if len(cols) and cols[-1] - cols[0] >= min_width * ink.shape[1]:
                    found.append((start, i))
            start = None
    return found


def glyph_count(ink: np.ndarray, top: int, bottom: int) -> int:
    """How many character-sized blobs a row holds (an MRZ row holds 30 or 44)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink[top:bottom], connectivity=8)
    h = bottom - top
    return sum(1 for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= 0.4 * h and stats[i, cv2.CC_STAT_WIDTH] <= 1.5 * h)


def read_line(ink: np.ndarray, top: int, bottom: int, chars: int) -> list[Cell] | None:
    """The ``chars`` cells of one row of a binarised band, or ``None`` when the geometry is off."""
    pad = max(2, (bottom - top) // 5)
    strip = ink[max(0, top - pad):bottom + pad]
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(strip, connectivity=8)
    line_h = bottom - top
    width = strip.shape[1]
    margin = 0.012 * width
    keep = [i for i in range(1, count)
            if 0.25 * line_h <= stats[i, cv2.CC_STAT_HEIGHT] <= 1.6 * line_h
            and stats[i, cv2.CC_STAT_WIDTH] <= 1.5 * line_h
            and stats[i, cv2.CC_STAT_AREA] >= 0.01 * line_h * line_h
            and stats[i, cv2.CC_STAT_LEFT] > margin
            and stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] < width - margin]
    if len(keep) < chars * 0.5:
        return None
    xs = sorted(centroids[i][0] for i in keep)
    first, last = xs[0], xs[-1]
    pitch = (last - first) / (chars - 1)  # the first and the last cell always hold a glyph (``<`` too)
    if pitch <= 2:
        return None
    cells: list[list[int]] = [[] for _ in range(chars)]
    for i in keep:
        index = int(round((centroids[i][0] - first) / pitch))
        if 0 <= index < chars:
            cells[index].append(i)
    out = []
    for members in cells:
        if not members:
            out.append(Cell(ranked=(("<", 0.0),)))
            continue
        x0 = min(stats[i, cv2.CC_STAT_LEFT] for i in members)
        x1 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in members)
        glyph = np.isin(labels[:, x0:x1], members).astype(np.uint8) * 255
        out.append(classify(glyph, line_height=line_h, pitch=pitch))
    return out
