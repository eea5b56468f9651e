"""``SimCamera``: a camera that sees whatever the test shows it.

World side: ``show(image)``, ``show_sequence(images)``, ``unplug()``, ``plug()``.
History: ``captures`` (stills taken), ``frames`` (preview frames served).
With nothing shown it sees a plain dark frame.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

import numpy as np
from PIL import Image

from hardware.camera.port import Camera, Size
from hardware.errors import CameraError, FramesStopped

Showable = np.ndarray | Image.Image | str | os.PathLike
DARK = 16


class SimCamera(Camera):
    def __init__(
        self, *, resolution: Size = (1600, 1200), preview_resolution: Size = (640, 480)
    ) -> None:
        super().__init__(resolution=resolution, preview_resolution=preview_resolution)
        self.captures = 0
        self.frames = 0
        self.is_plugged_in = True
        self.is_stalled = False
        self._lock = threading.Lock()
        self._queue: list[Image.Image] = []
        self._scene: Image.Image | None = None

    # -- world side ---------------------------------------------------------------------------

    def show(self, image: Showable) -> None:
        """From now on the camera sees ``image`` (an RGB/grey array, a PIL image, or a file path)."""
        scene = _load(image)
        with self._lock:
            self._queue = []
            self._scene = scene

    def show_sequence(self, images: Iterable[Showable]) -> None:
        """Each preview frame shows the next image; the last one stays in view."""
        scenes = [_load(image) for image in images]
        if not scenes:
            raise ValueError("show_sequence needs at least one image")
        with self._lock:
            self._scene = scenes[0]
            self._queue = scenes[1:]

    def unplug(self) -> None:
        """The cable comes out: every call raises ``CameraError``."""
        self.is_plugged_in = False

    def plug(self) -> None:
        self.is_plugged_in = True

    def stall(self) -> None:
        """The camera stays connected but sends no more frames (a hung driver, a loose ribbon): every
        call raises ``FramesStopped``, as the real backends do once their stall timeout has passed."""
        self.is_stalled = True

    def resume(self) -> None:
        self.is_stalled = False

    # -- port ---------------------------------------------------------------------------------

    def _open(self) -> None:
        self._grab(self.preview_resolution, advance=False)

    def _close(self) -> None:
        pass

    def _frame(self) -> np.ndarray:
        frame = self._grab(self.preview_resolution, advance=True)
        self.frames += 1
        return frame

    def _capture_still(self) -> np.ndarray:
        still = self._grab(self.resolution, advance=False)
        self.captures += 1
        return still

    def _grab(self, size: Size, *, advance: bool) -> np.ndarray:
        if not self.is_plugged_in:
            raise CameraError("camera unplugged: no frames")
        if self.is_stalled:
            raise FramesStopped("no new frame from the camera")
        with self._lock:
            scene = self._scene
            if advance and self._queue:
                self._scene = self._queue.pop(0)
        if scene is None:
            return np.full((size[1], size[0], 3), DARK, dtype=np.uint8)
        if scene.size != size:
            scene = scene.resize(size, Image.Resampling.BILINEAR)
        return np.asarray(scene, dtype=np.uint8).copy()


def _load(image: Showable) -> Image.Image:
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError("an array to show must be H x W (grey) or H x W x 3 (RGB), uint8")
        return Image.fromarray(image).convert("RGB")
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    with Image.open(os.fspath(image)) as opened:
        return opened.convert("RGB")
