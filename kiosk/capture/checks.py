"""Live checks on one camera frame: is the document (or the face) ready for the picture?

Every check returns a ``guidance`` code, a message key in the UI catalogues (``capture.*``), that
says the one thing the citizen should change first; ``capture.ok`` when nothing needs changing.
Fast enough for every preview frame (``bench/capture`` measures it): the frame is shrunk once to a
320-pixel-wide copy and turned grey once; black/blown-out frames are told from that copy's mean and
spread (no float copies); the outline is searched on that grey copy (a smaller one loses corner
accuracy on the held-out scenes: measured, 138 instead of 145 of 152 outlines at 160 pixels);
sharpness is measured only inside the document's box, glare and brightness on a small straightened
copy of the document. Faces: the Haar cascade runs on a 240-pixel grey copy, and a ``FaceFinder``
runs it again only when the picture has changed since the last detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

WORK_WIDTH = 320  # px: the working copy where the outline is searched and sharpness measured
PATCH = (320, 202)  # px: the straightened document whose quality is measured (ID-1 proportions)

# thresholds (on the straightened patch and the frame)
MIN_FILL, MAX_FILL = 0.15, 0.85  # document area / frame area
MIN_SHARPNESS = 9000.0  # variance of the Laplacian on the document, 320-pixel working copy
MAX_GLARE = 0.012  # share of near-white, low-saturation pixels on the document
MAX_SKEW = 0.16  # 1 - shortest/longest of opposite sides
MAX_CORNER_DEVIATION = 14.0  # degrees away from a right angle
DARK_DOC, BRIGHT_FRAME = 70.0, 240.0
BLACK_FRAME_MEAN, FLAT_FRAME_STD = 12.0, 4.0

OK = "capture.ok"


@dataclass(frozen=True)
class DocumentCheck:
    guidance: str
    quad: np.ndarray | None = field(default=None, repr=False)  # TL TR BR BL in frame pixels, float32
    fill: float = 0.0  # document area / frame area
    skew: float = 0.0
    rotation: float = 0.0  # degrees, in-plane (not a fault: the picture is straightened)
    sharpness: float = 0.0
    glare: float = 0.0
    brightness: float = 0.0

    @property
    def is_ok(self) -> bool:
        return self.guidance == OK

    @property
    def is_outline_found(self) -> bool:
        return self.quad is not None


@dataclass(frozen=True)
class FaceCheck:
    guidance: str
    faces: tuple[tuple[int, int, int, int], ...] = ()  # (x, y, w, h) in frame pixels
    sharpness: float = 0.0

    @property
    def is_ok(self) -> bool:
        return self.guidance == OK


def frame_fault(frame: np.ndarray) -> str:
    """``capture.camera_dark`` / ``capture.camera_bright`` for a black or blown-out frame, else ""."""
    small = np.ascontiguousarray(frame[::8, ::8])
    return _fault(*_mean_std(small if small.ndim == 2 else small.reshape(small.shape[0], -1)))


def _mean_std(image: np.ndarray) -> tuple[float, float]:
    mean, std = cv2.meanStdDev(image)
    return float(mean[0, 0]), float(std[0, 0])


def _fault(mean: float, std: float) -> str:
    if mean < BLACK_FRAME_MEAN and std < FLAT_FRAME_STD * 2:
        return "capture.camera_dark"
    if mean > 250 or (mean > BRIGHT_FRAME and std < FLAT_FRAME_STD * 2):
        return "capture.camera_bright"
    return ""


def _grey(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (by sums and differences)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    ordered = np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)
    if len({tuple(p) for p in ordered.tolist()}) < 4:  # degenerate at 45 degrees: order by angle instead
        c = pts.mean(axis=0)
        ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
        ordered = pts[np.argsort(ang)]
        start = int(np.argmin(ordered.sum(axis=1)))
        ordered = np.roll(ordered, -start, axis=0)
    return ordered


def find_outline(frame: np.ndarray, *, work_width: int = WORK_WIDTH) -> np.ndarray | None:
    """The document's four corners (TL TR BR BL, frame pixels) or ``None`` when no outline is seen."""
    h, w = frame.shape[:2]
    scale = work_width / w
    small = cv2.resize(_grey(frame), (work_width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    quad = _outline_in(small)
    return None if quad is None else order_corners(quad / scale)


def _outline_in(small_grey: np.ndarray) -> np.ndarray | None:
    quad = _quad_from_edges(small_grey)
    if quad is None:
        quad = _quad_from_brightness(small_grey)
    return quad


def _quad_from_edges(small: np.ndarray) -> np.ndarray | None:
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    level = float(cv2.mean(blurred)[0])
    edges = cv2.Canny(blurred, max(10, 0.3 * level), max(30, 0.8 * level))
    edges = cv2.dilate(edges, _kernel(3))
    return _best_quad(_solid(edges), small.shape)


def _quad_from_brightness(small: np.ndarray) -> np.ndarray | None:
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _best_quad(_solid(mask), small.shape)


def _solid(binary: np.ndarray) -> np.ndarray:
    """Outlines filled into solid shapes, then thin things (pens, cables, rings) touching them cut off."""
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(binary)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    size = max(5, (min(binary.shape) // 30) | 1)
    return cv2.morphologyEx(filled, cv2.MORPH_OPEN, _kernel(size))


@lru_cache(maxsize=8)
def _kernel(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))


def _best_quad(binary: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    h, w = shape[:2]
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    frame_area = float(h * w)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        area = cv2.contourArea(contour)
        if area < 0.04 * frame_area:
            break
        if area > 0.97 * frame_area:
            continue  # the whole picture (a plain frame): no document's outline
        quad = _dominant_quad(contour)
        if quad is not None and _is_plausible(quad) and 0.6 * area < cv2.contourArea(quad) < 1.25 * area:
            return quad
    return None


def _dominant_quad(contour: np.ndarray) -> np.ndarray | None:
    """The quadrilateral of the contour's four longest straight sides, extended to their crossings.

    Whatever touches the document (a pen, a sticky note, a cable) adds short sides to the outline;
    the document's own four sides stay the longest.
    """
    peri = cv2.arcLength(contour, True)
    poly = cv2.approxPolyDP(contour, 0.012 * peri, True).reshape(-1, 2).astype(np.float32)
    n = len(poly)
    if n < 4:
        return None
    if n == 4:
        return poly
    lengths = np.linalg.norm(np.roll(poly, -1, axis=0) - poly, axis=1)
    sides = sorted(np.argsort(lengths)[-4:])
    if lengths[sides].min() < 0.08 * peri:
        return None
    corners = []
    for a, b in zip(sides, sides[1:] + sides[:1]):
        p = _cross(poly[a], poly[(a + 1) % n], poly[b], poly[(b + 1) % n])
        if p is None:
            return None
        corners.append(p)
    return np.array(corners, dtype=np.float32)


def _cross(p1, p2, p3, p4) -> tuple[float, float] | None:
    d1, d2 = p2 - p1, p4 - p3
    den = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(den) < 1e-6 * (np.linalg.norm(d1) * np.linalg.norm(d2) + 1e-9):
        return None
    t = ((p3[0] - p1[0]) * d2[1] - (p3[1] - p1[1]) * d2[0]) / den
    return float(p1[0] + t * d1[0]), float(p1[1] + t * d1[1])


def _is_plausible(quad: np.ndarray) -> bool:
    top, right, bottom, left = _sides(order_corners(quad))
    long_side, short_side = max(top, bottom), max(min(left, right), 1e-6)
    ratio = long_side / short_side if top + bottom >= left + right else max(left, right) / max(min(top, bottom), 1e-6)
    return 1.1 < ratio < 2.2


def _sides(q: np.ndarray) -> tuple[float, float, float, float]:
    return tuple(float(np.linalg.norm(q[(i + 1) % 4] - q[i])) for i in range(4))  # type: ignore[return-value]


def quad_geometry(quad: np.ndarray, *, is_ordered: bool = False) -> tuple[float, float, float]:
    """(skew, worst corner deviation from 90 degrees, in-plane rotation in degrees)."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2) if is_ordered else order_corners(quad).astype(np.float64)
    edges = np.roll(q, -1, axis=0) - q  # top, right, bottom, left
    top, right, bottom, left = np.hypot(edges[:, 0], edges[:, 1]).tolist()
    skew = max(1 - min(top, bottom) / max(top, bottom, 1e-9), 1 - min(left, right) / max(left, right, 1e-9))
    incoming = -np.roll(edges, 1, axis=0)  # from each corner back to the previous one
    cos = (edges * incoming).sum(axis=1) / (np.hypot(edges[:, 0], edges[:, 1]) * np.hypot(incoming[:, 0], incoming[:, 1])
                                            + 1e-9)
    worst = float(np.abs(90 - np.degrees(np.arccos(np.clip(cos, -1, 1)))).max())
    dx, dy = edges[0]
    return skew, worst, float(np.degrees(np.arctan2(dy, dx)))


def straighten(frame: np.ndarray, quad: np.ndarray, size: tuple[int, int], *, interpolation=cv2.INTER_LINEAR,
               is_ordered: bool = False) -> np.ndarray:
    """The document inside ``quad`` warped flat to ``size`` (width, height); landscape if it is."""
    q = np.asarray(quad, dtype=np.float32) if is_ordered else order_corners(quad)
    top, right, bottom, left = _sides(q)
    if (left + right) > (top + bottom) * 1.05:  # held upright: turn it so its long side is horizontal
        q = np.roll(q, -1, axis=0)  # TR becomes the top-left corner: a quarter turn
    w, h = size
    dst = np.array([(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)], dtype=np.float32)
    return cv2.warpPerspective(frame, cv2.getPerspectiveTransform(q, dst), (w, h), flags=interpolation)


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian: high for crisp edges, low for a moved or defocused picture."""
    _, std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_16S, ksize=3))
    return float(std[0, 0]) ** 2


def glare(rgb: np.ndarray) -> float:
    """Share of near-white, low-saturation pixels: a reflection that hides what is printed."""
    return _glare_of(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV))


def _glare_of(hsv: np.ndarray) -> float:
    return cv2.countNonZero(cv2.inRange(hsv, (0, 0, 250), (180, 30, 255))) / float(hsv.shape[0] * hsv.shape[1])


def _region_sharpness(small_grey: np.ndarray, quad: np.ndarray) -> float:
    """Sharpness inside the document's bounding box, on the 320-pixel working copy."""
    h, w = small_grey.shape[:2]
    x0, y0 = np.clip(quad.min(axis=0).astype(int), 0, None)
    x1, y1 = np.minimum(quad.max(axis=0).astype(int), (w, h))
    crop = small_grey[y0:y1, x0:x1]
    return sharpness(crop) if crop.size else 0.0


class Unchanged:
    """Remembers what was found on a picture and says whether a new picture still shows the same.

    Pictures are compared on a 32x24 grey thumbnail (8-10 pixel blocks average the camera's noise
    away): when its mean absolute difference from the picture of the last search stays under
    ``level`` grey levels, the last result stands. The comparison is always with the picture of the
    last search, so a slow drift adds up and triggers a new search.
    """

    THUMB = (32, 24)

    def __init__(self, *, level: float = 2.0) -> None:
        self.level = level
        self.searches = self.reuses = 0
        self._thumb: np.ndarray | None = None
        self._found = None

    def reset(self) -> None:
        self._thumb, self._found = None, None

    def get(self, grey: np.ndarray, search):
        thumb = cv2.resize(grey, self.THUMB, interpolation=cv2.INTER_AREA)
        if self._thumb is not None and cv2.norm(thumb, self._thumb, cv2.NORM_L1) / thumb.size < self.level:
            self.reuses += 1
            return self._found
        self.searches += 1
        self._thumb, self._found = thumb, search(grey)
        return self._found


class OutlineTracker(Unchanged):
    """Searches the document's outline again only when the picture has changed (live frames)."""

    def outline(self, small_grey: np.ndarray) -> np.ndarray | None:
        return self.get(small_grey, _outline_in)


def check_document(frame: np.ndarray, *, tracker: OutlineTracker | None = None) -> DocumentCheck:
    """Judge a live frame of a document; ``guidance`` names the first thing to change.

    With a ``tracker`` (consecutive live frames) the outline search is skipped while the picture
    stays the same; sharpness, glare and brightness are measured on every frame.
    """
    h, w = frame.shape[:2]
    scale = WORK_WIDTH / w
    small = cv2.resize(frame, (WORK_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    small_grey = _grey(small)
    fault = _fault(*_mean_std(small_grey))
    if fault:
        return DocumentCheck(guidance=fault)
    small_quad = tracker.outline(small_grey) if tracker is not None else _outline_in(small_grey)
    if small_quad is None:
        return DocumentCheck(guidance="capture.no_document")
    small_quad = order_corners(small_quad)
    quad = small_quad / scale
    fill = float(cv2.contourArea(quad)) / (h * w)
    skew, corner, rotation = quad_geometry(quad, is_ordered=True)
    patch = straighten(small, small_quad, (PATCH[0] // 2, PATCH[1] // 2), is_ordered=True)
    r, g, b_, _ = cv2.mean(patch)  # grey is linear in R, G, B: its mean needs no grey copy
    found = dict(quad=quad, fill=fill, skew=skew, rotation=rotation, sharpness=_region_sharpness(small_grey, small_quad),
                 glare=glare(patch), brightness=0.299 * r + 0.587 * g + 0.114 * b_)
    margin = 0.01 * max(h, w)
    touches_edge = bool((quad[:, 0] < margin).any() or (quad[:, 0] > w - margin).any()
                        or (quad[:, 1] < margin).any() or (quad[:, 1] > h - margin).any())
    if touches_edge or fill > MAX_FILL:
        guidance = "capture.move_back"
    elif fill < MIN_FILL:
        guidance = "capture.move_closer"
    elif skew > MAX_SKEW or corner > MAX_CORNER_DEVIATION:
        guidance = "capture.flatten"
    elif found["brightness"] < DARK_DOC:
        guidance = "capture.too_dark"
    elif found["glare"] > MAX_GLARE:
        guidance = "capture.avoid_reflections"
    elif found["sharpness"] < MIN_SHARPNESS:
        guidance = "capture.hold_still"
    else:
        guidance = OK
    return DocumentCheck(guidance=guidance, **found)


# -- faces -------------------------------------------------------------------------------------

FACE_WORK_WIDTH = 240
MIN_FACE_SHARPNESS = 300.0


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face cascade is missing ({path})")
    return cascade


def find_faces(frame: np.ndarray, *, work_width: int = FACE_WORK_WIDTH) -> list[tuple[int, int, int, int]]:
    h, w = frame.shape[:2]
    scale = work_width / w
    small = _grey(cv2.resize(frame, (work_width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA))
    return [tuple(int(round(v / scale)) for v in box) for box in _faces_in(small)]  # type: ignore[misc]


def _faces_in(small_grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces on the 240-pixel grey copy: from about a ninth of its height (smaller ones cannot be
    told to come closer reliably) to nearly all of it, in 20 % steps."""
    h = small_grey.shape[0]
    found = _face_cascade().detectMultiScale(small_grey, scaleFactor=1.2, minNeighbors=4, minSize=(22, 22),
                                             maxSize=(int(h * 0.95), int(h * 0.95)))
    return [tuple(int(v) for v in box) for box in found]  # type: ignore[misc]


class FaceFinder(Unchanged):
    """Runs the face detector again only when the picture has changed (live frames)."""

    def faces(self, small_grey: np.ndarray) -> list[tuple[int, int, int, int]]:
        return self.get(small_grey, _faces_in)


def check_face(frame: np.ndarray, *, finder: FaceFinder | None = None) -> FaceCheck:
    """Judge a live frame of the citizen's face: exactly one, centred, large enough, sharp.

    With a ``finder`` (consecutive live frames) the detector is skipped while the picture stays the
    same; sharpness is measured on every frame.
    """
    h, w = frame.shape[:2]
    scale = FACE_WORK_WIDTH / w
    small_grey = _grey(cv2.resize(frame, (FACE_WORK_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA))
    fault = _fault(*_mean_std(small_grey))
    if fault:
        return FaceCheck(guidance=fault)
    found = finder.faces(small_grey) if finder is not None else _faces_in(small_grey)
    faces = tuple(tuple(int(round(v / scale)) for v in box) for box in found)
    if not faces:
        return FaceCheck(guidance="capture.no_face")
    if len(faces) > 1:
        return FaceCheck(guidance="capture.one_face", faces=faces)
    x, y, fw, fh = faces[0]
    crisp = sharpness(cv2.resize(_grey(frame[max(0, y):y + fh, max(0, x):x + fw]), (128, 128),
                                 interpolation=cv2.INTER_AREA))
    cx, cy = (x + fw / 2) / w, (y + fh / 2) / h
    if fw < 0.22 * min(w, h):
        guidance = "capture.face_closer"
    elif fw > 0.8 * min(w, h):
        guidance = "capture.face_back"
    elif abs(cx - 0.5) > 0.15 or abs(cy - 0.45) > 0.2:
        guidance = "capture.face_centre"
    elif crisp < MIN_FACE_SHARPNESS:
        guidance = "capture.hold_still"
    else:
        guidance = OK
    return FaceCheck(guidance=guidance, faces=faces, sharpness=crisp)
