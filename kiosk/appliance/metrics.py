"""Prometheus metrics on 127.0.0.1 (prometheus-client): the fleet's view of one kiosk.

Nothing personal: counts, ages, states. Outbox figures are read from the database at scrape time
(their own connection), so they are true whichever process (kiosk or sync service) changed them.
``config/prometheus/sportello-alerts.yml`` and ``config/grafana/sportello-dashboard.json`` use these names.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import GaugeMetricFamily

from kiosk.appliance.freeze import evaluate, parse_time

log = logging.getLogger("kiosk.metrics")

PAPER_STATES = ("ok", "near_end", "out", "unknown")
DEVICES = ("card_reader", "camera", "printer", "panel")

# a device's fault, as the shell reports it in its log (message -> device)
FAULT_MESSAGES = {
    "card read failed": "card_reader",
    "capture failed": "camera",
    "receipt not printed": "printer",
    "panel failed": "panel",
}


class KioskMetrics:
    """The kiosk's metrics in their own registry; ``serve()`` exposes them on 127.0.0.1."""

    def __init__(self, *, db_path: Path, config=None, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.db_path = Path(db_path)
        self.config = config
        r = self.registry
        self.started = Counter("sportello_enrollments_started", "Enrollments a citizen started (left the welcome "
                               "screen)", registry=r)
        self.completed = Counter("sportello_enrollments_completed", "Enrollments sealed and committed", registry=r)
        self.abandoned = Counter("sportello_enrollments_abandoned", "Enrollments abandoned, by the step the citizen "
                                 "left at", ["step"], registry=r)
        self.device_faults = Counter("sportello_device_faults", "Device faults seen by the kiosk", ["device"],
                                     registry=r)
        self.paper = Gauge("sportello_printer_paper", "1 for the printer's current paper state", ["state"],
                           registry=r)
        self.tampered = Gauge("sportello_tampered", "1 while the enclosure alarm locks the kiosk", registry=r)
        self.healthy = Gauge("sportello_healthy", "1 while the watchdog is being pinged (UI and devices healthy)",
                             registry=r)
        for device in DEVICES:
            self.device_faults.labels(device)
        from kiosk.journey.screens import Screen

        for screen in Screen:  # every step exported from the start, so dashboards and alerts see zeros
            if screen.value not in EnrollmentTracker.NOT_STARTED | EnrollmentTracker.DONE:
                self.abandoned.labels(screen.value)
        self.set_paper("ok")
        self.healthy.set(1)
        r.register(_OutboxCollector(self))
        self._server = None

    def set_paper(self, state: str) -> None:
        state = state if state in PAPER_STATES else "unknown"
        for s in PAPER_STATES:
            self.paper.labels(s).set(1 if s == state else 0)

    def serve(self, port: int, *, addr: str = "127.0.0.1"):
        """Start the exporter thread on ``addr:port`` (loopback only: scrape through an SSH/VPN agent)."""
        self._server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        log.info("metrics exporter listening", extra={"addr": addr, "port": self._server.server_address[1]})
        return self._server

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fault_handler(self) -> logging.Handler:
        """A logging handler that counts the shell's device faults (attach to the ``kiosk`` logger)."""
        return _FaultCounter(self)


class _FaultCounter(logging.Handler):
    def __init__(self, metrics: KioskMetrics) -> None:
        super().__init__(logging.WARNING)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        device = FAULT_MESSAGES.get(record.msg if isinstance(record.msg, str) else "")
        if device:
            self.metrics.device_faults.labels(device).inc()


class _OutboxCollector:
    """Backlog, oldest unsynced age, last good sync and the freeze verdict, read at scrape time."""

    def __init__(self, metrics: KioskMetrics) -> None:
        self.metrics = metrics

    def describe(self):
        return []

    def collect(self):
        from kiosk.store import Store

        backlog = GaugeMetricFamily("sportello_backlog_packets", "Sealed packets waiting for delivery")
        oldest = GaugeMetricFamily("sportello_oldest_unsynced_age_seconds",
                                   "Age of the oldest packet not yet delivered (0 when none)")
        last_sync = GaugeMetricFamily("sportello_last_good_sync_timestamp_seconds",
                                      "Unix time of the last packet the receiver acknowledged (0 never)")
        frozen = GaugeMetricFamily("sportello_frozen", "1 while the freeze rules stop new enrollments")
        up = GaugeMetricFamily("sportello_outbox_up", "1 when the outbox database could be read")
        now = datetime.now(timezone.utc)
        try:
            with Store.open(self.metrics.db_path) as store:
                count, oldest_at = store.backlog()
                delivered = [e.delivered_at for e in store.entries(where="delivered_at IS NOT NULL")]
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even with a broken database
            log.warning("metrics: outbox unreadable", extra={"error": type(exc).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        backlog.add_metric([], count)
        first = parse_time(oldest_at)
        oldest.add_metric([], max((now - first).total_seconds(), 0) if first else 0)
        last = max((parse_time(d) for d in delivered), default=None)
        last_sync.add_metric([], last.timestamp() if last else 0)
        verdict = evaluate(self.metrics.config, backlog=count, oldest=oldest_at, now=now)
        frozen.add_metric([], 1 if verdict.is_frozen else 0)
        yield from (up, backlog, oldest, last_sync, frozen)


class EnrollmentTracker:
    """Counts enrollments started / completed / abandoned per step by watching the journey's session.

    The journey makes a new ``Session`` object at every wipe: a session that left the welcome screen
    was started; one that reached sealing was completed; any other started one was abandoned at the
    last screen it showed (cancel, inactivity, a gate, or a tamper wipe).
    """

    DONE = frozenset({"sealing", "receipt", "thank_you"})
    NOT_STARTED = frozenset({"welcome", "out_of_service"})

    def __init__(self, metrics: KioskMetrics) -> None:
        self.metrics = metrics
        self._session = None
        self._last_screen = ""
        self._started = False
        self._completed = False

    def observe(self, session) -> None:
        if session is not self._session:
            self._finish()
            self._session, self._started, self._completed, self._last_screen = session, False, False, ""
        screen = str(getattr(session.screen, "value", session.screen))
        if screen not in self.NOT_STARTED and not self._started:
            self._started = True
            self.metrics.started.inc()
        if screen in self.DONE and not self._completed:
            self._completed = True
            self.metrics.completed.inc()
        if screen not in self.NOT_STARTED:
            self._last_screen = screen

    def _finish(self) -> None:
        if self._session is not None and self._started and not self._completed:
            self.metrics.abandoned.labels(self._last_screen or "unknown").inc()


def paper_state(printer_alert: str) -> str:
    """The paper gauge's state from the shell's printer alert."""
    return {"": "ok", "paper_near_end": "near_end", "paper_out": "out"}.get(printer_alert, "unknown")


def observe_shell(metrics: KioskMetrics, tracker: EnrollmentTracker, shell, *, is_healthy: bool = True) -> None:
    """One loop turn's update from the shell: sessions, paper, tamper, health."""
    session = shell.journey.session
    tracker.observe(session)
    metrics.set_paper(paper_state(shell.printer_alert))
    metrics.tampered.set(1 if session.frozen_reason == "tamper" else 0)
    metrics.healthy.set(1 if is_healthy else 0)


