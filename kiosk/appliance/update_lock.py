"""The update lock: an update never replaces the kiosk under a citizen.

One file, ``<data_dir>/update.lock`` (``/var/lib/sportello/update.lock`` on the appliance), locked with
``flock(2)``:

- the kiosk takes it **shared, without waiting**, at the start of every loop turn on the idle welcome
  screen, before the turn can start a session (a touch, a card), keeps it for as long as a citizen is
  mid-session (or a technician is in service mode) and lets it go once the kiosk is idle again;
- the updater (``scripts/install``, ``flock --exclusive --wait``) takes it **exclusively**, waiting up to
  ``--wait-for-idle`` seconds, before it replaces anything, and keeps it until the kiosk is restarted.

So the two orders are both safe: a session that started first makes the updater wait (and give up,
changing nothing, after the timeout); an updater that locked first keeps the kiosk from starting a
session (the welcome screen says the kiosk is updating) until it is done. No check-then-act window:
the kernel decides who holds the lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger("kiosk.update")

LOCK_NAME = "update.lock"


class SessionLock:
    """The kiosk's side: a shared ``flock`` held for a whole session (never blocks the UI loop)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._warned = False

    @classmethod
    def from_config(cls, config) -> SessionLock:
        return cls(Path(config.kiosk.data_dir) / LOCK_NAME)

    @property
    def is_held(self) -> bool:
        return self._fd is not None

    def hold(self) -> bool:
        """Hold the lock (shared); False while the updater holds it exclusively. Holding it already is
        fine. A lock file that cannot be opened (no state directory: a desk, a test) never keeps
        citizens away; it is logged once."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if not self._warned:
                log.warning("update lock unavailable", extra={"error": type(exc).__name__})
                self._warned = True
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
