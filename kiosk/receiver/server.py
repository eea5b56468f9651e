"""The reference receiver's HTTP API (stdlib ``http.server``; JSON in and out), over mutual TLS.

Every route is in ``ROUTES`` and documented in ``openapi.json`` (served at ``/openapi.json``; a test
keeps the two in step). With ``tls`` the receiver speaks HTTPS only and requires a client
certificate signed by its client CA (the kiosks'); without it, plain HTTP for local experiments.

    PUT  /v1/packets/{enrollment_id}           201 stored now | 200 same bytes already stored
                                               409 other bytes | 422 verification failed
    GET  /v1/packets/{enrollment_id}/status    {"enrollment_id", "reference", "status", "reasons"}
    GET  /v1/status/{reference}                the same, by the receipt reference (XXXX-XXXX-XXXX)
    POST /v1/packets/{enrollment_id}/decision  operator (Bearer token): {"decision", "reasons"}
    POST /v1/otp                               send a one-time code: {"channel", "address", "session"} -> {"otp_id"}
                                               429 + Retry-After: too many codes for that address or session
    POST /v1/otp/{otp_id}/verify               {"code"} -> {"verified": bool, "tries_left": n}
                                               429 + Retry-After: the code is burnt (too many wrong codes)
    GET  /v1/verify/{token}                    the link emailed when the kiosk could not verify (public)
    GET  /healthz, GET /openapi.json           (public)

Kiosk routes need a client certificate signed by the client CA; public routes (a citizen's browser
following the emailed link, health checks) need none. A certificate that does not verify is refused
in the handshake either way.

Responses and logs carry ids, codes and digests only: never any personal data. Logs name the
route, never the path (which holds ids).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kiosk.errors import SealError, StoreError, ValidationError
from kiosk.packet import HEAD_SIZE, peek_header
from kiosk.receiver.decisions import BadDecision, Decisions
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import database_path, init_data_dir
from kiosk.receiver.provision.jobs import JobQueue, progress_of
from kiosk.receiver.messages import FileMessenger, Messenger
from kiosk.receiver.otp import OtpLimits, RateLimited, Verifier
from kiosk.receiver.storage import BadTransition, Incoming, PacketNotFound, PutOutcome, StoredPacket

if TYPE_CHECKING:
    from kiosk.receiver.provision.worker import ProvisioningSettings

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
MAX_JSON_BODY = 64 * 1024
BODY_CHUNK = 256 * 1024  # a packet body is streamed to its file in pieces of this size
_ID = r"([0-9A-Za-z]{16,40})"
_VALID_ID = re.compile(_ID, re.ASCII)
_VALID_REFERENCE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str  # as in openapi.json, e.g. /v1/packets/{enrollment_id}
    handler: str  # _Handler method name
    is_operator: bool = False
    is_public: bool = False  # no client certificate needed

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.sub(r"\{[a-z_]+\}", "([^/]*)", self.template))


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", "_healthz", is_public=True),
    Route("GET", "/openapi.json", "_openapi", is_public=True),
    Route("PUT", "/v1/packets/{enrollment_id}", "_put_packet"),
    Route("GET", "/v1/packets/{enrollment_id}/status", "_status"),
    Route("GET", "/v1/status/{reference}", "_status_by_reference"),
    Route("POST", "/v1/packets/{enrollment_id}/decision", "_decision", is_operator=True),
    Route("POST", "/v1/otp", "_otp_send"),
    Route("POST", "/v1/otp/{otp_id}/verify", "_otp_verify"),
    Route("GET", "/v1/verify/{token}", "_verify_link", is_public=True),
)


def certificate_identities(peer: dict) -> set[str]:
    """The names a verified peer certificate (``SSLSocket.getpeercert()``) vouches for: CN and SAN."""
    names = {value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"}
    names.update(value for kind, value in peer.get("subjectAltName", ()) if kind in ("DNS", "URI"))
    return names


def openapi_document() -> dict:
    return json.loads(resources.files("kiosk.receiver").joinpath("openapi.json").read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The receiver's certificate and key, and the CA whose client certificates it accepts."""

    cert: Path
    key: Path
    client_ca: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        context.load_verify_locations(cafile=self.client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL  # absent: public routes only; invalid: refused
        return context


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
        tls: ServerTls | None = None,
        operator_token: str | None = None,
        on_accepted: tuple[Callable[[str], None], ...] = (),
        provisioning: ProvisioningSettings | None = None,
        messenger: Messenger | None = None,
        public_url: str = "",
        otp_limits: OtpLimits = OtpLimits(),
        workers: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self._requested_port = port
        self.max_body = max_body
        self.tls = tls
        self.operator_token = operator_token  # None: the operator API answers 401 to everyone
        self.on_accepted = on_accepted
        self.provisioning = provisioning  # None: accepted enrollments wait in the queue (kiosk receiver jobs)
        self._worker_thread: threading.Thread | None = None
        self._worker_stop = threading.Event()
        self._worker_wake = threading.Event()
        self._links_thread: threading.Thread | None = None
        self._links_stop = threading.Event()
        self._links_wake = threading.Event()
        self.messenger = messenger  # None: messages are written to DATA/outbox (simulated email/SMS)
        self.public_url = public_url  # where citizens reach /v1/verify/{token}; default: this server's URL
        self.otp_limits = otp_limits
        self.workers = workers  # processes verifying and decrypting packets (0: on the request threads)
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
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> ReceiverServer:
        if self._httpd is not None:
            return self
        self.key_id = init_data_dir(self.data_dir)
        intake = Intake(self.data_dir, workers=self.workers)
        try:
            self._httpd = _HTTPServer((self.host, self._requested_port), _Handler)
        except OSError:
            intake.close()
            raise
        intake.start_workers()  # in the background: the first delivery does not wait for them
        self._httpd.intake = intake
        wake = (lambda enrollment_id: self._worker_wake.set(),) if self.provisioning else ()
        self._httpd.decisions = Decisions(intake.store, on_accepted=(*self.on_accepted, *wake))
        self._httpd.provisioning = JobQueue(database_path(self.data_dir))
        verifier = Verifier(database_path(self.data_dir), self.messenger or FileMessenger(self.data_dir),
                            public_url=self.public_url or self.url, limits=self.otp_limits)
        self._httpd.verifier = verifier
        self._start_links(intake, verifier)
        self._httpd.max_body = self.max_body
        self._httpd.tls_context = self.tls.context() if self.tls else None
        self._httpd.operator_token = self.operator_token
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="receiver-http",
            daemon=True,
        )
        self._thread.start()
        if self.provisioning is not None:
            self._start_worker()
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
        if self._links_thread is not None:
            self._links_stop.set()
            self._links_wake.set()
            self._links_thread.join()
            self._links_thread = None
        httpd.intake.close()
        httpd.provisioning.close()
        if self._worker_thread is not None:
            self._worker_stop.set()
            self._worker_wake.set()
            self._worker_thread.join()
            self._worker_thread = None
        httpd.verifier.close()
        logger.info("receiver stopped")

    def _start_links(self, intake: Intake, verifier: Verifier) -> None:
        """The verification links queued at intake, sent from their durable jobs on a thread of their own."""
        from kiosk.receiver.links import LinkSender

        sender = LinkSender(intake, verifier)
        self._links_stop.clear()
        intake.on_links_queued = self._links_wake.set
        self._links_thread = threading.Thread(
            target=sender.serve, args=(self._links_stop,), kwargs={"wake": self._links_wake},
            name="receiver-links", daemon=True)
        self._links_thread.start()

    def _start_worker(self) -> None:
        """Provisioning (SCIM, RAO token, email) on its own thread and database connection."""
        from kiosk.receiver.provision.worker import ProvisioningWorker

        worker = ProvisioningWorker(self.data_dir, self.provisioning)
        self._worker_stop.clear()

        def work() -> None:
            try:
                worker.serve(self._worker_stop, wake=self._worker_wake)
            finally:
                worker.close()

        self._worker_thread = threading.Thread(target=work, name="receiver-provisioning", daemon=True)
        self._worker_thread.start()


def serve_forever(
    data_dir: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 8080, **options: object
) -> None:
    """Run the receiver until SIGTERM or SIGINT (call from the main thread), then stop cleanly.

    ``options`` are ``ReceiverServer``'s keyword options (``tls``, ``operator_token``, ...)."""
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with ReceiverServer(data_dir, host=host, port=port, **options):
            while not stopping.wait(1.0):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _HTTPServer(ThreadingHTTPServer):
    provisioning: JobQueue
    daemon_threads = True
    request_queue_size = 64
    intake: Intake
    decisions: Decisions
    verifier: Verifier
    max_body: int
    tls_context: ssl.SSLContext | None
    operator_token: str | None

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        # Replies go out as soon as they are written: without this, Nagle's algorithm holds a reply's
        # body until the client acknowledges its headers, which the client delays (~40 ms a request).
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake runs here, on the connection's own thread, never in the accept loop.
        if self.tls_context is not None:
            request.settimeout(_Handler.timeout)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                logger.info("TLS handshake refused: %s", type(exc).__name__)
                return
        try:
            super().finish_request(request, client_address)
        finally:
            if request is not None and isinstance(request, ssl.SSLSocket):
                try:
                    request.close()
                except OSError:
                    pass

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

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        allowed = False
        for route in ROUTES:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            allowed = True
            if route.method != self.command:
                continue
            self._route = route.handler.lstrip("_")
            if not route.is_public and self.server.tls_context is not None and not self._has_client_cert():
                if self._drain():
                    self._reply(HTTPStatus.FORBIDDEN, {"error": "client_certificate_required"})
                return
            if route.is_operator and not self._is_operator():
                is_drained = self._read_body(MAX_JSON_BODY) is not None  # so that the reply reaches the client
                if is_drained:
                    self._reply(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"},
                                headers={"WWW-Authenticate": "Bearer"})
                return
            getattr(self, route.handler)(*match.groups())
            return
        if allowed:
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed"}, close=True)
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"}, close=self.command != "GET")

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _dispatch

    def _drain(self) -> bool:
        """Read (and drop) a request body before an early refusal, so that the reply reaches the client."""
        if "Content-Length" not in self.headers and "Transfer-Encoding" not in self.headers:
            return True
        return self._read_body(self.server.max_body) is not None

    def _has_client_cert(self) -> bool:
        getpeercert = getattr(self.connection, "getpeercert", None)
        return bool(getpeercert and getpeercert())

    def _receive_body(self, store) -> tuple[Incoming, bytes] | None:
        """Stream a packet body straight into a new packet file (never whole in memory): the file and
        the body's first bytes (its header), or ``None`` after replying with an error."""
        length = self._body_length(self.server.max_body)
        if length is None:
            return None
        try:
            incoming = store.incoming()
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, close=True,
                        headers={"Retry-After": "5"})
            return None
        head, remaining = bytearray(), length
        try:
            while remaining:
                chunk = self.rfile.read(min(remaining, BODY_CHUNK))
                if not chunk:
                    break
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                incoming.write(chunk)
                remaining -= len(chunk)
        except StoreError:
            incoming.discard()
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, close=True,
                        headers={"Retry-After": "5"})
            return None
        except BaseException:  # the connection broke mid-body: nothing is kept
            incoming.discard()
            raise
        if remaining:
            incoming.discard()
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "truncated_body"}, close=True)
            return None
        return incoming, bytes(head)

    def _is_sent_by_signer(self, packet: bytes) -> bool:
        """Whether the TLS client certificate names the kiosk whose key id the packet is signed under.

        A kiosk's certificate carries its kiosk id as common name (or a subjectAltName): kiosk B's
        certificate must not deliver a packet that kiosk A signed (a stolen or copied packet). A
        packet whose header does not parse is left to the intake, which refuses it with its own code.
        """
        try:
            kiosk_id = peek_header(packet).kiosk_id
        except SealError:
            return True
        return kiosk_id in certificate_identities(self.connection.getpeercert() or {})

    def _is_operator(self) -> bool:
        token = self.server.operator_token
        given = self.headers.get("Authorization", "")
        if not token or not given.startswith("Bearer "):
            return False
        return hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), token.encode())

    def _healthz(self) -> None:
        self._reply(HTTPStatus.OK, {"ok": True, "key_id": self.server.intake.key_id})

    def _openapi(self) -> None:
        self._reply(HTTPStatus.OK, openapi_document())

    def _put_packet(self, enrollment_id: str) -> None:
        if not _VALID_ID.fullmatch(enrollment_id):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_enrollment_id"}, close=True)
            return
        incoming = self._receive_body(self.server.intake.store)
        if incoming is None:
            return
        incoming, head = incoming
        if self.server.tls_context is not None and not self._is_sent_by_signer(head):
            incoming.discard()
            self._reply(HTTPStatus.FORBIDDEN, {"error": "certificate_kiosk_mismatch"})
            return
        try:
            receipt = self.server.intake.receive_file(enrollment_id, incoming)
        except SealError as err:
            self._reply(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": getattr(err, "code", "seal_error")})
            return
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, headers={"Retry-After": "5"})
            return
        if receipt.outcome is PutOutcome.CONFLICT:
            self._reply(HTTPStatus.CONFLICT, {"error": "conflict"})
            return
        code = HTTPStatus.CREATED if receipt.outcome is PutOutcome.CREATED else HTTPStatus.OK
        body = {"enrollment_id": enrollment_id, "status": "received", "digest": receipt.digest}
        self._reply(code, body)

    def _status(self, enrollment_id: str) -> None:
        if not _VALID_ID.fullmatch(enrollment_id):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_enrollment_id"})
            return
        self._reply_record(lambda: self.server.intake.status(enrollment_id))

    def _status_by_reference(self, reference: str) -> None:
        reference = reference.upper()
        if not _VALID_REFERENCE.fullmatch(reference):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_reference"})
            return
        self._reply_record(lambda: self.server.intake.store.by_reference(reference))

    def _decision(self, enrollment_id: str) -> None:
        if not _VALID_ID.fullmatch(enrollment_id):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_enrollment_id"}, close=True)
            return
        body = self._read_json()
        if body is None:
            return
        reasons = body.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_reasons"})
            return
        self._reply_record(
            lambda: self.server.decisions.decide(enrollment_id, str(body.get("decision")), reasons=reasons)
        )

    def _otp_send(self) -> None:
        body = self._read_json()
        if body is None:
            return
        session = body.get("session", "")
        if not isinstance(session, str) or len(session) > 100:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_session"})
            return
        try:
            otp_id = self.server.verifier.send_code(str(body.get("channel")), str(body.get("address", "")),
                                                    session=session)
        except ValidationError as err:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": err.code})
            return
        except RateLimited as err:
            self._reply(HTTPStatus.TOO_MANY_REQUESTS, {"error": err.code, "retry_after": err.retry_after},
                        headers={"Retry-After": str(err.retry_after)})
            return
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, headers={"Retry-After": "5"})
            return
        self._reply(HTTPStatus.CREATED, {"otp_id": otp_id, "expires_in": 600})

    def _otp_verify(self, otp_id: str) -> None:
        body = self._read_json()
        if body is None:
            return
        verifier = self.server.verifier
        try:
            check = verifier.check(otp_id, str(body.get("code", "")))
            wait = 0 if check.is_verified or check.tries_left else max(1, verifier.resend_wait_s(otp_id))
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, headers={"Retry-After": "5"})
            return
        if wait:  # burnt (too many wrong codes), used or expired: a new code after Retry-After
            self._reply(HTTPStatus.TOO_MANY_REQUESTS, {"error": "code_burnt", "verified": False, "tries_left": 0,
                                                       "retry_after": wait}, headers={"Retry-After": str(wait)})
            return
        self._reply(HTTPStatus.OK, {"verified": check.is_verified, "tries_left": check.tries_left})

    def _verify_link(self, token: str) -> None:
        channel = self.server.verifier.confirm_link(token) if len(token) < 100 else None
        if channel is None:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        self._reply(HTTPStatus.OK, {"verified": True, "channel": channel,
                                    "message": "Grazie: il contatto è confermato."})

    def _reply_record(self, lookup: Callable[[], StoredPacket]) -> None:
        try:
            record = lookup()
        except PacketNotFound:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        except (BadDecision, BadTransition) as err:
            self._reply(HTTPStatus.CONFLICT if isinstance(err, BadTransition) else HTTPStatus.BAD_REQUEST,
                        {"error": err.code, "detail": str(err)})
            return
        except StoreError:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "store_unavailable"}, headers={"Retry-After": "5"})
            return
        try:
            progress = progress_of(record.status, record.reasons,
                                   self.server.provisioning.get(record.enrollment_id))
        except StoreError:
            progress = progress_of(record.status, record.reasons, None)
        try:
            contacts = self.server.intake.store.contacts(record.enrollment_id)
        except StoreError:
            contacts = {}
        self._reply(HTTPStatus.OK, {
            "enrollment_id": record.enrollment_id, "reference": record.reference, "status": record.status,
            "reasons": record.reasons, "updated_at": record.updated_at or record.received_at,
            "stage": progress["stage"], "provisioned": progress["provisioned"], "email_sent": progress["email_sent"],
            "contacts": contacts,
        })

    def _read_json(self) -> dict | None:
        raw = self._read_body(MAX_JSON_BODY)
        if raw is None:
            return None
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "bad_json"})
            return None
        return body

    def _read_body(self, limit: int) -> bytes | None:
        """The request body, or ``None`` after replying with an error (and closing)."""
        length = self._body_length(limit)
        if length is None:
            return None
        body = self.rfile.read(length)
        if len(body) != length:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "truncated_body"}, close=True)
            return None
        return body

    def _body_length(self, limit: int) -> int | None:
        """The request body's announced length, or ``None`` after replying with an error (and closing)."""
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
        if length > limit:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large"}, close=True)
            return None
        return length

    def _reply(self, code: HTTPStatus, body: dict, *, close: bool = False, headers: dict | None = None) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
