"""The ``Panel`` port, its pin map ``PanelPins`` and the status states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal

from hardware.device import Device
from hardware.errors import PanelError

Status = Literal["ready", "busy", "attention", "offline"]
STATUSES: tuple[Status, ...] = ("ready", "busy", "attention", "offline")


@dataclass(frozen=True, kw_only=True)
class PanelPins:
    """BCM GPIO numbers of the panel's parts; ``None`` when the kiosk has no such part.

    Wiring: buttons, tamper switch and headphone detect switch to ground (internal pull-ups);
    the tamper switch is normally closed, held shut by the door, so a cut wire also reads
    "open". The presence sensor (a PIR module) drives its pin high while someone is there.
    """

    help_button: int | None = 17
    help_led: int | None = 27
    status_led_red: int | None = 22
    status_led_green: int | None = 23
    buzzer: int | None = None
    tamper_switch: int | None = 24
    headphone_detect: int | None = 25
    presence_sensor: int | None = None

    def __post_init__(self) -> None:
        seen: dict[int, str] = {}
        for part, pin in self.items():
            if pin in seen:
                raise PanelError(f"GPIO{pin} is configured twice: for {seen[pin]} and {part}")
            seen[pin] = part

    def items(self) -> list[tuple[str, int]]:
        """(part, pin) for every configured part."""
        pairs = ((f.name, getattr(self, f.name)) for f in fields(self))
        return [(part, pin) for part, pin in pairs if pin is not None]


class Panel(Device):
    """The kiosk's buttons, lights and switches.

    A backend MUST implement ``_open()`` / ``_close()`` (claim every configured pin, raising
    ``PanelError`` naming the part and pin that is busy or missing, and release them all),
    ``call_staff``, ``set_status``, ``is_tamper_open``, ``has_headphones``,
    ``is_someone_present``, and call the ``when_*`` callbacks (from its own thread) on:
    help pressed, tamper opened, headphones plugged or unplugged (with the new state),
    someone arriving. A part configured as ``None`` is absent: its callbacks never fire, its
    ``is_``/``has_`` property reads ``False``, driving it does nothing.
    A backend MAY fire ``when_tamper_opened`` at ``start()`` if the door is already open.
    """

    error = PanelError
    kind = "panel"

    def __init__(self, *, pins: PanelPins) -> None:
        super().__init__()
        self.pins = pins
        self.when_help_pressed: Callable[[], None] | None = None
        self.when_tamper_opened: Callable[[], None] | None = None
        self.when_headphones_changed: Callable[[bool], None] | None = None
        self.when_presence: Callable[[], None] | None = None

    def call_staff(self, active: bool) -> None:
        """Blink the help LED and beep once (``True``), or stop calling (``False``)."""
        raise NotImplementedError

    def set_status(self, state: Status) -> None:
        """Show ``ready`` (green), ``busy`` (green blinking), ``attention`` (red blinking), ``offline`` (red)."""
        raise NotImplementedError

    @property
    def is_tamper_open(self) -> bool:
        raise NotImplementedError

    @property
    def has_headphones(self) -> bool:
        raise NotImplementedError

    @property
    def is_someone_present(self) -> bool:
        raise NotImplementedError
