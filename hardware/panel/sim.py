"""``MockPanel``: ``GpioPanel`` on its own ``MockFactory``, plus a world side.

World side: ``press(name)`` / ``release(name)`` for ``"help"`` (button pushed), ``"tamper"``
(door opened), ``"headphones"`` (plug in the jack), ``"presence"`` (someone in front).
History: the mock pins' ``states``, via ``pin(part)`` and ``states(part)``.
At ``start()`` the door is closed, the jack empty and nobody there.
Callbacks run synchronously in the thread calling ``press`` / ``release``.
"""

from __future__ import annotations

from typing import Any

from hardware.errors import PanelError
from hardware.panel.gpio import GpioPanel
from hardware.panel.port import PanelPins

# world name -> (part, pin level while "pressed")
_WORLD = {
    "help": ("help_button", False),
    "tamper": ("tamper_switch", True),
    "headphones": ("headphone_detect", False),
    "presence": ("presence_sensor", True),
}


class MockPanel(GpioPanel):
    def __init__(self, *, pins: PanelPins = PanelPins(), blink_interval: float = 0.5) -> None:
        from gpiozero.pins.mock import MockFactory

        super().__init__(
            pins=pins, pin_factory=MockFactory(), bounce_time=None, blink_interval=blink_interval
        )

    def _open(self) -> None:
        super()._open()
        for name, (part, pressed_level) in _WORLD.items():
            if getattr(self.pins, part) is not None:
                self._drive(part, not pressed_level)

    # -- world side ---------------------------------------------------------------------------

    def press(self, name: str) -> None:
        part, level = self._part(name)
        self._drive(part, level)

    def release(self, name: str) -> None:
        part, level = self._part(name)
        self._drive(part, not level)

    # -- history ------------------------------------------------------------------------------

    def pin(self, part: str) -> Any:
        """The ``MockPin`` of a configured part (``"help_led"``, ``"status_led_green"``, ...)."""
        number = getattr(self.pins, part, None)
        if number is None:
            raise PanelError(f"{part} is not configured on this panel")
        return self.pin_factory.pin(number)

    def states(self, part: str) -> list[bool]:
        """The levels the part's pin went through, oldest first, repeats collapsed."""
        levels: list[bool] = []
        for entry in self.pin(part).states:
            level = bool(entry.state)
            if not levels or levels[-1] != level:
                levels.append(level)
        return levels

    def _part(self, name: str) -> tuple[str, bool]:
        try:
            part, level = _WORLD[name]
        except KeyError:
            raise ValueError(f"unknown panel input {name!r} (known: {', '.join(_WORLD)})") from None
        if getattr(self.pins, part) is None:
            raise PanelError(f"{name}: {part} is not configured on this panel")
        return part, level

    def _drive(self, part: str, level: bool) -> None:
        pin = self.pin(part)
        if level:
            pin.drive_high()
        else:
            pin.drive_low()
