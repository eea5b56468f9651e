"""``GpioPanel``: the panel on gpiozero devices, given a pin factory.

On the Pi the factory is lgpio's (made in ``start()`` when none is given); in tests it is a
``gpiozero.pins.mock.MockFactory`` (see ``hardware.panel.sim``). The factory is always passed to
each device: the process-wide ``Device.pin_factory`` is never read or set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hardware.errors import PanelError
from hardware.panel.port import STATUSES, Panel, PanelPins, Status

BEEP_S = 0.2


class GpioPanel(Panel):
    def __init__(
        self,
        *,
        pins: PanelPins = PanelPins(),
        pin_factory: Any = None,
        bounce_time: float | None = 0.05,
        blink_interval: float = 0.5,
    ) -> None:
        super().__init__(pins=pins)
        self.pin_factory = pin_factory
        self.bounce_time = bounce_time
        self.blink_interval = blink_interval
        self.status: Status | None = None
        self._factory: Any = None
        self._owns_factory = False
        self._devices: dict[str, Any] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    def _open(self) -> None:
        import gpiozero

        self._factory, self._owns_factory = self.pin_factory, False
        if self._factory is None:
            self._factory, self._owns_factory = _lgpio_factory(), True
        makers: dict[str, Callable[[int], Any]] = {
            "help_button": lambda pin: gpiozero.Button(
                pin, pull_up=True, bounce_time=self.bounce_time, pin_factory=self._factory
            ),
            "tamper_switch": lambda pin: self._input(gpiozero, pin, pull_up=True),
            "headphone_detect": lambda pin: self._input(gpiozero, pin, pull_up=True),
            "presence_sensor": lambda pin: self._input(gpiozero, pin, pull_up=False),
            "help_led": lambda pin: gpiozero.LED(pin, pin_factory=self._factory),
            "status_led_red": lambda pin: gpiozero.LED(pin, pin_factory=self._factory),
            "status_led_green": lambda pin: gpiozero.LED(pin, pin_factory=self._factory),
            "buzzer": lambda pin: gpiozero.Buzzer(pin, pin_factory=self._factory),
        }
        try:
            for part, pin in self.pins.items():
                try:
                    self._devices[part] = makers[part](pin)
                except gpiozero.GPIOPinInUse:
                    raise PanelError(f"{part} pin GPIO{pin} is busy (used by another device)") from None
                except gpiozero.GPIOZeroError as err:
                    raise PanelError(f"{part} pin GPIO{pin} is unusable: {err}") from None
        except BaseException:
            self._release()
            raise
        self._wire()

    def _close(self) -> None:
        self._release()

    def _input(self, gpiozero: Any, pin: int, *, pull_up: bool) -> Any:
        return gpiozero.DigitalInputDevice(
            pin, pull_up=pull_up, bounce_time=self.bounce_time, pin_factory=self._factory
        )

    def _wire(self) -> None:
        devices = self._devices
        if "help_button" in devices:
            devices["help_button"].when_pressed = lambda: _fire(self.when_help_pressed)
        if "tamper_switch" in devices:  # normally closed: released means the door opened
            devices["tamper_switch"].when_deactivated = lambda: _fire(self.when_tamper_opened)
        if "headphone_detect" in devices:
            devices["headphone_detect"].when_activated = lambda: _fire(self.when_headphones_changed, True)
            devices["headphone_detect"].when_deactivated = lambda: _fire(self.when_headphones_changed, False)
        if "presence_sensor" in devices:
            devices["presence_sensor"].when_activated = lambda: _fire(self.when_presence)

    def _release(self) -> None:
        for device in reversed(list(self._devices.values())):
            device.close()
        self._devices.clear()
        if self._owns_factory and self._factory is not None:
            self._factory.close()
        self._factory, self._owns_factory = None, False

    @property
    def factory(self) -> Any:
        """The pin factory in use once started (lgpio's on a Pi, a ``MockFactory`` in tests); None before."""
        return self._factory

    # -- port ---------------------------------------------------------------------------------

    def call_staff(self, active: bool) -> None:
        self._check_started()
        led, buzzer = self._devices.get("help_led"), self._devices.get("buzzer")
        if active:
            if led is not None:
                led.blink(on_time=self.blink_interval, off_time=self.blink_interval)
            if buzzer is not None:
                buzzer.beep(on_time=BEEP_S, off_time=BEEP_S, n=1)
        else:
            if led is not None:
                led.off()
            if buzzer is not None:
                buzzer.off()

    def set_status(self, state: Status) -> None:
        self._check_started()
        if state not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}, not {state!r}")
        red, green = self._devices.get("status_led_red"), self._devices.get("status_led_green")
        lit, other = (green, red) if state in ("ready", "busy") else (red, green)
        if other is not None:
            other.off()
        if lit is not None:
            if state in ("busy", "attention"):
                lit.blink(on_time=self.blink_interval, off_time=self.blink_interval)
            else:
                lit.on()
        self.status = state

    @property
    def is_tamper_open(self) -> bool:
        self._check_started()
        switch = self._devices.get("tamper_switch")
        return switch is not None and not switch.is_active

    @property
    def has_headphones(self) -> bool:
        self._check_started()
        detect = self._devices.get("headphone_detect")
        return detect is not None and bool(detect.is_active)

    @property
    def is_someone_present(self) -> bool:
        self._check_started()
        sensor = self._devices.get("presence_sensor")
        return sensor is not None and bool(sensor.is_active)


def _fire(callback: Callable[..., None] | None, *args: Any) -> None:
    if callback is not None:
        callback(*args)


def _lgpio_factory() -> Any:
    try:
        from gpiozero.pins.lgpio import LGPIOFactory

        return LGPIOFactory()
    except Exception as err:  # ImportError off the Pi, or /dev/gpiochip* unreadable
        raise PanelError(f"GPIO unavailable (lgpio): {err}") from None
