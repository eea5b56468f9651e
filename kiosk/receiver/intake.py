"""Taking a packet in: verify, decrypt to validate, store sealed. No HTTP here.

The plaintext exists only inside ``Intake.receive`` (to validate it) and is then dropped: what is
stored is the packet exactly as received. The one thing kept from it is, when the kiosk could not verify
a contact, the email address its verification links go to: sealed right there
(``kiosk.receiver.links.LinkAddresses``), never in clear, so that sending a link needs no second
opening of the packet.

With ``workers`` > 0 the CPU-bound part (signature, decryption, JSON, the attachments' digests) runs
in a pool of that many processes, so that concurrent deliveries use every core instead of queueing
on one interpreter lock; storing (group commit) stays in this process. The pool starts on the
first packet. With ``workers=0`` everything runs on the calling thread.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import SealError, StoreError
from kiosk.packet import parse
from kiosk.payload import InvalidPayload, decode  # noqa: F401  (InvalidPayload: re-exported)
from kiosk.receiver.keys import database_path, load_receiver_key, load_trusted_kiosks
from kiosk.receiver.links import LinkAddresses, sealed_addresses
from kiosk.receiver.storage import Incoming, PacketStore, PutOutcome, StoredPacket
from kiosk.receiver.validation import problems
from kiosk.sealing import EnrollmentMismatch, open_packet_with_digest


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receiver answers to a delivery. ``outcome`` says whether it was new."""

    enrollment_id: str
    outcome: PutOutcome
    digest: str


class Intake:
    """The receiver's core, bound to a data directory (``kiosk.receiver.keys`` layout)."""

    def __init__(self, data_dir: str | os.PathLike[str], *, workers: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        key = load_receiver_key(self.data_dir)
        self._private_key = key.private_key
        self.key_id = key.key_id
        self.addresses = LinkAddresses(self._private_key.private_bytes_raw())
        self.store = PacketStore(database_path(self.data_dir))
        # called after a packet with contacts to verify was stored: its links are queued (kiosk.receiver.links)
        self.on_links_queued = None

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    def receive(self, enrollment_id: str, packet: bytes) -> Receipt:
        """Verify and validate ``packet``, then store it once. Raises ``SealError`` subclasses."""
        if self.workers:
            checked = self._check_in_pool(_check_in_worker, enrollment_id, packet)
        else:
            checked = _check(self, enrollment_id, packet)
        return self._store(enrollment_id, checked, packet=packet)

    def receive_file(self, enrollment_id: str, incoming: Incoming) -> Receipt:
        """``receive`` for a packet written to ``incoming`` as it arrived (``PacketStore.incoming``):
        the worker reads it from there, and it is stored under its name without being copied again.
        ``incoming`` is consumed (stored or removed)."""
        try:
            if self.workers:  # the file is synced to disk while a worker checks it
                checked = self._check_in_pool(_check_file_in_worker, enrollment_id, str(incoming.path),
                                              meanwhile=incoming.finish)
            else:
                checked = _check(self, enrollment_id, incoming.read())
        except BaseException:
            incoming.discard()
            raise
        return self._store(enrollment_id, checked, incoming=incoming)

    def _store(self, enrollment_id: str, checked: _Checked, **packet) -> Receipt:
        outcome = self.store.put(enrollment_id=enrollment_id, kiosk_id=checked.kiosk_id, digest=checked.digest,
                                 reasons=checked.reasons, unverified=checked.unverified,
                                 sealed_addresses=checked.sealed_addresses, **packet)
        if outcome is PutOutcome.CREATED and checked.unverified and self.on_links_queued is not None:
            self.on_links_queued()
        return Receipt(enrollment_id=enrollment_id, outcome=outcome, digest=checked.digest)

    def start_workers(self) -> None:
        """Start the worker processes now rather than on the first packet (each imports the intake
        and loads the key: about half a second of CPU), without waiting for them."""
        if not self.workers:
            return
        pool = self._worker_pool()
        for _ in range(self.workers):
            pool.submit(_warm)

    def _worker_pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(str(self.data_dir),))
            return self._pool

    def _check_in_pool(self, check, enrollment_id: str, packet: bytes | str, *, meanwhile=None) -> _Checked:
        pool = self._worker_pool()
        try:
            future = pool.submit(check, enrollment_id, packet)
            if meanwhile is not None:
                meanwhile()
            return future.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool next time
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = None
            raise StoreError("the receiver's intake workers stopped") from None

    def open(self, enrollment_id: str, packet: bytes) -> dict:
        """Verify and decrypt ``packet`` (delivered under ``enrollment_id``); returns the payload
        (``kiosk.payload``: either version, attachments' ``content`` as bytes)."""
        return self._open_with_digest(enrollment_id, packet)[0]

    def _open_with_digest(self, enrollment_id: str, packet: bytes) -> tuple[dict, str]:
        """``open``, and the packet's SHA-256 (hex) from the signature check's pass over it."""
        plaintext, digest = open_packet_with_digest(
            packet,
            private_key=self._private_key,
            key_id=self.key_id,
            trusted_kiosks=load_trusted_kiosks(self.data_dir),
            expected_enrollment_id=enrollment_id,
        )
        return decode(plaintext), digest

    def status(self, enrollment_id: str) -> StoredPacket:
        """The stored routing record; raises ``PacketNotFound``."""
        return self.store.get(enrollment_id)


@dataclass(frozen=True, slots=True)
class _Checked:
    """What intake needs of a packet once verified and validated: no personal data in clear."""

    kiosk_id: str
    digest: str
    reasons: list[str]
    unverified: list[str]  # contact channels the kiosk could not verify: their links are queued
    sealed_addresses: dict[str, bytes]  # channel -> the address its link goes to, sealed for that job


def _check(intake: Intake, enrollment_id: str, packet: bytes) -> _Checked:
    payload, digest = intake._open_with_digest(enrollment_id, packet)
    if payload.get("enrollment_id") != enrollment_id:
        raise EnrollmentMismatch("payload enrollment id does not match")
    reasons = problems(payload)  # failed automatic checks: stored, but already rejected
    unverified = _unverified_contacts(payload)
    sealed = sealed_addresses(intake.addresses, enrollment_id, payload, unverified)
    del payload
    return _Checked(parse(packet).header.kiosk_id, digest, reasons, unverified, sealed)


class _WorkerIntake:
    """In a pool process: the receiver's key, and the trusted kiosks read per packet (as in process)."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = Path(data_dir)
        key = load_receiver_key(self.data_dir)
        self._private_key, self.key_id = key.private_key, key.key_id
        self.addresses = LinkAddresses(self._private_key.private_bytes_raw())

    open = Intake.open
    _open_with_digest = Intake._open_with_digest


_worker: _WorkerIntake | None = None


def _warm() -> None:
    """A task that only makes the pool start a worker process."""


def _start_worker(data_dir: str) -> None:
    global _worker
    _worker = _WorkerIntake(data_dir)


def _check_in_worker(enrollment_id: str, packet: bytes) -> _Checked:
    assert _worker is not None
    return _check(_worker, enrollment_id, packet)


def _check_file_in_worker(enrollment_id: str, path: str) -> _Checked:
    assert _worker is not None
    with open(path, "rb") as packet_file:  # written by the receiver's request thread, not synced yet
        return _check(_worker, enrollment_id, packet_file.read())


def _unverified_contacts(payload: dict) -> list[str]:
    """The channels marked "to verify" in the packet (a link goes to its email address)."""
    contact = payload.get("contact")
    if not isinstance(contact, dict) or not isinstance(contact.get("email"), str) or not contact["email"]:
        return []
    return [channel for channel in ("email", "mobile")
            if contact.get(f"{channel}_verified") is False and contact.get(channel)]
