"""``FileCamera``: frames from image files, for development, the demo and tests.

``source`` is one image, a directory (its images in name order) or a glob pattern. Each preview
frame shows the next image; the last one stays in view (or the sequence loops with ``loop``).
A still is the current image at its own full resolution.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
from PIL import Image

from hardware.camera.port import Camera, Size
from hardware.errors import CameraMissing

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class FileCamera(Camera):
    def __init__(
        self, *, source: str | os.PathLike = "", loop: bool = False,
        resolution: Size = (4056, 3040), preview_resolution: Size = (640, 480),
    ) -> None:
        super().__init__(resolution=resolution, preview_resolution=preview_resolution)
        self.source = os.fspath(source)
        self.loop = loop
        self.paths: list[Path] = []
        self._index = 0

    def _open(self) -> None:
        self.paths = _images(self.source)
        if not self.paths:
            raise CameraMissing(f"file camera: no images at {self.source!r}")
        self._index = 0
        self._load(self.paths[0])

    def _close(self) -> None:
        self.paths = []

    def _frame(self) -> np.ndarray:
        image = self._load(self.paths[self._index])
        if self._index + 1 < len(self.paths):
            self._index += 1
        elif self.loop:
            self._index = 0
        preview = image.copy()
        preview.thumbnail(self.preview_resolution, Image.Resampling.BILINEAR)
        return np.asarray(preview, dtype=np.uint8)

    def _capture_still(self) -> np.ndarray:
        current = self.paths[max(0, self._index - 1) if not self.loop else self._index]
        return np.asarray(self._load(current), dtype=np.uint8)

    def _load(self, path: Path) -> Image.Image:
        try:
            with Image.open(path) as opened:
                return opened.convert("RGB")
        except OSError as err:
            raise CameraMissing(f"file camera: cannot read {path.name}") from err


def _images(source: str) -> list[Path]:
    if not source:
        return []
    path = Path(source)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
    if path.is_file():
        return [path]
    return sorted(Path(p) for p in glob.glob(source) if Path(p).suffix.lower() in SUFFIXES)
