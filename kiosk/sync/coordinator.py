"""The one coordinator that delivers the outbox to the receiving service.

It owns retries, backoff and the translation of transport errors into short, non-personal codes.
Backoff lives in the outbox row (``attempts``, ``next_attempt_at``) so it survives reboots;
``Retry-After`` is honoured; short in-attempt retries of transport faults use ``stamina``.
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import stamina

from kiosk.store import Store

log = logging.getLogger("kiosk.sync")

BASE_BACKOFF_S = 30.0
MAX_BACKOFF_S = 6 * 3600.0


class _Transient(Exception):
    """A fault worth retrying within this attempt (connection reset, timeout, 502/503/504)."""


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # enrollment id -> error code


def backoff_seconds(attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, at least ``Retry-After`` when the receiver gave one."""
    ceiling = min(MAX_BACKOFF_S, BASE_BACKOFF_S * (2 ** min(attempts, 20)))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


class SyncCoordinator:
    def __init__(self, store: Store, *, base_url: str, client: httpx.Client | None = None, timeout: float = 30.0):
        self.store = store
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def deliver_due(self, *, now: datetime | None = None, limit: int = 50) -> DeliveryReport:
        now = now or datetime.now(UTC)
        report = DeliveryReport()
        for enrollment_id in self.store.due(now=now.strftime("%Y-%m-%dT%H:%M:%SZ"), limit=limit):
            error = self.deliver(enrollment_id, now=now)
            if error:
                report.failed[enrollment_id] = error
            else:
                report.delivered.append(enrollment_id)
        return report

    def deliver(self, enrollment_id: str, *, now: datetime | None = None) -> str:
        """PUT one packet; returns "" when the receiver acknowledged it, else an error code."""
        packet = self.store.packet(enrollment_id)
        if packet is None:
            return ""
        retry_after = None
        try:
            response = self._put(enrollment_id, packet)
        except _Transient as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = "transport:" + type(exc).__name__
        else:
            error = self._judge(response, packet)
            retry_after = _retry_after(response)
        if not error:
            self.store.mark_delivered(enrollment_id)
            log.info("packet delivered", extra={"enrollment_id": enrollment_id})
            return ""
        entry = self.store.entry(enrollment_id)
        when = (now or datetime.now(UTC)) + timedelta(
            seconds=backoff_seconds(entry.attempts if entry else 0, retry_after=retry_after)
        )
        self.store.mark_attempt_failed(enrollment_id, error=error, next_attempt_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        log.warning("delivery failed", extra={"enrollment_id": enrollment_id, "error": error})
        return error

    @stamina.retry(on=_Transient, attempts=3, wait_initial=0.2, wait_max=2.0, timeout=20.0)
    def _put(self, enrollment_id: str, packet: bytes) -> httpx.Response:
        try:
            response = self._client.put(
                f"{self.base_url}/v1/packets/{enrollment_id}", content=packet,
                headers={"Content-Type": "application/octet-stream"},
            )
        except (httpx.TransportError,) as exc:
            raise _Transient("transport:" + type(exc).__name__) from exc
        if response.status_code in (502, 503, 504) and _retry_after(response) is None:
            raise _Transient(f"http_{response.status_code}")
        return response

    @staticmethod
    def _judge(response: httpx.Response, packet: bytes) -> str:
        """"" if the response really acknowledges this packet; garbage never counts as success."""
        if response.status_code not in (200, 201):
            return f"http_{response.status_code}"
        try:
            body = response.json()
        except ValueError:
            return "bad_response"
        if not isinstance(body, dict) or body.get("digest") != hashlib.sha256(packet).hexdigest():
            return "bad_response"
        return ""

    def status(self, enrollment_id: str) -> dict:
        """The receiver's status for one enrollment (received / accepted / rejected with reasons ...)."""
        response = self._client.get(f"{self.base_url}/v1/packets/{enrollment_id}/status")
        response.raise_for_status()
        return response.json()
