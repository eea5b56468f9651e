"""The real camera backends that can run here: files, OpenCV (on recorded frames); picamera2's absence."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from hardware import registry
from hardware.camera.files import FileCamera
from hardware.camera.opencv import OpenCvCamera
from hardware.errors import CameraError, CameraMissing, FramesStopped
from kiosk.capture import synth


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Frames of a citizen holding a card, written as PNG files (what a USB camera would send)."""
    folder = tmp_path_factory.mktemp("frames")
    for i in range(5):
        scene = synth.make_scene(synth.Scenario(seed=1, size=(800, 600), angle=i))
        cv2.imwrite(str(folder / f"frame_{i:03d}.png"), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR))
    return folder


def test_file_camera_plays_a_folder_in_order_and_keeps_the_last(recorded):
    with registry.create("camera", "files", source=str(recorded), preview_resolution=(400, 300)) as camera:
        frames = [camera.frame() for _ in range(7)]
        assert frames[0].shape == (300, 400, 3) and frames[0].dtype == np.uint8
        assert not np.array_equal(frames[0], frames[1])
        assert np.array_equal(frames[5], frames[6])  # the last image stays in view
        assert camera.capture_still().shape == (600, 800, 3)  # full resolution


def test_file_camera_without_images_fails_at_start_with_a_clear_message(tmp_path):
    camera = FileCamera(source=str(tmp_path / "nothing-here"))
    with pytest.raises(CameraMissing, match="no images"):
        camera.start()
    assert not camera.is_started


def test_opencv_camera_reads_frames_as_rgb(recorded):
    with OpenCvCamera(device=str(recorded / "frame_%03d.png"), stall_s=30) as camera:
        frame = camera.frame()
        assert frame.shape == (480, 640, 3)
        source = cv2.cvtColor(cv2.imread(str(recorded / "frame_000.png")), cv2.COLOR_BGR2RGB)
        assert abs(float(frame[..., 0].mean()) - float(source[..., 0].mean())) < 40  # RGB, not BGR
        assert camera.capture_still().shape == (600, 800, 3)


def test_opencv_camera_says_when_frames_stop(recorded):
    with OpenCvCamera(device=str(recorded / "frame_%03d.png"), stall_s=0.3) as camera:
        # The recording ends after a few frames; once no new frame has come for stall_s, the camera says
        # so. Wait for that by polling (a loaded machine reads the recording slowly), not a fixed sleep.
        deadline = time.monotonic() + 30.0
        while True:
            try:
                camera.frame()
            except FramesStopped as exc:
                assert "no new frame" in str(exc)
                break
            assert time.monotonic() < deadline, "frames never reported as stopped after the recording ended"
            time.sleep(0.05)
        with pytest.raises(CameraError):
            camera.capture_still()


def test_opencv_camera_missing_device():
    with pytest.raises(CameraMissing, match="no camera"):
        OpenCvCamera(device="/dev/video-not-here").start()


def test_picamera2_missing_is_a_clear_camera_error():
    try:
        import picamera2  # noqa: F401
    except ImportError:
        camera = registry.create("camera", "picamera2")
        with pytest.raises(CameraMissing, match="python3-picamera2"):
            camera.start()
        assert not camera.is_started
    else:  # pragma: no cover - on a Pi
        pytest.skip("picamera2 is installed: the real-hardware contract tests cover it")
