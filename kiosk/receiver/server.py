"""The reference receiver's HTTP API (stdlib ``http.server``; JSON in and out).

    PUT /v1/packets/{enrollment_id}         body: packet bytes (application/octet-stream)
        201 {"enrollment_id", "status": "received", "digest"}   stored now
        200 same body                                          identical bytes already stored
        409 {"error": "conflict"}                              other bytes stored under that id
        422 {"error": code}                                    verification failed (see sealing)
        400 bad id, 411 no Content-Length, 413 body too large
    GET /v1/packets/{enrollment_id}/status  200 {"enrollment_id", "status", "reasons"} | 404
    GET /healthz                            200 {"ok": true, "key_id"}

Responses and logs carry ids, codes and digests only: never any personal data.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from kiosk.errors import SealError, StoreError
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import init_data_dir
from kiosk.receiver.storage import PacketNotFound, PutOutcome

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
_ID = r"([0-9A-Za-z]{16,40})"
_PACKET_PATH = re.compile(r"/v1/packets/([^/]*)")
_STATUS_PATH = re.compile(r"/v1/packets/([^/]*)/status")
_VALID_ID = re.compile(_ID, re.ASCII)


class ReceiverServer:
    """The receiver on ``host:port`` (``port=0`` picks a free one), served from a daemon thread.

    ``start()`` prepares the data directory (keys created once) and fails fast if it cannot.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = MAX_BODY,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self._requested_port = port
        self.max_body = max_body
        self.key_id: str | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("receiver not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ReceiverServer:
        if self._httpd is not None:
            return self
        self.key_id = init_data_dir(self.data_dir)
        intake = Intake(self.data_dir)
        try:
            self._httpd = _HTTPServer((self.host, self._requested_port), _Handler)
        except OSError:
            intake.close()
            raise
        self._httpd.intake = intake
        self._httpd.max_body = self.max_body
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="receiver-http",
            daemon=True,
        )
        self._thread.start()
        logger.info("receiver listening on %s:%d (key %s)", self.host, self.port, self.key_id)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        httpd.intake.close()
        logger.info("receiver stopped")


def serve_forever(data_dir: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the receiver until SIGTERM or SIGINT (call from the main thread), then stop cleanly."""
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with ReceiverServer(data_dir, host=host, port=port):
            while not stopping.wait(1.0):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    intake: Intake
    max_body: int

    def handle_error(self, request: object, client_address: object) -> None:
        # The default prints a traceback whose message could quote request data: name the class only.
        logger.error("receiver request failed: %s", sys.exc_info()[0].__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SportelloReceiver/1"
    sys_version = ""
    timeout = 30  # seconds a slow client may stall a read
    server: _HTTPServer
    _route = "-"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._route = "healthz"
            self._reply(HTTPStatus.OK, {"ok": True, "key_id": self.server.intake.key_id})
        elif match := _STATUS_PATH.fullmatch(path):
            self._route = "status"
            self._status(match.group(1))
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_PUT(self) -> None:
        match = _PACKET_PATH.fullmatch(urlsplit(self.path).path)
        if match is None:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"}, close=True)
            return
        self._route = "put_packet"
        enrollment_id = match.group(1)
        if not _VALID_ID.fullmatch(enrollment_id):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_enrollment_id"}, close=True)
            return
        packet = self._read_body()
        if packet is None:
            return
        try:
            receipt = self.server.intake.receive(enrollment_id, packet)
        except SealError as err:
            self._reply(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": getattr(err, "code", "seal_error")})
            return
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"})
            return
        if receipt.outcome is PutOutcome.CONFLICT:
            self._reply(HTTPStatus.CONFLICT, {"error": "conflict"})
            return
        code = HTTPStatus.CREATED if receipt.outcome is PutOutcome.CREATED else HTTPStatus.OK
        body = {"enrollment_id": enrollment_id, "status": "received", "digest": receipt.digest}
        self._reply(code, body)

    def do_POST(self) -> None:
        self._reply(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed"}, close=True)

    do_DELETE = do_PATCH = do_POST

    def _status(self, enrollment_id: str) -> None:
        if not _VALID_ID.fullmatch(enrollment_id):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_enrollment_id"})
            return
        try:
            record = self.server.intake.status(enrollment_id)
        except PacketNotFound:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"})
            return
        body = {"enrollment_id": enrollment_id, "status": record.status, "reasons": record.reasons}
        self._reply(HTTPStatus.OK, body)

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after replying with an error (and closing)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._reply(HTTPStatus.LENGTH_REQUIRED, {"error": "length_required"}, close=True)
            return None
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            self._reply(HTTPStatus.LENGTH_REQUIRED, {"error": "length_required"}, close=True)
            return None
        if not raw_length.isascii() or not raw_length.isdigit():
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_length"}, close=True)
            return None
        length = int(raw_length)
        if length > self.server.max_body:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large"}, close=True)
            return None
        body = self.rfile.read(length)
        if len(body) != length:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "truncated_body"}, close=True)
            return None
        return body

    def _reply(self, code: HTTPStatus, body: dict, *, close: bool = False) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method, route name and status only: never the path (ids) or any body content.
        logger.info("%s %s %s", self.command, self._route, getattr(code, "value", code))

    def log_message(self, format: str, *args: object) -> None:
        # http.server's own messages may echo raw request lines: keep them out of the logs.
        return
