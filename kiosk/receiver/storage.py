"""The receiver's packet store: ``receiver.db`` (sqlite-utils, WAL, ``synchronous=FULL``).

Packets are stored exactly as received, still sealed: data at rest stays encrypted and is opened
on demand. Only routing fields (ids, digest, size, status, timestamps) are in clear.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from sqlite_utils import Database

from kiosk.errors import StoreError

STATUSES = ("received", "accepted", "rejected", "activated")


class PacketNotFound(StoreError, LookupError):
    """No packet is stored under that enrollment id."""

    code = "not_found"


class UnknownStatus(StoreError, ValueError):
    """A status outside ``STATUSES`` was asked for."""

    code = "unknown_status"


class PutOutcome(Enum):
    CREATED = "created"  # stored now
    DUPLICATE = "duplicate"  # identical bytes already stored: nothing done
    CONFLICT = "conflict"  # other bytes already stored under this id: nothing done


@dataclass(frozen=True, slots=True)
class StoredPacket:
    enrollment_id: str
    kiosk_id: str
    digest: str
    size: int
    status: str
    reasons: list[str]
    received_at: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS packets (
    enrollment_id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    status TEXT NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]',
    received_at TEXT NOT NULL,
    packet BLOB NOT NULL
)
"""
_ROW_FIELDS = "enrollment_id, kiosk_id, digest, size, status, reasons, received_at"


class PacketStore:
    """Thread-safe access to ``receiver.db``: one connection, one lock. Close with ``close()``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            connection = sqlite3.connect(os.fspath(path), check_same_thread=False, timeout=10)
            self._db = Database(connection)
            self._db.enable_wal()
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the receiver database: {err.__class__.__name__}") from None
        self._lock = threading.Lock()

    def __enter__(self) -> PacketStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(self, *, enrollment_id: str, kiosk_id: str, digest: str, packet: bytes) -> PutOutcome:
        """Store ``packet`` once; a second put under the same id never changes what is stored."""
        received_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock, _sql_errors():
            with self._db.atomic():
                inserted = self._db.execute(
                    "INSERT INTO packets (enrollment_id, kiosk_id, digest, size, status, received_at,"
                    " packet) VALUES (?, ?, ?, ?, 'received', ?, ?) ON CONFLICT DO NOTHING",
                    (enrollment_id, kiosk_id, digest, len(packet), received_at, packet),
                ).rowcount
                if inserted:
                    return PutOutcome.CREATED
                (stored_digest,) = self._db.execute(
                    "SELECT digest FROM packets WHERE enrollment_id = ?", (enrollment_id,)
                ).fetchone()
        return PutOutcome.DUPLICATE if stored_digest == digest else PutOutcome.CONFLICT

    def get(self, enrollment_id: str) -> StoredPacket:
        """The routing record (not the packet bytes) or ``PacketNotFound``."""
        with self._lock, _sql_errors():
            row = self._db.execute(
                f"SELECT {_ROW_FIELDS} FROM packets WHERE enrollment_id = ?", (enrollment_id,)
            ).fetchone()
        if row is None:
            raise PacketNotFound("no packet under that enrollment id")
        *head, reasons, received_at = row
        return StoredPacket(*head, reasons=json.loads(reasons), received_at=received_at)

    def packet_bytes(self, enrollment_id: str) -> bytes:
        """The sealed packet exactly as received."""
        with self._lock, _sql_errors():
            row = self._db.execute(
                "SELECT packet FROM packets WHERE enrollment_id = ?", (enrollment_id,)
            ).fetchone()
        if row is None:
            raise PacketNotFound("no packet under that enrollment id")
        return row[0]

    def set_status(self, enrollment_id: str, status: str, *, reasons: Sequence[str] = ()) -> None:
        """Move a packet to ``status`` (one of ``STATUSES``) with citizen-actionable reason codes."""
        if status not in STATUSES:
            raise UnknownStatus(f"unknown status {status!r}")
        with self._lock, _sql_errors():
            changed = self._db.execute(
                "UPDATE packets SET status = ?, reasons = ? WHERE enrollment_id = ?",
                (status, json.dumps(list(reasons)), enrollment_id),
            ).rowcount
        if not changed:
            raise PacketNotFound("no packet under that enrollment id")


@contextmanager
def _sql_errors() -> Iterator[None]:
    """Turn sqlite3 errors into ``StoreError`` (naming only the error class)."""
    try:
        yield
    except sqlite3.Error as err:
        raise StoreError(f"receiver database error: {err.__class__.__name__}") from None
