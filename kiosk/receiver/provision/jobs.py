"""The durable provisioning queue: one row per accepted enrollment in ``receiver.db``.

A row walks ``scim`` -> ``token`` -> ``mail`` -> ``done`` and remembers what each step produced (the
SCIM user id, the token sealed with a key derived from the receiver's own, the Message-ID chosen
before the first send). A transient failure leaves the row at its step with ``attempts`` and
``next_attempt_at`` (the kiosk outbox's backoff), so the queue survives restarts; a permanent one
parks it as ``failed`` (with the step it failed at) until an operator retries it; a rejected
enrollment's row is ``cancelled``. Only routing fields, codes and timestamps are in clear.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import StoreError

STEPS = ("scim", "token", "mail")
PROGRESS = ("received", "accepted", "provisioned", "email_sent", "activated", "rejected")
FINAL = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS provisioning (
    enrollment_id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    failed_stage TEXT,
    scim_user_id TEXT,
    token_sealed BLOB,
    message_id TEXT,
    accepted_at TEXT NOT NULL,
    provisioned_at TEXT,
    token_at TEXT,
    email_sent_at TEXT,
    updated_at TEXT NOT NULL
)
"""
_FIELDS = ("enrollment_id", "stage", "attempts", "next_attempt_at", "last_error", "failed_stage", "scim_user_id",
           "token_sealed", "message_id", "accepted_at", "provisioned_at", "token_at", "email_sent_at", "updated_at")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ProvisioningJob:
    enrollment_id: str
    stage: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    failed_stage: str | None
    scim_user_id: str | None
    token_sealed: bytes | None
    message_id: str | None
    accepted_at: str
    provisioned_at: str | None
    token_at: str | None
    email_sent_at: str | None
    updated_at: str

    def __repr__(self) -> str:
        return f"<ProvisioningJob {self.enrollment_id} {self.stage} attempts={self.attempts}>"


class JobQueue:
    """``provisioning`` in ``receiver.db`` (WAL, ``synchronous=FULL``): one connection, one lock."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, timeout=10, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(provisioning)")}
            if "activated_at" not in present:  # added after the first release of this table
                self._db.execute("ALTER TABLE provisioning ADD COLUMN activated_at TEXT")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the provisioning queue: {err.__class__.__name__}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def enqueue(self, enrollment_id: str, *, now: datetime) -> bool:
        """Queue an accepted enrollment once; ``False`` if it was already queued (any state)."""
        moment = stamp(now)
        with self._sql() as db:
            return bool(db.execute(
                "INSERT INTO provisioning (enrollment_id, stage, next_attempt_at, accepted_at, updated_at)"
                " VALUES (?, 'scim', ?, ?, ?) ON CONFLICT DO NOTHING",
                (enrollment_id, moment, moment, moment),
            ).rowcount)

    def due(self, *, now: datetime, limit: int = 20) -> list[str]:
        with self._sql() as db:
            rows = db.execute(
                "SELECT enrollment_id FROM provisioning WHERE stage IN ('scim', 'token', 'mail')"
                " AND next_attempt_at <= ? ORDER BY next_attempt_at, enrollment_id LIMIT ?",
                (stamp(now), limit),
            ).fetchall()
        return [row[0] for row in rows]

    def get(self, enrollment_id: str) -> ProvisioningJob | None:
        with self._sql() as db:
            row = db.execute(f"SELECT {', '.join(_FIELDS)} FROM provisioning WHERE enrollment_id = ?",
                             (enrollment_id,)).fetchone()
        return ProvisioningJob(*row) if row else None

    def all(self, *, limit: int = 1000) -> list[ProvisioningJob]:
        with self._sql() as db:
            rows = db.execute(f"SELECT {', '.join(_FIELDS)} FROM provisioning ORDER BY accepted_at LIMIT ?",
                              (limit,)).fetchall()
        return [ProvisioningJob(*row) for row in rows]

    def advance(self, enrollment_id: str, *, from_stage: str, to_stage: str, now: datetime, **results) -> None:
        """Record a finished step and move on (``attempts`` starts again for the next step)."""
        allowed = {"scim_user_id", "token_sealed", "provisioned_at", "token_at", "email_sent_at"}
        if set(results) - allowed:
            raise ValueError(f"unknown job fields {set(results) - allowed}")
        assignments = "".join(f", {name} = ?" for name in results)
        with self._sql() as db:
            changed = db.execute(
                f"UPDATE provisioning SET stage = ?, attempts = 0, last_error = NULL, next_attempt_at = ?,"
                f" updated_at = ?{assignments} WHERE enrollment_id = ? AND stage = ?",
                (to_stage, stamp(now), stamp(now), *results.values(), enrollment_id, from_stage),
            ).rowcount
        if not changed:
            raise StoreError("the provisioning job moved on meanwhile")

    def message_id(self, enrollment_id: str, *, proposal: str, now: datetime) -> str:
        """The Message-ID of this enrollment's email: ``proposal`` is stored (durably) only if none is."""
        with self._sql() as db:
            db.execute("UPDATE provisioning SET message_id = ?, updated_at = ? WHERE enrollment_id = ?"
                       " AND message_id IS NULL", (proposal, stamp(now), enrollment_id))
            return db.execute("SELECT message_id FROM provisioning WHERE enrollment_id = ?",
                              (enrollment_id,)).fetchone()[0]

    def awaiting_activation(self, *, limit: int = 20) -> list[ProvisioningJob]:
        """Finished jobs with a SCIM user not yet marked active at the IdP."""
        with self._sql() as db:
            rows = db.execute(f"SELECT {', '.join(_FIELDS)} FROM provisioning WHERE stage = 'done'"
                              " AND scim_user_id IS NOT NULL AND activated_at IS NULL ORDER BY updated_at LIMIT ?",
                              (limit,)).fetchall()
        return [ProvisioningJob(*row) for row in rows]

    def mark_activated(self, enrollment_id: str, *, now: datetime) -> None:
        with self._sql() as db:
            db.execute("UPDATE provisioning SET activated_at = ?, updated_at = ? WHERE enrollment_id = ?",
                       (stamp(now), stamp(now), enrollment_id))

    def retry_later(self, enrollment_id: str, *, error: str, next_attempt_at: datetime, now: datetime) -> None:
        with self._sql() as db:
            db.execute("UPDATE provisioning SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                       " updated_at = ? WHERE enrollment_id = ?",
                       (error, stamp(next_attempt_at), stamp(now), enrollment_id))

    def park(self, enrollment_id: str, *, stage: str, error: str, now: datetime) -> None:
        """Stop at ``stage`` for good (``failed``, or ``cancelled`` for a rejected enrollment)."""
        with self._sql() as db:
            db.execute("UPDATE provisioning SET failed_stage = stage, stage = ?, last_error = ?, updated_at = ?"
                       " WHERE enrollment_id = ? AND stage NOT IN ('done', 'failed', 'cancelled')",
                       (stage, error, stamp(now), enrollment_id))

    def retry(self, enrollment_id: str, *, now: datetime) -> bool:
        """Put a failed job back at the step it failed at, due now."""
        with self._sql() as db:
            return bool(db.execute(
                "UPDATE provisioning SET stage = failed_stage, failed_stage = NULL, attempts = 0,"
                " next_attempt_at = ?, updated_at = ? WHERE enrollment_id = ? AND stage = 'failed'",
                (stamp(now), stamp(now), enrollment_id)).rowcount)

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as err:
                raise StoreError(f"provisioning queue error: {err.__class__.__name__}") from None


def progress_of(status: str, reasons: list[str], job: ProvisioningJob | None) -> dict:
    """What the citizen's status shows: ``stage`` is the furthest of ``PROGRESS`` reached."""
    provisioned = bool(job and job.provisioned_at)
    email_sent = bool(job and job.email_sent_at)
    stage = status
    if status == "accepted" and job is not None:
        stage = "email_sent" if email_sent else "provisioned" if provisioned else "accepted"
    return {"status": status, "stage": stage, "reasons": list(reasons), "provisioned": provisioned,
            "email_sent": email_sent}


class Vault:
    """Seals what a job must keep between steps (the token) with a key derived from the receiver's
    private key: ChaCha20-Poly1305, a fresh nonce each time, the enrollment id as associated data."""

    def __init__(self, receiver_private_bytes: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"sportello/receiver/provisioning-vault/v1").derive(receiver_private_bytes)
        self._aead = ChaCha20Poly1305(key)

    def seal(self, enrollment_id: str, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, enrollment_id.encode())

    def open(self, enrollment_id: str, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], enrollment_id.encode())
