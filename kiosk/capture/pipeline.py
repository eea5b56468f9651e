"""One capture, start to end: a full-resolution still in, the JPEG to seal and what was read out.

Called by the shell's worker thread for every ``Capture`` effect. Images stay in memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from kiosk.capture import checks, mrz_reader, still

log = logging.getLogger("kiosk.capture")

MRZ_KINDS = {"idcard": "document_back", "residence_permit": "document_back", "passport": "document_front"}
ID1_KINDS = ("health_card_front", "health_card_back")


@dataclass(frozen=True)
class CaptureResult:
    jpeg: bytes = field(repr=False)
    width: int
    height: int
    is_outline_found: bool = False
    mrz: dict | None = field(default=None, repr=False)  # only a zone whose check digits all hold
    fault: str = ""  # a capture.* message key when the frame itself is unusable (black, blown out)


def process_capture(frame: np.ndarray, *, kind: str, doc_type: str = "", max_bytes: int = still.DEFAULT_MAX_BYTES) -> CaptureResult:
    fault = checks.frame_fault(frame)
    if fault:
        return CaptureResult(jpeg=b"", width=0, height=0, fault=fault)
    if kind == "face":
        face = still.process_face(frame, max_bytes=max_bytes)
        return CaptureResult(jpeg=face.jpeg, width=face.width, height=face.height)
    shape = "passport" if doc_type == "passport" and kind.startswith("document") else "idcard"
    quad = still.locate(frame)
    result = still.process_document(frame, doc_type=shape, max_bytes=max_bytes, quad=quad)
    mrz = None
    if quad is not None and MRZ_KINDS.get(doc_type) == kind:
        try:
            reading = mrz_reader.read_mrz(still.mrz_copy(frame, quad, doc_type=shape), doc_type=shape)
        except (mrz_reader.TesseractMissing, OSError, RuntimeError) as err:  # a broken OCR never stops the journey
            log.warning("MRZ reading unavailable", extra={"error": type(err).__name__})
            reading = None
        if reading is not None and reading.is_valid:
            mrz = reading.as_dict()
        log.info("MRZ read", extra={"is_valid": bool(mrz), "format": reading.format if reading else ""})
    return CaptureResult(jpeg=result.jpeg, width=result.width, height=result.height,
                         is_outline_found=result.is_outline_found, mrz=mrz)
