"""Automatic capture: take the picture once every check has passed for a few frames in a row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.capture.checks import OK, DocumentCheck, FaceCheck, FaceFinder, OutlineTracker, check_document, check_face

FRAMES_TO_CAPTURE = 4  # consecutive good frames (about a quarter of a second at 15 frames/s)
MAX_DRIFT = 0.02  # the outline may move this share of the frame's diagonal between frames


@dataclass
class AutoCapture:
    """Feed it live frames; ``update`` answers with the latest check and whether to shoot now.

    "Good" means every check passed and the document did not move between frames, so a moving
    hand says "hold still" even when each single frame looks sharp. After firing it waits for
    ``reset()`` (a new capture screen or a retake) and never fires twice for one picture.
    """

    kind: str  # "document_front", ..., "face"
    frames_needed: int = FRAMES_TO_CAPTURE
    streak: int = 0
    has_fired: bool = False
    last: DocumentCheck | FaceCheck | None = None
    _last_quad: np.ndarray | None = None
    _outlines: OutlineTracker = field(default_factory=OutlineTracker)  # search again only on a changed picture
    _faces: FaceFinder = field(default_factory=FaceFinder)

    @property
    def is_face(self) -> bool:
        return self.kind == "face"

    def reset(self, kind: str | None = None) -> None:
        if kind is not None:
            self.kind = kind
        self.streak, self.has_fired, self.last, self._last_quad = 0, False, None, None
        self._outlines.reset()
        self._faces.reset()

    def update(self, frame: np.ndarray) -> bool:
        """Judge one frame; True exactly once, when the picture should be taken now."""
        check = check_face(frame, finder=self._faces) if self.is_face else check_document(frame, tracker=self._outlines)
        if not self.is_face and check.is_ok and self._has_moved(check.quad, frame.shape):
            check = DocumentCheck(**{**check.__dict__, "guidance": "capture.hold_still"})
        if isinstance(check, DocumentCheck):
            self._last_quad = check.quad
        self.last = check
        self.streak = self.streak + 1 if check.guidance == OK else 0
        if self.streak >= self.frames_needed and not self.has_fired:
            self.has_fired = True
            return True
        return False

    @property
    def progress(self) -> float:
        """0..1: how close the run of good frames is to taking the picture."""
        return min(1.0, self.streak / self.frames_needed)

    def _has_moved(self, quad: np.ndarray | None, shape: tuple[int, ...]) -> bool:
        if quad is None or self._last_quad is None:
            return False
        diagonal = float(np.hypot(shape[0], shape[1]))
        return float(np.abs(quad - self._last_quad).max()) > MAX_DRIFT * diagonal
