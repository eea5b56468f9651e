"""The full-resolution picture: find the document, straighten it to its real shape, encode a JPEG.

The JPEG carries no metadata at all (OpenCV writes none: no EXIF, no camera, no time, no place)
and stays under the configured size cap. Images live in memory only; nothing here writes a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.capture.checks import find_faces, find_outline, order_corners, straighten

# documents at 300 dpi: ID-1 (identity card, health card) 85.6 x 54 mm, passport page 125 x 88 mm
DOCUMENT_PX = {"idcard": (1012, 638), "passport": (1476, 1039)}
MRZ_SCALE = 1.6  # the copy that tesseract reads is sharper than the stored one
MAX_SIDE = 1600  # px: a picture without an outline (or a face) is stored at most this large
DEFAULT_MAX_BYTES = 2_500_000
QUALITIES = (88, 80, 72, 64, 56, 48, 40)


class ImageTooLarge(ValueError):
    """No JPEG of this image fits the size cap, even small and at low quality."""


@dataclass(frozen=True)
class Still:
    """A processed picture: the JPEG to seal, plus what the pipeline saw (kept in memory only)."""

    jpeg: bytes = field(repr=False)
    width: int
    height: int
    is_outline_found: bool = False
    face_count: int = -1  # -1: not looked for
    document: np.ndarray | None = field(default=None, repr=False)  # the straightened document, RGB


def encode_jpeg(image: np.ndarray, *, max_bytes: int = DEFAULT_MAX_BYTES, quality: int = QUALITIES[0]) -> bytes:
    """RGB → baseline JPEG without any metadata, under ``max_bytes`` (quality first, then size)."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    for _ in range(6):
        for q in [quality] + [q for q in QUALITIES if q < quality]:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
            if ok and buf.size <= max_bytes:
                return buf.tobytes()
        bgr = cv2.resize(bgr, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    raise ImageTooLarge(f"no JPEG under {max_bytes} bytes")


def rectify(still: np.ndarray, quad: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The document straightened to ``size``; a much larger still is halved first (fast, no aliasing)."""
    q = order_corners(quad)
    x0, y0 = np.maximum(np.floor(q.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(q.max(axis=0)).astype(int) + 2, (still.shape[1], still.shape[0]))
    crop, q = still[y0:y1, x0:x1], q - (x0, y0)
    while max(crop.shape[0], crop.shape[1]) > 2.2 * max(size):
        crop, q = cv2.pyrDown(crop), q / 2
    return straighten(crop, q, size, interpolation=cv2.INTER_CUBIC)


def locate(still: np.ndarray) -> np.ndarray | None:
    """The document's outline in a full-resolution still (searched on a copy about 800 pixels wide)."""
    step = max(1, still.shape[1] // 800)
    small = np.ascontiguousarray(still[::step, ::step])  # a stride, not a resize: the search blurs anyway
    quad = find_outline(small, work_width=min(800, small.shape[1]))
    return None if quad is None else quad * step


def process_document(
    still: np.ndarray, *, doc_type: str = "idcard", max_bytes: int = DEFAULT_MAX_BYTES,
    quad: np.ndarray | None = None,
) -> Still:
    """Straighten the document in ``still`` to its real proportions and encode it.

    Without an outline the whole frame is kept (scaled down): the operator still gets a picture.
    """
    quad = locate(still) if quad is None else quad
    if quad is None:
        return _whole(still, max_bytes=max_bytes)
    size = DOCUMENT_PX.get(doc_type, DOCUMENT_PX["idcard"])
    document = rectify(still, quad, size)
    jpeg = encode_jpeg(document, max_bytes=max_bytes)
    return Still(jpeg=jpeg, width=size[0], height=size[1], is_outline_found=True, document=document)


def mrz_copy(still: np.ndarray, quad: np.ndarray, *, doc_type: str = "idcard") -> np.ndarray:
    """A larger straightened copy of the document, for reading the machine-readable zone."""
    w, h = DOCUMENT_PX.get(doc_type, DOCUMENT_PX["idcard"])
    return rectify(still, quad, (round(w * MRZ_SCALE), round(h * MRZ_SCALE)))


def process_face(still: np.ndarray, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Still:
    """The face photo: the whole frame scaled down, and how many faces it shows."""
    result = _whole(still, max_bytes=max_bytes)
    return Still(jpeg=result.jpeg, width=result.width, height=result.height, face_count=len(find_faces(still)))


def _whole(still: np.ndarray, *, max_bytes: int) -> Still:
    h, w = still.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    image = still if scale >= 1.0 else cv2.resize(still, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return Still(jpeg=encode_jpeg(image, max_bytes=max_bytes), width=image.shape[1], height=image.shape[0])
