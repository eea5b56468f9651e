"""A tiny ESC/POS network printer on 127.0.0.1: records the bytes it gets, answers DLE EOT queries.

World side: ``paper`` ("ok", "near_end", "out"), ``is_cover_open``, ``is_answering`` (False: it
swallows queries and never answers, like a printer that hangs). History: ``received`` (every byte,
status queries included) and ``printed`` (the bytes that are not status queries).
"""

from __future__ import annotations

import socket
import threading
import time

DLE_EOT = b"\x10\x04"
PAPER_BYTE = {"ok": 0x12, "near_end": 0x1E, "out": 0x72}


class FakeEscposPrinter:
    def __init__(self) -> None:
        self.paper = "ok"
        self.is_cover_open = False
        self.is_answering = True
        self.received = bytearray()
        self.printed = bytearray()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stopped = False

    def start(self) -> FakeEscposPrinter:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        return self

    def wait_for(self, data: bytes, *, timeout: float = 3.0) -> bytes:
        """Every byte received once ``data`` has arrived at the end (the server reads on its own thread)."""
        deadline = time.monotonic() + timeout
        while not bytes(self.received).endswith(data) and time.monotonic() < deadline:
            time.sleep(0.005)
        return bytes(self.received)

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
                self.received += chunk
                pending += chunk
                while True:
                    at = pending.find(DLE_EOT)
                    if at < 0 or at + 2 >= len(pending):
                        keep = pending[-2:] if pending.endswith((b"\x10", DLE_EOT)) else b""
                        self.printed += pending[: len(pending) - len(keep)]
                        pending = keep
                        break
                    self.printed += pending[:at]
                    self._answer(conn, pending[at + 2])
                    pending = pending[at + 3 :]

    def _answer(self, conn: socket.socket, n: int) -> None:
        if not self.is_answering:
            return
        if n == 1:  # printer status: bit 3 set while offline (cover open stops it)
            reply = 0x12 | (0x08 if self.is_cover_open else 0)
        elif n == 2:  # offline cause: bit 2 cover open
            reply = 0x12 | (0x04 if self.is_cover_open else 0)
        elif n == 4:
            reply = PAPER_BYTE[self.paper]
        else:
            reply = 0x12
        conn.sendall(bytes([reply]))
