"""How the kiosk's loop sleeps until something happens, without spending CPU while nothing does.

SDL's own ``SDL_WaitEventTimeout`` only truly blocks on video drivers that implement a native wait
(X11, Wayland). On KMS/DRM (the appliance) and the dummy driver it polls every millisecond, which
costs a few percent of a Pi's CPU while the kiosk stands idle. So on those drivers the loop blocks in
``select()`` instead, on the touchscreen's evdev devices (a finger makes one readable: SDL then reads
the touch as usual; each open file has its own copy of the events) and on a pipe that ``wake()``
writes to (a card inserted, an effect done, from any thread). Elsewhere it uses SDL's wait.
"""

from __future__ import annotations

import glob
import logging
import os
import select
import time

log = logging.getLogger("kiosk.wait")

POLLING_DRIVERS = frozenset({"kmsdrm", "dummy", "offscreen", "evdev"})  # no native wait in SDL 2
RESCAN_S = 10.0  # input devices plugged in later are found this soon
DRAIN_BYTES = 4096


class LoopWaiter:
    """``wait(timeout_s)``: the pygame events that arrived, after sleeping at most ``timeout_s``."""

    def __init__(self, *, driver: str | None = None, devices: str = "/dev/input/event*") -> None:
        import pygame

        self._pygame = pygame
        self.driver = driver if driver is not None else (pygame.display.get_driver() if pygame.display.get_init()
                                                         else os.environ.get("SDL_VIDEODRIVER", ""))
        self.is_select = self.driver in POLLING_DRIVERS
        self._pattern = devices
        self._inputs: dict[str, int] = {}
        self._scanned_at = -RESCAN_S
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        """Thread-safe: the loop's current (or next) wait returns at once."""
        try:
            os.write(self._write_fd, b"!")
        except (BlockingIOError, OSError):  # the pipe is full (a wake is pending anyway) or closed
            pass

    def wait(self, timeout_s: float) -> list:
        pygame = self._pygame
        if not self.is_select:
            first = pygame.event.wait(max(1, round(timeout_s * 1000)))
            return ([first] if first.type != pygame.NOEVENT else []) + pygame.event.get()
        events = pygame.event.get()
        if events:
            return events
        self._rescan()
        fds = [self._read_fd, *self._inputs.values()]
        try:
            ready, _, _ = select.select(fds, [], [], max(0.0, timeout_s))
        except (OSError, ValueError):  # a device went away under us: look again next time
            self._forget_all()
            ready = []
        for fd in ready:
            self._drain(fd)
        return pygame.event.get()

    def close(self) -> None:
        self._forget_all()
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def _rescan(self) -> None:
        now = time.monotonic()
        if now - self._scanned_at < RESCAN_S:
            return
        self._scanned_at = now
        for path in sorted(glob.glob(self._pattern)):
            if path not in self._inputs:
                try:
                    self._inputs[path] = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                except OSError:  # not ours to read: SDL's wait would not see it either
                    continue

    def _drain(self, fd: int) -> None:
        try:
            while os.read(fd, DRAIN_BYTES):
                pass
        except BlockingIOError:
            pass
        except OSError:  # the device was unplugged
            for path, known in list(self._inputs.items()):
                if known == fd:
                    del self._inputs[path]
                    os.close(fd)

    def _forget_all(self) -> None:
        for fd in self._inputs.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._inputs.clear()
        self._scanned_at = -RESCAN_S
