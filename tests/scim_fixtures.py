"""A real ``scim2-server`` on 127.0.0.1 (started as its own process, stopped by pid) and a small
fault-injecting proxy in front of it."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from kiosk.receiver.provision.local import LocalScimServer, free_port  # noqa: F401 - free_port for other fixtures

TOKEN = "test-scim-token"


class ScimServer(LocalScimServer):
    """``scim2-server`` serving our User schema (enterprise + enrollment extensions) from memory,
    with the tests' known token: the product's own local server, so tests start it as the demo does."""

    def __init__(self, directory: Path, *, token: str = TOKEN) -> None:
        super().__init__(directory, token=token)


class FaultProxy:
    """An HTTP proxy to ``upstream`` that plays one fault per request from a script.

    Faults: ``"pass"``; ``"500"``/``"502"``/``"503"`` answered without forwarding; ``"lost"``
    forwards, then answers 502 (the server did the work, the client never hears of it);
    ``"reset"`` closes the connection without forwarding; ``"lost-reset"`` forwards, then closes;
    ``"hang"`` forwards, then stalls past the client's timeout; ``"garbage"`` answers 200 with junk;
    ``"twice"`` forwards twice and answers the second response; ``"bump"`` changes the resource
    (a PATCH upstream) just before forwarding.
    ``match`` restricts a fault to requests whose method starts the string (``"POST"``).
    """

    def __init__(self, upstream: str, *, hang_s: float = 3.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.script: deque[tuple[str, str]] = deque()
        self.seen: list[tuple[str, str, str]] = []  # (method, path, fault)
        self.statuses: list[int] = []  # what the upstream answered to forwarded requests
        self.if_match: list[str | None] = []  # the If-Match header of every PUT
        self.hang_s = hang_s
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                return

            def _any(self):
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        path = httpx.URL(self.upstream).path
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def plan(self, *faults: str, match: str = "") -> None:
        for fault in faults:
            self.script.append((fault, match))

    def _next_fault(self, method: str) -> str:
        for index, (fault, match) in enumerate(self.script):
            if not match or method.startswith(match):
                del self.script[index]
                return fault
            break  # faults are played in order: a non-matching head waits for its request
        return "pass"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._next_fault(handler.command)
        self.seen.append((handler.command, handler.path.split("?")[0], fault))
        if handler.command == "PUT":
            self.if_match.append(handler.headers.get("If-Match"))
        if fault in ("500", "502", "503"):
            return self._reply(handler, int(fault), b'{"detail":"injected"}', "application/json")
        if fault == "reset":
            return self._reset(handler)
        if fault == "garbage":
            return self._reply(handler, 200, b"\x00\xffnot json at all", "application/scim+json")
        origin = httpx.URL(self.upstream)
        target = f"{origin.scheme}://{origin.host}:{origin.port}{handler.path}"
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        if fault == "bump":  # someone else changes the resource just before this write lands
            httpx.patch(target, headers=headers, timeout=10, json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "nickName", "value": "changed-meanwhile"}]})
        response = httpx.request(handler.command, target, content=body, headers=headers, timeout=10)
        if fault == "twice":  # a middlebox that retries the request: the client hears the second answer
            response = httpx.request(handler.command, target, content=body, headers=headers, timeout=10)
        self.statuses.append(response.status_code)
        if fault == "lost":
            return self._reply(handler, 502, b"<html>bad gateway</html>", "text/html")
        if fault == "lost-reset":
            return self._reset(handler)
        if fault == "hang":
            time.sleep(self.hang_s)
            return self._reset(handler)
        headers_out = {k: v for k, v in response.headers.items()
                       if k.lower() in ("content-type", "etag", "location")}
        self._reply(handler, response.status_code, response.content, headers_out.pop("content-type", "application/json"),
                    extra=headers_out)

    @staticmethod
    def _reply(handler, status: int, body: bytes, content_type: str, *, extra: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _reset(handler) -> None:
        handler.close_connection = True
        sock = handler.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
