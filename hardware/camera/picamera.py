"""``PiCamera``: the Raspberry Pi camera through picamera2 (Camera Module 3 with autofocus).

picamera2 comes from Debian (``apt install python3-picamera2``) into a venv made with
``--system-site-packages``; it is imported in ``start()`` only. The camera runs one still
configuration with two streams: ``main`` at full resolution for the capture and ``lores`` for
the live checks. Autofocus runs continuously and one autofocus cycle precedes every still.
Frames are asked for without blocking (``wait=False``) and waited for with a timeout, so a camera
that stops delivering frames is reported instead of freezing the screen.
"""

from __future__ import annotations

import numpy as np

from hardware.camera.port import Camera, Size
from hardware.errors import CameraError, CameraMissing, FramesStopped


FRAME_TIMEOUT_S = 1.0  # a live frame arrives every 33-66 ms: a second without one means it stopped
STILL_TIMEOUT_S = 5.0  # autofocus cycle + a full-resolution still


class PiCamera(Camera):
    def __init__(
        self, *, camera_num: int = 0, resolution: Size = (4608, 2592), preview_resolution: Size = (640, 480),
    ) -> None:
        super().__init__(resolution=resolution, preview_resolution=preview_resolution)
        self.camera_num = camera_num
        self._camera = None
        self._has_autofocus = False
        self.model: str | None = None  # libcamera's name of the sensor once started (e.g. "imx708")

    def _open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as err:
            raise CameraMissing(
                "picamera2 is not installed: apt install python3-picamera2 and make the venv with "
                "--system-site-packages"
            ) from err
        try:
            camera = self._camera = Picamera2(self.camera_num)  # closed by _close() if what follows fails
            config = camera.create_still_configuration(
                main={"size": self.resolution, "format": "RGB888"},
                lores={"size": self.preview_resolution, "format": "YUV420"},
                buffer_count=2,
            )
            camera.configure(config)
            self._has_autofocus = "AfMode" in camera.camera_controls
            self.model = str(camera.camera_properties.get("Model", "")) or None
            camera.start()
            if self._has_autofocus:
                from libcamera import controls

                camera.set_controls({"AfMode": controls.AfModeEnum.Continuous})
            self._frame()
        except (RuntimeError, IndexError, OSError, CameraError) as err:
            self._close()
            raise CameraMissing(f"Pi camera {self.camera_num} did not start: {type(err).__name__}") from err

    @property
    def has_autofocus(self) -> bool:
        return self._has_autofocus

    def _close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            try:
                camera.stop()
            finally:
                camera.close()

    def _frame(self) -> np.ndarray:
        import cv2

        try:
            job = self._camera.capture_array("lores", wait=False)
            yuv = self._camera.wait(job, timeout=FRAME_TIMEOUT_S)
        except TimeoutError as err:
            raise FramesStopped(f"no new frame from the Pi camera for {FRAME_TIMEOUT_S:.0f} s") from err
        except RuntimeError as err:
            raise CameraError("Pi camera stopped sending frames") from err
        rgb = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)  # libcamera YUV420 is I420: Y, then U, then V
        return rgb[:, : self.preview_resolution[0]]

    def _capture_still(self) -> np.ndarray:
        import cv2

        try:
            if self._has_autofocus:
                self._camera.autofocus_cycle()
            job = self._camera.capture_array("main", wait=False)
            bgr = self._camera.wait(job, timeout=STILL_TIMEOUT_S)  # "RGB888" is B, G, R in memory
        except (RuntimeError, TimeoutError) as err:
            raise CameraError("Pi camera failed to take the picture") from err
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
