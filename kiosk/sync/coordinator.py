"""The one coordinator that delivers the outbox to the receiving service and follows the outcomes.

It owns retries, backoff and the translation of transport errors into short, non-personal codes.

- Delivery: ``PUT /v1/packets/{enrollment_id}`` (idempotent by id) over mutual TLS with the
  receiver's certificate pinned (``kiosk.sync.transport``). Only an answer that names the exact
  SHA-256 of the packet counts as an acknowledgement; then the sealed bytes are purged from the row.
  Garbage, a wrong certificate or a dropped response leave the packet queued, untouched.
- Backoff lives in the outbox row (``attempts``, ``next_attempt_at``, exponential with jitter) so
  it survives reboots; ``Retry-After`` is honoured; short in-attempt retries of transport faults and
  502/503/504 use ``stamina``.
- Bounded concurrency: a small thread pool (``connections`` workers) over one ``httpx.Client`` with
  as many keep-alive connections. Bounded memory: each worker streams its packet from disk in 64 KB
  pieces through its own read-only SQLite connection; no packet is ever held whole in memory here.
- One writer per database: workers only read and talk HTTP; every outbox write happens on the
  thread that called ``deliver_due`` / ``reconcile`` (and the store serialises its writers).
- Status reconciliation: delivered enrollments are asked for their outcome (``received`` ->
  ``accepted`` | ``rejected`` with reasons -> ``activated``) until it is final.

Where sync runs: inside the kiosk process, on one background thread (``kiosk.sync.service``), not as
a separate ``kiosk sync`` service. The kiosk process already writes the outbox (commit, receipt
printed); a second process would be a second writer on the same database and would need its own
way to tell the UI about network state and the freeze rules. In-process, the thread posts
``NetworkChanged`` / ``Frozen`` events straight to the shell, and ``lookup_status`` for the status
check screen reuses the same client. A background thread keeps the touchscreen responsive however
slow the network is. ``kiosk sync`` (one shot) refuses to run while the kiosk holds the database
(``kiosk.sync.service.writer_lock``) and ``kiosk sync --forever`` (``sportello-sync.service``)
stands by, delivering only while the kiosk is not running: one delivering writer per database.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import stamina

from kiosk.errors import SyncError
from kiosk.store import PacketReader, Store
from kiosk.sync.transport import Transport, UntrustedReceiver

log = logging.getLogger("kiosk.sync")

BASE_BACKOFF_S = 30.0
MAX_BACKOFF_S = 6 * 3600.0
MAX_RETRY_AFTER_S = 24 * 3600.0
FOREVER = "9999-12-31T23:59:59Z"  # a "now" past every backoff
ROUND_LIMIT = 200  # packets a delivery round takes at most (a full round: the next one goes at once)
STATUS_POLL_S = 300.0  # how often a delivered enrollment's outcome is asked for
LOCAL_STATUS = {"received": "delivered", "accepted": "accepted", "rejected": "rejected", "activated": "activated"}
LOOKUP_STATUSES = ("received", "accepted", "rejected", "activated")
# how far an accepted enrollment got at the receiver: the status check shows the furthest stage
LOOKUP_STAGES = ("provisioned", "email_sent")


class _Transient(Exception):
    """A fault worth retrying within this attempt (connection reset, timeout, 502/503/504)."""


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # enrollment id -> error code
    is_reachable: bool = True  # False when nothing got through to the receiver


@dataclass(frozen=True)
class _Outcome:
    enrollment_id: str
    error: str = ""  # "" = acknowledged
    retry_after: float | None = None
    is_transport: bool = False


def backoff_seconds(attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter, at least ``Retry-After`` when the receiver gave one."""
    ceiling = min(MAX_BACKOFF_S, BASE_BACKOFF_S * (2 ** min(attempts, 20)))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER_S))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SyncCoordinator:
    def __init__(
        self,
        store: Store,
        *,
        base_url: str | None = None,
        transport: Transport | None = None,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        if transport is None:
            if not base_url:
                raise SyncError("no receiver URL")
            transport = Transport(base_url=base_url.rstrip("/"), timeout_s=timeout)
        self.store = store
        self.transport = transport
        self.base_url = transport.base_url
        self._client = client or transport.client()
        self._rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(max_workers=transport.connections, thread_name_prefix="kiosk-sync")
        self._local = threading.local()
        self._readers: list[PacketReader] = []
        self._readers_lock = threading.Lock()
        self._round = threading.Lock()  # one delivery round at a time

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        self._client.close()

    # -- delivery ---------------------------------------------------------------------------------
    def deliver_due(
        self, *, now: datetime | None = None, limit: int = ROUND_LIMIT, is_forced: bool = False,
        on_progress: Callable[[DeliveryReport], None] | None = None,
    ) -> DeliveryReport:
        """Deliver every packet whose backoff has elapsed (at most ``limit``); write the outcomes.

        ``is_forced`` (a technician's "sync now"): every queued packet, whatever its backoff says.
        ``on_progress`` is called with the report so far each time outcomes were written.

        A pipeline: up to two packets per connection in flight, refilled as each answer comes back;
        outcomes are written here, on the calling thread, as they arrive: the acknowledgements that
        arrived together in one transaction (purging a packet is most of the kiosk's disk work).
        """
        report = DeliveryReport()
        seen: set[str] = set()
        window = 2 * self.transport.connections
        with self._round:
            in_flight: dict = {}
            queue: list[str] = []
            acknowledged: list[str] = []
            is_exhausted = False
            transport_failures = 0
            while True:
                if not queue and not is_exhausted and len(seen) < limit:
                    stamp = FOREVER if is_forced else _stamp(now or datetime.now(UTC))
                    batch = [i for i in self.store.due(now=stamp, limit=min(limit, 200) + len(in_flight) + len(report.failed))
                             if i not in seen][: limit - len(seen)]
                    is_exhausted = not batch
                    queue.extend(batch)
                    seen.update(batch)
                while queue and len(in_flight) < window and transport_failures < window:
                    enrollment_id = queue.pop(0)
                    in_flight[self._pool.submit(self._send, enrollment_id)] = enrollment_id
                # purge only now, with the window full again: the workers stream meanwhile (a purge
                # overwrites 1.5 MB a packet and its commit waits for the disk)
                self._record_acknowledged(acknowledged, report=report)
                acknowledged = []
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    del in_flight[future]
                    outcome = future.result()
                    if outcome.error or outcome.retry_after is not None:
                        self._record(outcome, now=now or datetime.now(UTC), report=report)
                    else:
                        acknowledged.append(outcome.enrollment_id)
                    # the receiver out of reach: stop starting new ones, leave the rest for the next round
                    transport_failures = transport_failures + 1 if outcome.is_transport else 0
                if transport_failures >= window:
                    queue.clear()
                    is_exhausted = True
                if on_progress is not None:
                    on_progress(report)
        report.is_reachable = not report.failed or bool(report.delivered) or any(
            not code.startswith(("transport:", "tls_")) for code in report.failed.values()
        )
        return report

    def deliver(self, enrollment_id: str, *, now: datetime | None = None) -> str:
        """Deliver one packet now; "" when the receiver acknowledged it (or nothing was left), else a code."""
        outcome = self._send(enrollment_id)
        report = DeliveryReport()
        self._record(outcome, now=now or datetime.now(UTC), report=report)
        return report.failed.get(enrollment_id, "")

    def _record_acknowledged(self, enrollment_ids: list[str], *, report: DeliveryReport) -> None:
        """Purge the packets the receiver acknowledged meanwhile: one transaction for them all."""
        self.store.mark_delivered_many(enrollment_ids)
        for enrollment_id in enrollment_ids:
            log.info("packet delivered", extra={"enrollment_id": enrollment_id})
        report.delivered.extend(enrollment_ids)

    def _record(self, outcome: _Outcome, *, now: datetime, report: DeliveryReport) -> None:
        enrollment_id = outcome.enrollment_id
        if not outcome.error:
            if outcome.retry_after is None:  # a real acknowledgement (not "nothing to send")
                self.store.mark_delivered(enrollment_id)
                log.info("packet delivered", extra={"enrollment_id": enrollment_id})
            report.delivered.append(enrollment_id)
            return
        entry = self.store.entry(enrollment_id)
        delay = backoff_seconds(entry.attempts if entry else 0, retry_after=outcome.retry_after, rng=self._rng)
        self.store.mark_attempt_failed(enrollment_id, error=outcome.error,
                                       next_attempt_at=_stamp(now + timedelta(seconds=delay)))
        log.warning("delivery failed", extra={"enrollment_id": enrollment_id, "error": outcome.error})
        report.failed[enrollment_id] = outcome.error

    def _reader(self) -> PacketReader:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = PacketReader(self.store.path)
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _send(self, enrollment_id: str) -> _Outcome:
        """Worker thread: stream one packet to the receiver. Reads only; never writes the outbox."""
        reader = self._reader()
        located = reader.locate(enrollment_id)
        if located is None:
            return _Outcome(enrollment_id, retry_after=0.0)  # already acknowledged and purged
        rowid, size, digest = located
        try:
            response = self._put(enrollment_id, reader, rowid, size)
        except _Transient as exc:
            return _Outcome(enrollment_id, error=str(exc), is_transport=str(exc).startswith("transport:"))
        except UntrustedReceiver as exc:
            return _Outcome(enrollment_id, error=exc.code, is_transport=True)
        except httpx.HTTPError as exc:
            return _Outcome(enrollment_id, error="transport:" + type(exc).__name__, is_transport=True)
        return _Outcome(enrollment_id, error=self._judge(response, digest), retry_after=_retry_after(response))

    @stamina.retry(on=_Transient, attempts=3, wait_initial=0.2, wait_max=2.0, timeout=30.0)
    def _put(self, enrollment_id: str, reader: PacketReader, rowid: int, size: int) -> httpx.Response:
        try:
            response = self._client.put(
                f"{self.base_url}/v1/packets/{enrollment_id}", content=reader.chunks(rowid),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
        except httpx.TransportError as exc:
            if _is_certificate_error(exc):
                raise UntrustedReceiver("the receiver's certificate is not trusted") from None
            raise _Transient("transport:" + type(exc).__name__) from None
        self.transport.check_peer(response)
        if response.status_code in (502, 503, 504) and _retry_after(response) is None:
            raise _Transient(f"http_{response.status_code}")
        return response

    @staticmethod
    def _judge(response: httpx.Response, digest: str) -> str:
        """"" if the response really acknowledges this packet; garbage never counts as success."""
        if response.status_code not in (200, 201):
            return f"http_{response.status_code}"
        try:
            body = response.json()
        except ValueError:
            return "bad_response"
        if not isinstance(body, dict) or body.get("digest") != digest:
            return "bad_response"
        return ""

    # -- outcomes ---------------------------------------------------------------------------------
    def reconcile(self, *, now: datetime | None = None, poll_s: float = STATUS_POLL_S, limit: int = 50) -> int:
        """Ask the receiver for the outcome of delivered enrollments; returns how many changed."""
        now = now or datetime.now(UTC)
        ids = self.store.to_reconcile(checked_before=_stamp(now - timedelta(seconds=poll_s)), limit=limit)
        changed = 0
        for enrollment_id, answer in zip(ids, self._pool.map(self._fetch_status, ids)):
            if answer is None:
                break  # offline or garbage: try again next round
            status, reasons = answer
            entry = self.store.entry(enrollment_id)
            if entry is not None and entry.status != status:
                changed += 1
            self.store.record_status(enrollment_id, status, reasons=reasons)
        return changed

    def _fetch_status(self, enrollment_id: str) -> tuple[str, list[str]] | None:
        body = self._get_json(f"/v1/packets/{enrollment_id}/status")
        if not isinstance(body, dict) or body.get("status") not in LOCAL_STATUS:
            return None
        return LOCAL_STATUS[body["status"]], _reasons(body)

    def status(self, enrollment_id: str) -> dict:
        """The receiver's status for one enrollment (received / accepted / rejected with reasons ...)."""
        response = self._client.get(f"{self.base_url}/v1/packets/{enrollment_id}/status")
        self.transport.check_peer(response)
        response.raise_for_status()
        return response.json()

    def lookup_status(self, reference: str) -> dict:
        """The status check: ``{"status": received|accepted|provisioned|email_sent|rejected|activated|unknown|offline,
        "reasons": [...]}``; an accepted enrollment answers the furthest stage the receiver reports
        (``provisioned``: the identity exists at the IdP; ``email_sent``: the activation email left).

        ``unknown`` when the receiver has nothing under that reference (the kiosk adds
        ``"is_queued_here": True`` when its own outbox still holds it, waiting to be delivered);
        ``offline`` when the receiver cannot be reached or answers nonsense.
        """
        reference = reference.strip().upper()
        try:
            response = self._client.get(f"{self.base_url}/v1/status/{reference}")
            self.transport.check_peer(response)
        except (httpx.HTTPError, UntrustedReceiver):
            return {"status": "offline", "reasons": []}
        if response.status_code in (400, 404):
            entry = self.store.by_reference(reference)
            queued = entry is not None and entry.status == "queued"
            return {"status": "unknown", "reasons": [], **({"is_queued_here": True} if queued else {})}
        try:
            body = response.json() if response.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("status") not in LOOKUP_STATUSES:
            return {"status": "offline", "reasons": []}
        status = body["stage"] if body["status"] == "accepted" and body.get("stage") in LOOKUP_STAGES else body["status"]
        return {"status": status, "reasons": _reasons(body)}

    def is_reachable(self) -> bool:
        """Whether the receiver answers (its health check), over the same pinned mutual TLS."""
        return self._get_json("/healthz") is not None

    def _get_json(self, path: str):
        try:
            response = self._client.get(f"{self.base_url}{path}")
            self.transport.check_peer(response)
            if response.status_code != 200:
                return None
            return response.json()
        except (httpx.HTTPError, UntrustedReceiver, ValueError):
            return None

    # -- one-time codes (email and mobile verification) --------------------------------------------
    def send_otp(self, channel: str, address: str, *, session: str = "") -> str | OtpWait | None:
        """Ask the receiver to send a one-time code: its id; ``OtpWait`` when the receiver refuses
        because too many codes were asked for (429 with ``Retry-After``); ``None`` when offline or refused.
        ``session`` is an opaque id of the citizen's session (the receiver limits codes per session)."""
        payload = {"channel": channel, "address": address, **({"session": session} if session else {})}
        response = self._post("/v1/otp", payload)
        if response is not None and response.status_code == 429:
            wait = _retry_after(response)
            return OtpWait(max(1, round(wait))) if wait is not None else None
        body = _json_of(response, (201, 200))
        otp_id = body.get("otp_id") if isinstance(body, dict) else None
        return otp_id if isinstance(otp_id, str) else None

    def check_otp(self, otp_id: str, code: str) -> bool | None:
        """True/False for the code the citizen typed; ``None`` when the receiver cannot tell."""
        return self.verify_otp(otp_id, code).verified

    def verify_otp(self, otp_id: str, code: str) -> OtpCheck:
        """The receiver's verdict on the code the citizen typed, and whether the code is burnt."""
        response = self._post(f"/v1/otp/{otp_id}/verify", {"code": code})
        if response is not None and response.status_code == 429:  # too many wrong codes: burnt
            return OtpCheck(False, is_burnt=True)
        body = _json_of(response, (200,))
        verified = body.get("verified") if isinstance(body, dict) else None
        if not isinstance(verified, bool):
            return OtpCheck(None)
        tries_left = body.get("tries_left")
        return OtpCheck(verified, is_burnt=not verified and tries_left == 0)

    def _post(self, path: str, payload: dict) -> httpx.Response | None:
        try:
            response = self._client.post(f"{self.base_url}{path}", json=payload, timeout=10.0)
            self.transport.check_peer(response)
            return response
        except (httpx.HTTPError, UntrustedReceiver):
            return None

    def _post_json(self, path: str, payload: dict):
        return _json_of(self._post(path, payload), (200, 201))


@dataclass(frozen=True)
class OtpWait:
    """The receiver will not send another code yet: ``retry_after`` seconds (its ``Retry-After``)."""

    retry_after: int


@dataclass(frozen=True)
class OtpCheck:
    verified: bool | None  # None: the receiver could not tell (offline, garbage)
    is_burnt: bool = False  # too many wrong codes: this code verifies nothing any more


def _json_of(response: httpx.Response | None, codes: tuple[int, ...]):
    if response is None or response.status_code not in codes:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _reasons(body: dict) -> list[str]:
    reasons = body.get("reasons", [])
    return [r for r in reasons if isinstance(r, str) and r.isidentifier()] if isinstance(reasons, list) else []


def _is_certificate_error(exc: Exception) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl_errors()):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def ssl_errors() -> tuple[type[BaseException], ...]:
    import ssl

    return (ssl.SSLCertVerificationError,)
