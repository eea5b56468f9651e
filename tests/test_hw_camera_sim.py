"""Contract of the Camera port, run on every backend that can run here."""

import os

import numpy as np
import pytest
from PIL import Image

from hardware import registry
from hardware.camera.sim import SimCamera
from hardware.errors import CameraError

REAL_HW = os.environ.get("SPORTELLO_REAL_HW") == "1"
SIMULATED: list[str] = ["sim"]
REAL: list[str] = []  # "picamera2", "opencv" once they exist
BACKENDS = [pytest.param(n, id=n) for n in SIMULATED] + [
    pytest.param(n, id=n, marks=pytest.mark.skipif(not REAL_HW, reason="SPORTELLO_REAL_HW=1"))
    for n in REAL
]


@pytest.fixture(params=BACKENDS)
def camera(request):
    with registry.create("camera", request.param) as device:
        yield device


@pytest.fixture
def world(camera):
    if not isinstance(camera, SimCamera):
        pytest.skip("needs a world side for this backend")
    return camera


def solid(rgb, size=(320, 240)):
    return np.full((size[1], size[0], 3), rgb, dtype=np.uint8)


def test_frames_are_rgb_uint8_at_their_resolutions(camera):
    width, height = camera.preview_resolution
    frame = camera.frame()
    assert frame.shape == (height, width, 3) and frame.dtype == np.uint8
    still = camera.capture_still()
    assert still.shape == (camera.resolution[1], camera.resolution[0], 3)


def test_nothing_shown_is_a_dark_frame(world):
    assert world.frame().max() < 40


@pytest.mark.parametrize("kind", ["array", "pil", "path"])
def test_show(world, kind, tmp_path):
    image = solid((200, 30, 10))
    if kind == "pil":
        image = Image.fromarray(image)
    elif kind == "path":
        Image.fromarray(image).save(tmp_path / "red.png")
        image = tmp_path / "red.png"
    world.show(image)
    assert tuple(world.frame()[10, 10]) == (200, 30, 10)
    assert tuple(world.capture_still()[-1, -1]) == (200, 30, 10)
    assert world.captures == 1


def test_show_sequence_advances_per_frame_and_stays_on_the_last(world):
    world.show_sequence([solid(10), solid(20), solid(30)])
    assert [int(world.frame()[0, 0, 0]) for _ in range(5)] == [10, 20, 30, 30, 30]
    assert world.frames == 5


def test_unplug(world):
    world.unplug()
    with pytest.raises(CameraError, match="no frames"):
        world.frame()
    with pytest.raises(CameraError):
        world.capture_still()
    world.plug()
    world.frame()


def test_start_fails_when_unplugged_and_not_started():
    camera = SimCamera()
    with pytest.raises(CameraError, match="not started"):
        camera.frame()
    camera.unplug()
    with pytest.raises(CameraError, match="unplugged"):
        camera.start()
    assert not camera.is_started
