"""``kiosk run`` under systemd: the UI loop with the watchdog (READY=1 once the welcome screen is up)
and the metrics exporter on 127.0.0.1."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiosk.appliance.health import HealthWatch
from kiosk.appliance.sdnotify import Notifier

log = logging.getLogger("kiosk.run")


@dataclass
class Supervisor:
    """What runs around the UI loop: the health watch, the metrics, and (later) service mode hooks."""

    app: object
    watch: HealthWatch
    metrics: object = None  # KioskMetrics
    tracker: object = None  # EnrollmentTracker
    hooks: list = field(default_factory=list)  # callables(app) run every turn

    def beat(self) -> bool:
        shell = self.app.shell
        for hook in self.hooks:
            hook(self.app)
        devices = [d for d in shell.hw.devices() if d is not shell.hw.printer]  # the kiosk copes with the printer
        pinged = self.watch.beat(surface=getattr(self.app.ui, "surface", None), devices=devices,
                                 is_busy=not shell.is_idle)
        if self.metrics is not None:
            from kiosk.appliance.metrics import observe_shell

            observe_shell(self.metrics, self.tracker, shell, is_healthy=not self.watch.problem)
        return pinged


def supervise(app, *, config=None, notifier: Notifier | None = None) -> Supervisor:
    """Start the metrics exporter (if enabled), say READY=1 (the welcome screen is drawn) and return the
    supervisor whose ``beat()`` the loop calls every turn."""
    metrics = tracker = None
    if config is not None and config.metrics.enabled:
        from kiosk.appliance.metrics import EnrollmentTracker, KioskMetrics

        metrics = KioskMetrics(db_path=config.db_path, config=config)
        try:
            metrics.serve(config.metrics.port)
        except OSError as exc:  # a busy port must not keep citizens away
            log.warning("metrics exporter not started", extra={"error": str(exc)})
        logging.getLogger("kiosk").addHandler(metrics.fault_handler())
        tracker = EnrollmentTracker(metrics)
    watch = HealthWatch(notifier or Notifier())
    supervisor = Supervisor(app, watch, metrics, tracker)
    watch.ready()
    return supervisor


LONGEST_WAIT_S = 1.0  # the loop sleeps until a touch, a device or a timer; at least one turn a second feeds the watchdog


def run_supervised(app, *, config=None, notifier: Notifier | None = None, sync=None) -> None:
    """The kiosk's loop under systemd: the appliance (screen saver, quiet hours, presence, service mode)
    routes the touches, the supervisor checks health and feeds the watchdog every turn."""
    import pygame

    from kiosk.appliance.loop import Appliance

    supervisor = supervise(app, config=config, notifier=notifier)
    appliance = None
    if config is not None:
        from kiosk.appliance.service import ServiceMode

        appliance = Appliance(app, config, service=ServiceMode(shell=app.shell, config=config, sync=sync))
    try:
        while True:
            events = app.wait(LONGEST_WAIT_S)
            if any(e.type == pygame.QUIT for e in events):
                return
            if appliance is not None:
                appliance.step(events)
            else:
                app.step(events)
            supervisor.beat()
    finally:
        supervisor.watch.notifier.stopping()
        if supervisor.metrics is not None:
            supervisor.metrics.close()
