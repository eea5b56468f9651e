"""The picamera2 backend's own logic, against a stand-in for the part of the Picamera2 API it uses.

The real picamera2 (Debian's python3-picamera2, libcamera, a Raspberry Pi camera) cannot run on
this machine: there is no Pi and no camera. ``StandInPicamera2`` implements only what
``hardware.camera.picamera`` calls (``create_still_configuration``, ``configure``,
``camera_controls``, ``start``/``stop``/``close``, ``set_controls``, ``capture_array(name,
wait=False)`` + ``wait(job, timeout)``, ``autofocus_cycle``), with picamera2's documented data
layouts: the ``lores`` stream is YUV420 (I420) with rows padded to a 64-byte stride, the ``main``
stream in format "RGB888" is B, G, R in memory. What this proves is the backend's logic (lores
for live frames, full-resolution still, autofocus only on a camera that has it, lazy import, clear
errors); the behaviour of the real library on a Pi is checked on the device.
"""

from __future__ import annotations

import sys
import types

import cv2
import numpy as np
import pytest

from hardware import registry
from hardware.errors import CameraError, CameraMissing, FramesStopped

RED = (220, 30, 30)  # RGB


class StandInPicamera2:
    """The subset of ``picamera2.Picamera2`` the backend uses (see the module docstring)."""

    instances: list[StandInPicamera2] = []

    def __init__(self, camera_num: int = 0, *, autofocus: bool = True, frames: int | None = None,
                 fail_start: bool = False) -> None:
        if camera_num != 0:
            raise IndexError("list index out of range")  # what picamera2 raises for a camera that is not there
        self.camera_controls = {"ExposureTime": (1, 1000000, 10000)}
        if autofocus:
            self.camera_controls["AfMode"] = (0, 2, 0)
        # Picamera2 exposes libcamera's properties; Camera Module 3 is the imx708 (autofocus), v2 the imx219
        self.camera_properties = {"Model": "imx708" if autofocus else "imx219"}
        self.frames_left = frames  # None: frames forever; a number: then it stops delivering
        self.fail_start = fail_start
        self.config: dict | None = None
        self.controls: dict = {}
        self.calls: list[str] = []
        self.is_running = self.is_closed = False
        StandInPicamera2.instances.append(self)

    def create_still_configuration(self, main: dict, lores: dict, buffer_count: int) -> dict:
        return {"main": dict(main), "lores": dict(lores), "buffer_count": buffer_count}

    def configure(self, config: dict) -> None:
        self.config = config

    def start(self) -> None:
        if self.fail_start:
            raise RuntimeError("Failed to start camera")
        self.is_running = True

    def stop(self) -> None:
        self.is_running = False

    def close(self) -> None:
        self.is_closed = True

    def set_controls(self, controls: dict) -> None:
        self.controls.update(controls)

    def autofocus_cycle(self) -> bool:
        assert "AfMode" in self.camera_controls, "autofocus on a camera without it"
        self.calls.append("autofocus")
        return True

    def capture_array(self, name: str = "main", wait=None):
        assert wait is False, "the backend must not block on a frame without a timeout"
        assert self.is_running
        return ("job", name)

    def wait(self, job, timeout=None):
        assert timeout is not None and timeout > 0
        _, name = job
        if self.frames_left is not None:
            if self.frames_left <= 0:
                raise TimeoutError()
            self.frames_left -= 1
        self.calls.append(name)
        stream = self.config[name]
        w, h = stream["size"]
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[:] = RED
        cv2.rectangle(rgb, (w // 4, h // 4), (w // 2, h // 2), (250, 250, 250), -1)  # a white patch, top left
        if name == "lores":
            assert stream["format"] == "YUV420"
            stride = -(-w // 64) * 64
            padded = np.zeros((h, stride, 3), np.uint8)
            padded[:, :w] = rgb
            return cv2.cvtColor(padded, cv2.COLOR_RGB2YUV_I420)  # (h * 3 / 2, stride)
        assert stream["format"] == "RGB888"
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


@pytest.fixture
def picamera2(monkeypatch):
    """Install the stand-in as the ``picamera2`` and ``libcamera`` modules; returns the settings dict."""
    settings: dict = {}
    StandInPicamera2.instances = []
    module = types.ModuleType("picamera2")
    module.Picamera2 = lambda camera_num=0: StandInPicamera2(camera_num, **settings)
    libcamera = types.ModuleType("libcamera")
    libcamera.controls = types.SimpleNamespace(AfModeEnum=types.SimpleNamespace(Continuous=2))
    monkeypatch.setitem(sys.modules, "picamera2", module)
    monkeypatch.setitem(sys.modules, "libcamera", libcamera)
    return settings


def test_the_backend_imports_picamera2_only_when_started(monkeypatch):
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    camera = registry.create("camera", "picamera2")
    assert "picamera2" not in sys.modules  # creating (and configuring) the kiosk costs nothing
    with pytest.raises(CameraMissing, match="python3-picamera2"):
        camera.start()


def test_live_frames_come_from_the_lores_stream_and_the_still_from_main_in_rgb(picamera2):
    with registry.create("camera", "picamera2", resolution=(1280, 960), preview_resolution=(600, 450)) as camera:
        frame = camera.frame()
        still = camera.capture_still()
    pi = StandInPicamera2.instances[-1]
    assert pi.config["lores"]["size"] == (600, 450) and pi.config["main"]["size"] == (1280, 960)
    assert frame.shape == (450, 600, 3)  # the stride padding (640) is cut away
    assert still.shape == (960, 1280, 3)
    for image in (frame, still):  # red stays red, the white patch stays where it was
        h, w = image.shape[:2]
        corner = image[h - 10, w - 10].astype(int)
        assert corner[0] > 180 and corner[1] < 80 and corner[2] < 80
        assert image[h * 3 // 8, w * 3 // 8].min() > 220
    assert pi.calls[:2] == ["lores", "lores"]  # the self-test frame, then the live one
    assert pi.calls[-2:] == ["autofocus", "main"]  # one autofocus cycle right before the still
    assert pi.controls == {"AfMode": 2}  # continuous autofocus (Camera Module 3)
    assert pi.is_closed and not pi.is_running


def test_a_camera_without_autofocus_is_never_asked_to_focus(picamera2):
    picamera2["autofocus"] = False
    with registry.create("camera", "picamera2") as camera:
        camera.capture_still()
        assert camera.model == "imx219"  # what kiosk doctor names to the technician
    pi = StandInPicamera2.instances[-1]
    assert "autofocus" not in pi.calls and pi.controls == {}


def test_a_camera_that_stops_delivering_frames_is_reported_not_waited_for(picamera2):
    picamera2["frames"] = 3  # the self-test frame, two live frames, then nothing
    with registry.create("camera", "picamera2") as camera:
        camera.frame()
        camera.frame()
        with pytest.raises(FramesStopped, match="no new frame"):
            camera.frame()
        with pytest.raises(CameraError, match="failed to take the picture"):
            camera.capture_still()


def test_a_camera_that_is_not_there_or_does_not_start_is_a_clear_error_and_left_closed(picamera2):
    with pytest.raises(CameraMissing, match="Pi camera 1 did not start"):
        registry.create("camera", "picamera2", camera_num=1).start()
    picamera2["fail_start"] = True
    camera = registry.create("camera", "picamera2")
    with pytest.raises(CameraMissing, match="did not start"):
        camera.start()
    assert not camera.is_started and StandInPicamera2.instances[-1].is_closed
    picamera2.update(fail_start=False, frames=0)  # starts, but not one frame arrives
    camera = registry.create("camera", "picamera2")
    with pytest.raises(CameraMissing, match="did not start"):
        camera.start()
    assert StandInPicamera2.instances[-1].is_closed
