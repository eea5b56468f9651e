"""The ``Camera`` port. Frames are numpy arrays shaped (height, width, 3), dtype uint8, RGB."""

from __future__ import annotations

import numpy as np

from hardware.device import Device
from hardware.errors import CameraError

Size = tuple[int, int]
"""(width, height) in pixels, as picamera2 and OpenCV configure them."""


class Camera(Device):
    """One camera, shaped to fit picamera2 (preview + still configurations) or OpenCV capture.

    A backend MUST implement ``_open()`` / ``_close()`` (``_open`` grabs one frame as its
    self-test and raises ``CameraError`` naming the camera on failure), ``_frame()`` (the latest
    preview frame, never blocking for longer than one frame interval) and ``_capture_still()``
    (a full-resolution image). Both return RGB; a backend whose library yields BGR (OpenCV)
    converts. The port checks shape and dtype and raises ``CameraError`` on a malformed frame.
    A backend MAY return frames of a size other than configured if the sensor cannot match it.
    """

    error = CameraError
    kind = "camera"

    def __init__(self, *, resolution: Size, preview_resolution: Size) -> None:
        super().__init__()
        self.resolution: Size = _check_size(resolution, "resolution")
        self.preview_resolution: Size = _check_size(preview_resolution, "preview_resolution")

    def frame(self) -> np.ndarray:
        """The latest live preview frame (low resolution)."""
        self._check_started()
        return _check_frame(self._frame())

    def capture_still(self) -> np.ndarray:
        """One full-resolution still."""
        self._check_started()
        return _check_frame(self._capture_still())

    def _frame(self) -> np.ndarray:
        raise NotImplementedError

    def _capture_still(self) -> np.ndarray:
        raise NotImplementedError


def _check_size(size: Size, name: str) -> Size:
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"{name} must be positive, not {size!r}")
    return (int(width), int(height))


def _check_frame(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise CameraError("camera returned a malformed frame (expected H x W x 3 uint8 RGB)")
    return frame
