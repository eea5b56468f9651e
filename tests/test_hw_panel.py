"""Contract of the Panel port on gpiozero: MockFactory here, lgpio on a Pi (SPORTELLO_REAL_HW=1)."""

import os
import time

import gpiozero
import pytest
from gpiozero.pins.mock import MockFactory

from hardware import registry
from hardware.errors import PanelError
from hardware.panel.gpio import GpioPanel
from hardware.panel.port import PanelPins
from hardware.panel.sim import MockPanel

REAL_HW = os.environ.get("SPORTELLO_REAL_HW") == "1"
SIMULATED: list[str] = ["mock"]
REAL: list[str] = ["gpiozero"]
BACKENDS = [pytest.param(n, id=n) for n in SIMULATED] + [
    pytest.param(n, id=n, marks=pytest.mark.skipif(not REAL_HW, reason="SPORTELLO_REAL_HW=1"))
    for n in REAL
]
BLINK = 0.01
WITH_EXTRAS = PanelPins(buzzer=5, presence_sensor=6)


@pytest.fixture(params=BACKENDS)
def panel(request):
    with registry.create("panel", request.param, pins=WITH_EXTRAS, blink_interval=BLINK) as device:
        yield device


@pytest.fixture
def world(panel):
    if not isinstance(panel, MockPanel):
        pytest.skip("needs a world side for this backend")
    return panel


def wait_for(predicate, timeout=1.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_quiet_at_start(panel):
    assert not panel.is_tamper_open
    assert not panel.has_headphones
    assert not panel.is_someone_present


def test_help_press_fires_callback(panel, world):
    pressed = []
    panel.when_help_pressed = lambda: pressed.append(True)
    world.press("help")
    world.release("help")
    world.press("help")
    assert pressed == [True, True]


@pytest.mark.parametrize(
    ("state", "green", "red"), [("ready", True, False), ("offline", False, True)]
)
def test_steady_status(panel, world, state, green, red):
    panel.set_status(state)
    assert world.pin("status_led_green").state == green
    assert world.pin("status_led_red").state == red
    assert panel.status == state


@pytest.mark.parametrize(("state", "blinking", "dark"), [("busy", "green", "red"), ("attention", "red", "green")])
def test_blinking_status(panel, world, state, blinking, dark):
    panel.set_status("offline" if blinking == "green" else "ready")
    panel.set_status(state)
    assert wait_for(lambda: world.states(f"status_led_{blinking}").count(True) >= 3)
    assert world.pin(f"status_led_{dark}").state is False or world.pin(f"status_led_{dark}").state == 0
    with pytest.raises(ValueError):
        panel.set_status("happy")


def test_call_staff_blinks_and_beeps_once(panel, world):
    panel.call_staff(True)
    assert wait_for(lambda: world.states("help_led").count(True) >= 3)
    assert wait_for(lambda: world.states("buzzer") == [False, True, False])
    panel.call_staff(False)
    assert not world.pin("help_led").state
    time.sleep(0.05)
    assert world.states("buzzer") == [False, True, False]


def test_tamper(panel, world):
    opened = []
    panel.when_tamper_opened = lambda: opened.append(True)
    world.press("tamper")
    assert panel.is_tamper_open and opened == [True]
    world.release("tamper")
    assert not panel.is_tamper_open and opened == [True]


def test_headphones_and_presence(panel, world):
    changes, arrivals = [], []
    panel.when_headphones_changed = changes.append
    panel.when_presence = lambda: arrivals.append(True)
    world.press("headphones")
    assert panel.has_headphones
    world.release("headphones")
    world.press("presence")
    assert changes == [True, False] and arrivals == [True] and panel.is_someone_present


def test_world_names():
    with MockPanel() as panel:
        with pytest.raises(ValueError, match="unknown panel input"):
            panel.press("door")
        with pytest.raises(PanelError, match="presence_sensor is not configured"):
            panel.press("presence")
        panel.call_staff(True)  # no buzzer configured: only the LED
        panel.call_staff(False)


def test_busy_pin_names_it_and_releases_the_others():
    factory = MockFactory()
    blocker = gpiozero.LED(23, pin_factory=factory)
    panel = GpioPanel(pin_factory=factory)
    with pytest.raises(PanelError, match=r"status_led_green pin GPIO23 is busy"):
        panel.start()
    assert not panel.is_started
    blocker.close()
    with panel:
        panel.set_status("ready")


def test_missing_pin_and_duplicate_pin():
    with pytest.raises(PanelError, match="help_button pin GPIO99"):
        GpioPanel(pins=PanelPins(help_button=99), pin_factory=MockFactory()).start()
    with pytest.raises(PanelError, match="GPIO17 is configured twice"):
        PanelPins(help_led=17)


def test_each_mock_panel_has_its_own_factory_and_the_global_is_untouched():
    before = gpiozero.Device.pin_factory
    with MockPanel() as one, MockPanel() as two:
        one.press("help")
        assert two.pin("help_button").state
        assert not one.pin("help_button").state
        one.release("help")  # else closing waits out the Button's hold timer
    assert gpiozero.Device.pin_factory is before


def test_real_backend_without_gpio_fails_clearly():
    try:
        import lgpio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lgpio is installed: this may be a Pi")
    with pytest.raises(PanelError, match="GPIO unavailable"):
        GpioPanel().start()
