"""Sync inside the kiosk process: one background thread around the coordinator, and the freeze rules.

Why in-process: see ``kiosk.sync.coordinator``. The thread delivers due packets, asks for outcomes,
and tells the journey (through the shell's event queue) whether the receiver is reachable
(``NetworkChanged``) and whether the freeze rules stop new enrollments (``Frozen``).
``writer_lock`` keeps a second process (``kiosk sync``) from writing the outbox while the kiosk runs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.errors import SyncError
from kiosk.journey import events as ev
from kiosk.store import Store
from kiosk.sync.coordinator import ROUND_LIMIT, SyncCoordinator

log = logging.getLogger("kiosk.sync")


@dataclass(frozen=True, slots=True)
class FreezeRules:
    """DESIGN.md: past ``max_backlog`` undelivered enrollments, or the oldest older than ``max_age_days``,
    the kiosk stops taking new ones."""

    max_backlog: int = 200
    max_age_days: float = 7.0

    @classmethod
    def from_config(cls, section) -> FreezeRules:
        return cls(max_backlog=section.freeze_backlog, max_age_days=section.freeze_age_days)

    def reason(self, store: Store, *, now: datetime | None = None) -> str:
        """"" (keep going), ``frozen_backlog`` or ``frozen_age`` (message keys the screen translates)."""
        count, oldest = store.backlog()
        if count >= self.max_backlog:
            return "frozen_backlog"
        if oldest:
            created = datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if ((now or datetime.now(UTC)) - created).total_seconds() > self.max_age_days * 86400:
                return "frozen_age"
        return ""

    def describe(self, store: Store, *, now: datetime | None = None) -> dict:
        """For technicians (``kiosk queue``): the backlog, the limits and whether they stop the kiosk."""
        count, oldest = store.backlog()
        return {"backlog": count, "oldest_undelivered": oldest, "max_backlog": self.max_backlog,
                "max_age_days": self.max_age_days, "frozen": self.reason(store, now=now) or None}


class WriterBusy(SyncError):
    """Another process holds the kiosk database (the kiosk is running)."""


class writer_lock:  # noqa: N801 - used as a context manager
    """An exclusive ``flock`` on ``<db>.writer``: one delivering process per database.

    ``kiosk run`` holds it while it runs (``wait=True``: it waits for a standby round to finish);
    ``kiosk sync`` takes it without waiting and refuses when it is held.
    """

    def __init__(self, db_path: Path, *, wait: bool = False) -> None:
        self.path = Path(str(db_path) + ".writer")
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> writer_lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise WriterBusy("the kiosk is running and delivers by itself (another process holds the database)")
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class StandbyRounds:
    """``kiosk sync --forever`` (``sportello-sync.service``): a delivery round only when the writer
    lock is free, i.e. while the kiosk is not running (stopped for maintenance, crashed, a technician's
    bench). Otherwise the round is skipped: the kiosk delivers in process."""

    def __init__(self, coordinator: SyncCoordinator, lock: writer_lock) -> None:
        self.coordinator = coordinator
        self.lock = lock

    def deliver_due(self):
        from kiosk.sync.coordinator import DeliveryReport

        try:
            with self.lock:
                report = self.coordinator.deliver_due()
                if report.is_reachable:
                    self.coordinator.reconcile()
                return report
        except WriterBusy:
            return DeliveryReport()


class SyncService:
    """The background thread. ``post`` receives journey events (the shell's queue ``put``)."""

    def __init__(
        self, coordinator: SyncCoordinator, *, rules: FreezeRules, post: Callable[[object], None],
        interval_s: float = 30.0, round_limit: int = ROUND_LIMIT,
    ) -> None:
        self.coordinator = coordinator
        self.rules = rules
        self.post = post
        self.interval_s = interval_s
        self.round_limit = round_limit  # packets per round; a full round is followed by the next at once
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._online: bool | None = None
        self._frozen: str | None = None

    def start(self) -> SyncService:
        self._publish_freeze()
        self._thread = threading.Thread(target=self._run, name="kiosk-sync-loop", daemon=True)
        self._thread.start()
        return self

    def wake(self, *_args: object) -> None:
        """Deliver now (e.g. an enrollment was just committed)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def run_once(self) -> bool:
        """One round; whether more may be due at once (the round delivered as many as it may take)."""
        report = self.coordinator.deliver_due(limit=self.round_limit)
        if report.is_reachable:
            self.coordinator.reconcile()
        self._publish_online(report.is_reachable and self._is_receiver_up(report))
        self._publish_freeze()
        return len(report.delivered) >= self.round_limit

    def _is_receiver_up(self, report) -> bool:
        if report.delivered or report.failed:
            return report.is_reachable
        return self.coordinator.is_reachable()  # nothing to send: ask if it is there

    def _run(self) -> None:
        while not self._stop.is_set():
            is_more_due = False
            try:
                is_more_due = self.run_once()
            except Exception as exc:  # the loop must outlive any one fault; the outbox keeps everything
                log.error("sync round failed: %s", type(exc).__name__)
            if is_more_due:  # a backlog after days offline drains round after round, not one per interval
                continue
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def _publish_online(self, is_online: bool) -> None:
        if is_online != self._online:
            self._online = is_online
            self.post(ev.NetworkChanged(is_online))

    def _publish_freeze(self) -> None:
        reason = self.rules.reason(self.coordinator.store)
        if reason != self._frozen:
            if reason:
                log.warning("freeze rules stop new enrollments", extra={"reason": reason})
            self._frozen = reason
            self.post(ev.Frozen(reason))


def start_sync(config, shell) -> SyncService | None:
    """Attach the coordinator to ``shell`` (OTP, status check) and start the loop; ``None`` without a receiver URL."""
    from kiosk.sync.transport import Transport

    if not config.receiver.url:
        return None
    coordinator = SyncCoordinator(shell.store, transport=Transport.from_config(config.receiver))
    shell.sync = coordinator
    service = SyncService(coordinator, rules=FreezeRules.from_config(config.sync), post=shell.events.put,
                          interval_s=config.sync.interval_s)
    shell.on_committed = service.wake
    return service.start()
