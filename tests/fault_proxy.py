"""A fault-injecting HTTPS proxy on 127.0.0.1 in front of a plain-HTTP receiver.

It terminates mutual TLS as the receiver would (its certificate, the kiosks' CA), reads each HTTP
request and, per request, either forwards it or misbehaves:

    pass              forward, relay the answer
    500 502 503       answer that status without forwarding
    429               answer 429 with ``Retry-After: 1`` without forwarding
    timeout           read the request, then say nothing until the client gives up
    reset             read the request, then reset the connection (RST) without forwarding
    commit_drop       forward (the receiver commits), then reset instead of answering
    garbage           forward (the receiver commits), then answer 200 with a garbage body
    garbage_digest    forward, then answer 200 with well-formed JSON naming a wrong digest
    wrong_cert        (per connection) present another certificate in the TLS handshake

``faults`` picks the mode: a callable ``(method, path) -> mode``. ``history`` records what was done.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

MODES = ("pass", "500", "502", "503", "429", "timeout", "reset", "commit_drop", "garbage", "garbage_digest",
         "wrong_cert")


class FaultProxy:
    def __init__(
        self, *, upstream_port: int, cert: Path, key: Path, client_ca: Path, wrong_cert: Path, wrong_key: Path,
        faults: Callable[[str, str], str], connection_faults: Callable[[], str] = lambda: "pass",
        hang_s: float = 3.0, retry_after: str = "1",
    ) -> None:
        self.retry_after = retry_after
        self.upstream_port = upstream_port
        self.faults = faults
        self.connection_faults = connection_faults
        self.hang_s = hang_s
        self.history: list[str] = []
        self._lock = threading.Lock()
        self._contexts = {}
        for name, (c, k) in {"good": (cert, key), "wrong": (wrong_cert, wrong_key)}.items():
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(c, k)
            context.load_verify_locations(cafile=client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
            self._contexts[name] = context
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="fault-proxy")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:
            socket.create_connection(self._sock.getsockname(), timeout=1).close()
        except OSError:
            pass
        self._thread.join(5)
        self._sock.close()

    def _record(self, mode: str) -> None:
        with self._lock:
            self.history.append(mode)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        mode = self.connection_faults()
        try:
            conn = self._contexts["wrong" if mode == "wrong_cert" else "good"].wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            if mode == "wrong_cert":
                self._record("wrong_cert")
            raw.close()
            return
        if mode == "wrong_cert":
            self._record("wrong_cert_trusted")  # the client accepted the impostor: the test fails on this
        try:
            reader = conn.makefile("rb")
            while True:
                request = _read_message(reader, is_request=True)
                if request is None:
                    return
                method, path = request[0].split(b" ")[:2]
                mode = self.faults(method.decode(), path.decode())
                self._record(mode)
                if not self._answer(conn, mode, request):
                    return
        except (OSError, ValueError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, conn: ssl.SSLSocket, mode: str, request: tuple[bytes, bytes, bytes]) -> bool:
        """Carry out ``mode`` for one request; False when the connection is finished."""
        if mode in ("500", "502", "503", "429"):
            headers = {"Retry-After": self.retry_after} if mode == "429" else {}
            conn.sendall(_response(int(mode), b'{"error":"injected"}', headers))
            return True
        if mode == "timeout":
            time.sleep(self.hang_s)
            return False
        if mode == "reset":
            _reset(conn)
            return False
        answer = self._forward(request)
        if mode == "commit_drop":
            _reset(conn)
            return False
        if mode == "garbage":
            conn.sendall(_response(200, b"\x00\xffnot json at all{{", {}))
            return True
        if mode == "garbage_digest":
            conn.sendall(_response(200, json.dumps({"status": "received", "digest": "0" * 64}).encode(), {}))
            return True
        conn.sendall(answer)
        return True

    def _forward(self, request: tuple[bytes, bytes, bytes]) -> bytes:
        start, head, body = request
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as upstream:
            upstream.sendall(start + b"\r\n" + head + b"Connection: close\r\n\r\n" + body)
            reader = upstream.makefile("rb")
            response = _read_message(reader, is_request=False)
        if response is None:
            raise OSError("upstream closed")
        status, head, body = response
        head = b"".join(line + b"\r\n" for line in head.split(b"\r\n") if line and
                        not line.lower().startswith(b"connection:"))
        return status + b"\r\n" + head + b"\r\n" + body


def _read_message(reader, *, is_request: bool) -> tuple[bytes, bytes, bytes] | None:
    """(start line, header lines minus Connection, body) of one HTTP/1.1 message with Content-Length."""
    start = reader.readline(65536)
    if not start:
        return None
    start = start.rstrip(b"\r\n")
    lines, length = [], 0
    while True:
        line = reader.readline(65536)
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() != b"connection":
            lines.append(line.rstrip(b"\r\n") + b"\r\n")
    body = reader.read(length) if length else b""
    return start, b"".join(lines), body


def _response(code: int, body: bytes, headers: dict[str, str]) -> bytes:
    head = f"HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def _reset(conn: ssl.SSLSocket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed middlebox would."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock = conn.unwrap() if False else conn
    sock.close()
