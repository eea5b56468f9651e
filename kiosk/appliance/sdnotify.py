"""systemd's notification protocol (``sd_notify(3)``) in a few lines of stdlib.

The service manager passes ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace) and,
with ``WatchdogSec=``, ``$WATCHDOG_USEC`` (and ``$WATCHDOG_PID``). Outside systemd every call is a
no-op, so the kiosk runs the same from a terminal.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    """Sends ``READY=1``, ``WATCHDOG=1``, ``STATUS=...`` and ``STOPPING=1`` to the service manager."""

    def __init__(self, *, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]
        self.address = address
        self.watchdog_s = _watchdog_seconds(env)
        self._last_ping = 0.0

    @property
    def is_enabled(self) -> bool:
        return bool(self.address)

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` (``"READY=1"``, ...) as one datagram; ``False`` when not under systemd or it failed."""
        if not self.address:
            return False
        message = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError:
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog(self, *, now: float | None = None) -> bool:
        """Ping the watchdog, at most twice per ``WatchdogSec`` (cheap to call every loop turn)."""
        if not self.watchdog_s:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_ping < self.watchdog_s / 4:
            return False
        if self.notify("WATCHDOG=1"):
            self._last_ping = now
            return True
        return False


def _watchdog_seconds(env) -> float:
    """The watchdog interval in seconds, or 0 when there is none (or it is meant for another process)."""
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return 0.0
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return 0.0
    return usec / 1_000_000 if usec > 0 else 0.0
