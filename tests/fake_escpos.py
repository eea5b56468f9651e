"""Tiny ESC/POS printers, on 127.0.0.1 (network) or a pseudo-terminal (serial): they record the bytes
they get and answer DLE EOT queries.

World side: ``paper`` ("ok", "near_end", "out"), ``is_cover_open``, ``is_answering`` (False: it
swallows queries and never answers, like a printer that hangs). History: ``received`` (every byte,
status queries included) and ``printed`` (the bytes that are not status queries).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty

DLE_EOT = b"\x10\x04"
PAPER_BYTE = {"ok": 0x12, "near_end": 0x1E, "out": 0x72}


class _FakePrinterWorld:
    """What every fake printer shares: the world side, the history and the status protocol.

    A connection feeds what it reads to ``_feed`` with a function that sends bytes back."""

    def __init__(self) -> None:
        self.paper = "ok"
        self.is_cover_open = False
        self.is_answering = True
        self.received = bytearray()
        self.printed = bytearray()
        self._stopped = False

    def wait_for(self, data: bytes, *, timeout: float = 3.0) -> bytes:
        """Every byte received once ``data`` has arrived at the end (the fake reads on its own thread)."""
        deadline = time.monotonic() + timeout
        while not bytes(self.received).endswith(data) and time.monotonic() < deadline:
            time.sleep(0.005)
        return bytes(self.received)

    def _feed(self, pending: bytes, chunk: bytes, send) -> bytes:
        """Record ``chunk``, answer the status queries in it; returns the bytes of a query cut short."""
        self.received += chunk
        pending += chunk
        while True:
            at = pending.find(DLE_EOT)
            if at < 0 or at + 2 >= len(pending):
                keep = pending[-2:] if pending.endswith((b"\x10", DLE_EOT)) else b""
                self.printed += pending[: len(pending) - len(keep)]
                return keep
            self.printed += pending[:at]
            reply = self._answer(pending[at + 2])
            if reply is not None:
                send(bytes([reply]))
            pending = pending[at + 3 :]

    def _answer(self, n: int) -> int | None:
        if not self.is_answering:
            return None
        if n == 1:  # printer status: bit 3 set while offline (cover open stops it)
            return 0x12 | (0x08 if self.is_cover_open else 0)
        if n == 2:  # offline cause: bit 2 cover open
            return 0x12 | (0x04 if self.is_cover_open else 0)
        if n == 4:
            return PAPER_BYTE[self.paper]
        return 0x12


class FakeEscposPrinter(_FakePrinterWorld):
    """A network printer: a TCP server on 127.0.0.1 (``port``)."""

    def __init__(self) -> None:
        super().__init__()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]

    def start(self) -> FakeEscposPrinter:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._server.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                pending = self._feed(pending, chunk, conn.sendall)


class FakeSerialPrinter(_FakePrinterWorld):
    """A serial printer at the far end of a real pseudo-terminal (``os.openpty``): the kiosk opens
    ``device`` (the pty's slave side, e.g. /dev/pts/7) with pyserial, as it would /dev/ttyUSB0."""

    def __init__(self) -> None:
        super().__init__()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: a serial line carries bytes as they are
        self.device = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeSerialPrinter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._thread.join(timeout=2)
        os.close(self._master)
        os.close(self._slave)

    def _send(self, data: bytes) -> None:
        os.write(self._master, data)

    def _serve(self) -> None:
        pending = b""
        while not self._stopped:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # the other side closed: wait for it to open again
                time.sleep(0.01)
                continue
            pending = self._feed(pending, chunk, self._send)
