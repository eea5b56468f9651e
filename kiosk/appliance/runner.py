"""``kiosk run`` under systemd: the UI loop with the watchdog, READY=1 once the welcome screen is up."""

from __future__ import annotations

import logging

from kiosk.appliance.health import HealthWatch
from kiosk.appliance.sdnotify import Notifier

log = logging.getLogger("kiosk.run")


def supervise(app, *, notifier: Notifier | None = None) -> HealthWatch:
    """A ``HealthWatch`` for ``app``: READY=1 now (the welcome screen is drawn), then one beat per turn."""
    watch = HealthWatch(notifier or Notifier())
    watch.ready()
    return watch


def beat(app, watch: HealthWatch) -> bool:
    """One loop turn's health check and watchdog ping (the printer is not a reason to restart)."""
    shell = app.shell
    devices = [d for d in shell.hw.devices() if d is not shell.hw.printer]
    return watch.beat(surface=getattr(app.ui, "surface", None), devices=devices, is_busy=not shell.is_idle)


def run_supervised(app, *, notifier: Notifier | None = None) -> None:
    watch = supervise(app, notifier=notifier)
    try:
        app.run_forever(before_step=lambda _screen: beat(app, watch))
    finally:
        watch.notifier.stopping()
