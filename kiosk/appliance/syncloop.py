"""``kiosk sync --forever``: delivery rounds until SIGTERM (``sportello-sync.service``)."""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger("kiosk.sync")


def sync_forever(coordinator, *, interval_s: float = 30.0, stop: threading.Event | None = None) -> int:
    """Run ``coordinator.deliver_due()`` every ``interval_s`` until ``stop`` is set (or SIGTERM/SIGINT).
    A failed round is logged (non-personal) and retried next round; returns the number of rounds."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    from kiosk.sync.coordinator import ROUND_LIMIT

    rounds = 0
    while not stop.is_set():
        is_more_due = False
        try:
            report = coordinator.deliver_due()
            if report.delivered or report.failed:
                log.info("sync round", extra={"delivered": len(report.delivered), "failed": len(report.failed)})
            is_more_due = len(report.delivered) >= ROUND_LIMIT  # a full round: a backlog, go straight on
        except Exception as exc:  # noqa: BLE001 - one bad round must not end the service
            log.warning("sync round failed", extra={"error": type(exc).__name__})
        rounds += 1
        if not is_more_due:
            stop.wait(interval_s)
    return rounds
