"""``OpenCvCamera``: a USB camera through OpenCV's V4L2 capture (or anything OpenCV can open).

A reader thread keeps the latest frame, so ``frame()`` never blocks for more than one frame
interval; when no new frame has arrived for ``stall_s`` seconds (cable out, driver hung, end of
a recorded sequence) every call raises ``FramesStopped``. ``device`` is a V4L2 index (0 for
``/dev/video0``) or a path OpenCV opens itself (a device node, a video file, ``frame_%03d.png``).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from hardware.camera.port import Camera, Size
from hardware.errors import CameraError, CameraMissing, FramesStopped

OPEN_TIMEOUT_S = 5.0


class OpenCvCamera(Camera):
    def __init__(
        self, *, device: int | str = 0, stall_s: float = 2.0,
        resolution: Size = (1920, 1080), preview_resolution: Size = (640, 480),
    ) -> None:
        super().__init__(resolution=resolution, preview_resolution=preview_resolution)
        self.device = device
        self.stall_s = stall_s
        self._capture = None
        self._latest: np.ndarray | None = None
        self._latest_at = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _open(self) -> None:
        import cv2  # imported here: only the configured backend pays for it

        source = self.device
        if isinstance(source, str) and source.isdigit():
            source = int(source)
        api = cv2.CAP_V4L2 if isinstance(source, int) else cv2.CAP_ANY
        capture = cv2.VideoCapture(source, api)
        if not capture.isOpened():
            capture.release()
            raise CameraMissing(f"no camera at {self.device!r}")
        if isinstance(source, int):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.resolution[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.resolution[1])
        self._capture = capture
        self._stop.clear()
        self._latest, self._latest_at = None, 0.0
        self._thread = threading.Thread(target=self._read_loop, name="camera-reader", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while time.monotonic() < deadline:
            with self._lock:
                if self._latest is not None:
                    return
            if not self._thread.is_alive():
                break
            time.sleep(0.01)
        self._close()
        raise CameraMissing(f"camera at {self.device!r} opened but sent no frame")

    def _read_loop(self) -> None:
        import cv2

        while not self._stop.is_set():
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                return  # the stream ended: callers see FramesStopped once stall_s has passed
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            with self._lock:
                self._latest, self._latest_at = rgb, time.monotonic()

    def _close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._capture is not None:
            self._capture.release()
        self._capture, self._thread = None, None

    def _current(self) -> np.ndarray:
        with self._lock:
            latest, at = self._latest, self._latest_at
        if latest is None:
            raise CameraError("camera has no frame yet")
        if time.monotonic() - at > self.stall_s:
            raise FramesStopped(f"no new frame from the camera for {self.stall_s:.0f} s")
        return latest

    def _frame(self) -> np.ndarray:
        import cv2

        frame = self._current()
        h, w = frame.shape[:2]
        pw, ph = self.preview_resolution
        if (w, h) == (pw, ph):
            return frame
        scale = min(pw / w, ph / h)
        return cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)

    def _capture_still(self) -> np.ndarray:
        return self._current().copy()
