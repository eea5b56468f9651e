"""The live side of a capture screen: judge each preview frame, draw the overlay, say when to shoot.

The app calls ``LiveGuide.see(kind, frame)`` for every preview frame of a capture screen; it
answers with the frame to show (outline or face box drawn on it), the guidance message key, and
whether the picture should be taken now. A camera that fails is reported as a guidance too, so
the citizen reads what happened and the journey goes on (manual capture, or help).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.capture.checks import OK, DocumentCheck, FaceCheck
from kiosk.capture.guide import FRAMES_TO_CAPTURE, AutoCapture

GOOD, ADJUST = (40, 200, 90), (255, 176, 0)  # RGB: green when ready, amber while something is off


@dataclass(frozen=True)
class LiveView:
    frame: np.ndarray | None
    guidance: str
    progress: float = 0.0
    should_capture: bool = False


class LiveGuide:
    def __init__(self, *, frames_needed: int = FRAMES_TO_CAPTURE) -> None:
        self.frames_needed = frames_needed
        self._guide: AutoCapture | None = None

    def reset(self) -> None:
        self._guide = None

    def see(self, kind: str, frame: np.ndarray) -> LiveView:
        guide = self._guide
        if guide is None or guide.kind != kind:
            guide = self._guide = AutoCapture(kind, frames_needed=self.frames_needed)
        fire = guide.update(frame)
        check = guide.last
        return LiveView(frame=overlay(frame, check, progress=guide.progress), guidance=check.guidance,
                        progress=guide.progress, should_capture=fire)

    @staticmethod
    def camera_lost() -> LiveView:
        return LiveView(frame=None, guidance="capture.camera_lost")


def overlay(frame: np.ndarray, check: DocumentCheck | FaceCheck | None, *, progress: float = 0.0) -> np.ndarray:
    """A copy of ``frame`` with what the checks found: the document's outline or the face's box."""
    if check is None:
        return frame
    out = frame.copy()
    colour = GOOD if check.guidance == OK else ADJUST
    thickness = max(2, frame.shape[1] // 160)
    if isinstance(check, DocumentCheck) and check.quad is not None:
        cv2.polylines(out, [np.round(check.quad).astype(np.int32)], True, colour, thickness, cv2.LINE_AA)
    elif isinstance(check, FaceCheck):
        for x, y, w, h in check.faces:
            cv2.rectangle(out, (x, y), (x + w, y + h), colour, thickness, cv2.LINE_AA)
    if progress > 0:
        h, w = out.shape[:2]
        cv2.rectangle(out, (0, h - thickness * 3), (int(w * progress), h), GOOD, -1)
    return out
