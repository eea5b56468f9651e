"""Is the kiosk healthy enough to keep pinging systemd's watchdog?

The UI loop calls ``HealthWatch.beat()`` once per turn. A ping goes out only when the loop is turning
(a frozen loop never calls ``beat``), the screen shows something (not one flat colour for longer than
``blank_grace_s``), no effect has been stuck on the worker for longer than ``stuck_effect_s`` and the
devices the citizen needs are started. Otherwise the pings stop and systemd restarts the kiosk after
``WatchdogSec``. Printer faults do not count: the kiosk handles those itself (receipt on screen).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from kiosk.appliance.sdnotify import Notifier

log = logging.getLogger("kiosk.health")


def is_blank(surface) -> bool:
    """Whether a pygame surface is one flat colour (a black or white screen). Averaged down to 16x16, so
    even a little text anywhere (the screen saver's) makes it not blank."""
    import pygame

    if surface.get_bitsize() < 24:
        surface = surface.convert(32, 0)
    small = pygame.transform.smoothscale(surface, (16, 16))
    first = small.get_at((0, 0))
    return all(small.get_at((x, y)) == first for x in range(16) for y in range(16))


@dataclass
class HealthWatch:
    notifier: Notifier
    blank_grace_s: float = 10.0
    stuck_effect_s: float = 120.0
    check_every_s: float = 2.0
    problem: str = ""  # why the pings stopped ("" while healthy)
    _blank_since: float | None = None
    _busy_since: float | None = None
    _next_check: float = 0.0
    _ready: bool = field(default=False)

    def ready(self) -> None:
        """The welcome screen is up: tell systemd the kiosk started."""
        if not self._ready:
            self._ready = True
            self.notifier.ready("welcome screen up")

    def beat(self, *, surface, devices: list, is_busy: bool, now: float | None = None) -> bool:
        """One loop turn: check (every ``check_every_s``) and ping when healthy. Returns whether it pinged."""
        now = time.monotonic() if now is None else now
        if now >= self._next_check:
            self._next_check = now + self.check_every_s
            problem = self._diagnose(surface=surface, devices=devices, is_busy=is_busy, now=now)
            if problem != self.problem:
                if problem:
                    log.error("kiosk unhealthy: watchdog pings stop", extra={"problem": problem})
                    self.notifier.status(f"unhealthy: {problem}")
                else:
                    log.info("kiosk healthy again")
                    self.notifier.status("healthy")
            self.problem = problem
        if self.problem:
            return False
        return self.notifier.watchdog(now=now)

    def _diagnose(self, *, surface, devices: list, is_busy: bool, now: float) -> str:
        if surface is not None and is_blank(surface):
            self._blank_since = self._blank_since if self._blank_since is not None else now
            if now - self._blank_since >= self.blank_grace_s:
                return "screen_blank"
        else:
            self._blank_since = None
        if is_busy:
            self._busy_since = self._busy_since if self._busy_since is not None else now
            if now - self._busy_since >= self.stuck_effect_s:
                return "effect_stuck"
        else:
            self._busy_since = None
        for device in devices:
            if not device.is_started:
                return f"{device.kind.replace(' ', '_')}_stopped"
        return ""
