"""The verification links of contacts the kiosk could not verify (it was offline), sent from a durable queue.

At intake, each channel marked "to verify" gets a ``verify_link:<channel>`` row in the ``jobs`` table,
written in the same transaction as the packet (``PacketStore.put``): once a packet is acknowledged, its
links will be sent, whatever crashes afterwards. ``LinkSender`` (a thread of ``kiosk receiver``) takes
those jobs, emails the link and marks the job done; a failed send is retried with backoff.

The email address is never stored in clear. Intake decrypts each packet once anyway (to validate it, in
its worker processes): there it seals the address for each job (``LinkAddresses``: ChaCha20-Poly1305
under a key derived from the receiver's private key, a fresh nonce, the job's enrollment id and channel
as associated data, so a value copied onto another row does not open) and the job row keeps that
``sealed_address``. Sending a link then costs one small decryption instead of reading and opening the
whole packet again on the receiver's main process. Rows queued before sealed addresses existed have
none: for them the stored packet is opened as before. A sealed address that does not open (tampered)
is treated like a packet that no longer opens: the job is skipped, nothing is sent.

Exactly once: a link's token, and so the message's id, are derived from the receiver's private key and
(enrollment id, channel), not drawn at random. A crash between sending and marking the job done sends
the same message again, which the messenger recognises by its id and does not send twice
(``FileMessenger``; an SMTP relay sees the same Message-ID).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import KioskError, SealError, StoreError
from kiosk.receiver.otp import CHANNELS, Verifier
from kiosk.receiver.storage import PacketNotFound

log = logging.getLogger("kiosk.receiver.links")

JOB_PREFIX = "verify_link:"
BASE_BACKOFF_S = 5.0
MAX_BACKOFF_S = 3600.0


def job_kind(channel: str) -> str:
    return f"{JOB_PREFIX}{channel}"


class AddressUnreadable(SealError):
    """A job's sealed address does not open: tampered with, copied from another row, or another key."""

    code = "address_unreadable"


class LinkAddresses:
    """Seals the address a link goes to, one value per job: ChaCha20-Poly1305 under a key derived from
    the receiver's private key, a fresh 12-byte nonce stored in front, the job's (enrollment id,
    channel) as associated data. Each job gets its own value (a few dozen bytes), so a row's value
    opens only on that row."""

    _VERSION = b"\x01"

    def __init__(self, receiver_private_bytes: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"sportello/receiver/link-address/v1").derive(receiver_private_bytes)
        self._aead = ChaCha20Poly1305(key)

    def seal(self, enrollment_id: str, channel: str, address: str) -> bytes:
        nonce = os.urandom(12)
        return self._VERSION + nonce + self._aead.encrypt(nonce, address.encode("utf-8"),
                                                          _associated(enrollment_id, channel))

    def open(self, enrollment_id: str, channel: str, sealed: bytes) -> str:
        """The address sealed for this job; raises ``AddressUnreadable``."""
        if sealed[:1] != self._VERSION or len(sealed) < 1 + 12 + 16:
            raise AddressUnreadable("the sealed address has an unknown format")
        try:
            clear = self._aead.decrypt(sealed[1:13], sealed[13:], _associated(enrollment_id, channel))
            return clear.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise AddressUnreadable("the sealed address does not open") from None


def _associated(enrollment_id: str, channel: str) -> bytes:
    return f"sportello/verify-link|{enrollment_id}|{channel}".encode()


def sealed_addresses(addresses: LinkAddresses, enrollment_id: str, payload: dict,
                     channels: list[str]) -> dict[str, bytes]:
    """For intake: the sealed email address of each channel whose link is queued (``channels``)."""
    contact = payload.get("contact")
    email = contact.get("email") if isinstance(contact, dict) else None
    if not isinstance(email, str) or not email:
        return {}
    return {channel: addresses.seal(enrollment_id, channel, email) for channel in channels}


class LinkSender:
    """Sends the queued verification links of one receiver (its ``Intake`` and ``Verifier``)."""

    def __init__(self, intake, verifier: Verifier, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.intake = intake
        self.verifier = verifier
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=b"sportello/receiver/verify-link/v1").derive(intake._private_key.private_bytes_raw())
        self._clock = clock
        self._not_before: dict[int, float] = {}  # job id -> when to try again after a failure

    def token(self, enrollment_id: str, channel: str) -> str:
        """The link's token for this enrollment and channel: unguessable, and the same on every try."""
        digest = hmac.new(self._key, f"{enrollment_id}|{channel}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode("ascii")

    def run_due(self) -> dict[str, str]:
        """Send every due link; ``{"<enrollment id>:<channel>": "sent" | "skipped" | error code}``."""
        results: dict[str, str] = {}
        now = self._clock()
        for channel in CHANNELS:
            for job in self.intake.store.pending_jobs(job_kind(channel)):
                if self._not_before.get(job.job_id, 0.0) > now:
                    continue
                results[f"{job.enrollment_id}:{channel}"] = self._send(job, channel)
        return results

    def _send(self, job, channel: str) -> str:
        store = self.intake.store
        try:
            email = self._address(job, channel)
        except (PacketNotFound, SealError):  # purged, tampered, or never opens again: no link can be sent
            store.finish_job(job.job_id)
            log.warning("verification link skipped: no readable address (packet purged or address unreadable)",
                        extra={"enrollment_id": job.enrollment_id, "channel": channel})
            return "skipped"
        if not isinstance(email, str) or not email:
            store.finish_job(job.job_id)
            return "skipped"
        try:
            self.verifier.send_link(job.enrollment_id, channel, email, token=self.token(job.enrollment_id, channel))
        except (OSError, KioskError) as err:
            code = getattr(err, "code", None) or type(err).__name__
            store.finish_job(job.job_id, error=code)
            delay = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** min(job.attempts, 12))
            self._not_before[job.job_id] = self._clock() + delay
            log.warning("verification link not sent, will retry", extra={"enrollment_id": job.enrollment_id,
                                                                         "error": code})
            return code
        store.finish_job(job.job_id)
        self._not_before.pop(job.job_id, None)
        log.info("verification link sent", extra={"enrollment_id": job.enrollment_id, "channel": channel})
        return "sent"

    def _address(self, job, channel: str) -> str | None:
        """The address the link goes to: the job's sealed address, or (a row queued before those
        existed) the email in the stored packet, opened again."""
        if job.sealed_address is not None:
            return self.intake.addresses.open(job.enrollment_id, channel, job.sealed_address)
        payload = self.intake.open(job.enrollment_id, self.intake.store.packet_bytes(job.enrollment_id))
        contact = payload.get("contact")
        return contact.get("email") if isinstance(contact, dict) else None

    def serve(self, stop: threading.Event, *, wake: threading.Event, interval: float = 5.0) -> None:
        """Send due links until ``stop`` is set; ``wake`` starts a round at once (set after each intake)."""
        while not stop.is_set():
            try:
                self.run_due()
            except StoreError as err:
                log.error("verification link round failed: %s", getattr(err, "code", type(err).__name__))
            except Exception as err:  # a bug must not stop the links for good: log its class, go on
                log.error("verification link round crashed: %s", type(err).__name__)
            wake.wait(interval)
            wake.clear()
