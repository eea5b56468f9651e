"""The kiosk's local database: the outbox of sealed packets. The only module that speaks SQL.

What is stored in clear is routing only (random enrollment id, reference, status, timestamps,
attempt counts, error codes). The packet is sealed for the receiver; the kiosk cannot read it.
The first half of the activation code and the receipt's language are kept only until the receipt
has printed, so that a crash between commit and print can be followed by a reprint in the citizen's
language (half a secret and a language code, not personal data; both are erased as soon as the
receipt exists).

Durability: WAL with ``synchronous=FULL``; one transaction per enrollment (invariant 2).

Pages are 16 KB in a new database (SQLite's default 4 KB stays in one made before): a sealed packet
of 1.5 MB spans about 90 overflow pages instead of 370, so committing it and reading it cost fewer
page writes and reads.

Erasure: ``secure_delete=ON``, so what an update or delete frees is overwritten with zeros (the code
half is gone from the file once the receipt printed: the record's old copy is zeroed too). Purging an
acknowledged packet is the exception (``_purge``, ``secure_delete=FAST``): SQLite zeroes what it
frees inside the pages it writes anyway, but not the sealed packet's freed overflow pages, which the
next packets reuse. Zero-filling them wrote each packet twice more (3 MB: into the WAL, then the
checkpoint), which was most of a backlog's drain time and, on an SD card, its wear; for bytes that
are ciphertext only the receiver's key opens (the receiver holds the same packet under the same
key), on flash whose controller keeps overwritten blocks anyway. The kiosk cannot read them; nor
can a thief. A row whose receipt has not printed yet is purged with ``ON``: its freed copy holds the
code half.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import sqlite_utils
from sqlite_utils.migrations import Migrations

from kiosk.errors import StoreError

migrations = Migrations("sportello-kiosk")
DEFAULT_RECEIPT_LANGUAGE = "it"
PAGE_SIZE = 16384


@migrations()
def m001_outbox(db: sqlite_utils.Database) -> None:
    db["outbox"].create(
        {
            "enrollment_id": str,
            "reference": str,
            "created_at": str,
            "status": str,  # queued | delivered | accepted | rejected | activated
            "packet": bytes,  # sealed; NULL once the receiver has acknowledged it
            "packet_digest": str,
            "packet_size": int,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,  # a non-personal code
            "delivered_at": str,
            "print_pending_code": str,  # first half of the activation code, until printed
            "printed_at": str,
        },
        pk="enrollment_id",
        not_null={"reference", "created_at", "status", "packet_digest", "packet_size", "attempts"},
        defaults={"attempts": 0},
    )
    db["outbox"].create_index(["status", "next_attempt_at"])


@migrations()
def m002_status_reasons(db: sqlite_utils.Database) -> None:
    db["outbox"].add_column("reasons", str)  # JSON list of the receiver's reason codes (non-personal)
    db["outbox"].add_column("status_checked_at", str)


@migrations()
def m003_receipt_language(db: sqlite_utils.Database) -> None:
    # the language the citizen chose, kept (like the code half) only until the receipt has printed,
    # so that a receipt reprinted after a crash comes out in it; rows from before this say NULL (Italian)
    db["outbox"].add_column("print_pending_language", str)


class PendingReceipt(NamedTuple):
    """A committed enrollment whose receipt never printed: what a reprint needs, nothing personal."""

    enrollment_id: str
    reference: str
    activation_first_half: str
    language: str


@dataclass(frozen=True)
class OutboxEntry:
    enrollment_id: str
    reference: str
    created_at: str
    status: str
    packet_size: int
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    delivered_at: str | None
    printed_at: str | None
    has_packet: bool
    is_print_pending: bool


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The outbox. Open with ``Store.open(path)``; use as a context manager to close."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self._db = db
        self.path = path
        # One connection shared by the shell's threads and the sync thread: one writer at a time.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
            db = sqlite_utils.Database(conn)
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only while the database is empty
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA secure_delete=ON")  # deleted content is zeroed (a purge relaxes it: ``_purge``)
            db.execute("PRAGMA foreign_keys=ON")
            migrations.apply(db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the kiosk database {path}: {exc}") from exc
        return cls(db, path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self, what: str) -> Iterator[sqlite_utils.Database]:
        try:
            with self._lock, self._db.atomic() as db:
                yield db
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            code = "disk_full" if "full" in text or "disk" in text else "store_failed"
            raise StoreError(f"{what} failed ({code})") from exc

    @staticmethod
    def _set(db: sqlite_utils.Database, enrollment_id: str, fields: dict) -> None:
        """``UPDATE`` one outbox row. Not sqlite-utils' ``Table.update``, which first reads the whole row
        back, sealed packet included (1.5 MB read for nothing on every purge and receipt)."""
        assignments = ", ".join(f"{column} = ?" for column in fields)
        db.execute(f"UPDATE outbox SET {assignments} WHERE enrollment_id = ?", [*fields.values(), enrollment_id])

    # -- writes -----------------------------------------------------------------------------------
    def commit_packet(
        self, *, enrollment_id: str, reference: str, packet: bytes, digest: str, print_code: str,
        print_language: str = DEFAULT_RECEIPT_LANGUAGE,
    ) -> None:
        """Durably queue a sealed packet. Once this returns, the receipt may be printed."""
        with self._writing("committing the enrollment") as db:
            db["outbox"].insert(
                {
                    "enrollment_id": enrollment_id, "reference": reference, "created_at": _now(),
                    "status": "queued", "packet": packet, "packet_digest": digest, "packet_size": len(packet),
                    "attempts": 0, "print_pending_code": print_code, "print_pending_language": print_language,
                }
            )

    def mark_printed(self, enrollment_id: str) -> None:
        with self._writing("recording the receipt") as db:
            self._set(db, enrollment_id, {
                "printed_at": _now(), "print_pending_code": None, "print_pending_language": None,
            })

    def mark_delivered(self, enrollment_id: str, *, status: str = "delivered") -> None:
        """The receiver acknowledged the packet: drop the sealed bytes, keep the routing row."""
        with self._writing("recording the delivery") as db:
            self._purge(db, [enrollment_id], status=status)

    def mark_delivered_many(self, enrollment_ids: list[str]) -> None:
        """``mark_delivered`` for several acknowledged packets in one transaction (one fsync)."""
        if not enrollment_ids:
            return
        with self._writing("recording the deliveries") as db:
            self._purge(db, enrollment_ids, status="delivered")

    @staticmethod
    def _purge(db: sqlite_utils.Database, enrollment_ids: list[str], *, status: str) -> None:
        """Drop acknowledged packets' sealed bytes without zero-filling their pages (``secure_delete=FAST``,
        see the module's docstring), except in rows whose code half is still waiting for the receipt:
        the record's old copy, freed by this update, holds that half, and must be zeroed (``ON``)."""
        rows = [(status, _now(), enrollment_id) for enrollment_id in enrollment_ids]
        update = ("UPDATE outbox SET status = ?, delivered_at = ?, packet = NULL, last_error = NULL"
                  " WHERE enrollment_id = ? AND print_pending_code IS {} NULL")
        db.execute("PRAGMA secure_delete=FAST")
        try:
            db.conn.executemany(update.format(""), rows)
        finally:
            db.execute("PRAGMA secure_delete=ON")
        db.conn.executemany(update.format("NOT"), rows)

    def mark_attempt_failed(self, enrollment_id: str, *, error: str, next_attempt_at: str) -> None:
        with self._writing("recording a delivery attempt") as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE enrollment_id = ?",
                [error, next_attempt_at, enrollment_id],
            )

    def set_status(self, enrollment_id: str, status: str) -> None:
        with self._writing("recording a status") as db:
            self._set(db, enrollment_id, {"status": status})

    def record_status(self, enrollment_id: str, status: str, *, reasons: list[str] | None = None) -> None:
        """What the receiver said of a delivered enrollment (``delivered`` for its ``received``)."""
        import json

        with self._writing("recording a status") as db:
            self._set(db, enrollment_id, {
                "status": status, "reasons": json.dumps(reasons or []), "status_checked_at": _now(),
            })

    # -- reads ------------------------------------------------------------------------------------
    def _read(self, sql: str, params: list | tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return _Rows(self._db.execute(sql, params).fetchall())

    def to_reconcile(self, *, checked_before: str, limit: int = 50) -> list[str]:
        """Delivered enrollments whose outcome is not final and was last asked before ``checked_before``."""
        rows = self._read(
            "SELECT enrollment_id FROM outbox WHERE status IN ('delivered', 'accepted') "
            "AND (status_checked_at IS NULL OR status_checked_at < ?) ORDER BY created_at LIMIT ?",
            [checked_before, limit],
        ).fetchall()
        return [r[0] for r in rows]

    def reasons(self, enrollment_id: str) -> list[str]:
        import json

        row = self._read("SELECT reasons FROM outbox WHERE enrollment_id = ?", [enrollment_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def by_reference(self, reference: str) -> OutboxEntry | None:
        rows = self.entries(where="reference = ?", params=[reference])
        return rows[0] if rows else None
    def packet(self, enrollment_id: str) -> bytes | None:
        row = self._read("SELECT packet FROM outbox WHERE enrollment_id = ?", [enrollment_id]).fetchone()
        return row[0] if row else None

    def pending_print(self) -> list[PendingReceipt]:
        """Committed enrollments whose receipt never printed, with the language to print it in."""
        rows = self._read(
            "SELECT enrollment_id, reference, print_pending_code, print_pending_language FROM outbox "
            "WHERE printed_at IS NULL AND print_pending_code IS NOT NULL ORDER BY created_at"
        ).fetchall()
        return [PendingReceipt(r[0], r[1], r[2], r[3] or DEFAULT_RECEIPT_LANGUAGE) for r in rows]

    def due(self, *, now: str | None = None, limit: int = 50) -> list[str]:
        """Enrollment ids whose packet is waiting for delivery and whose backoff has elapsed."""
        rows = self._read(
            "SELECT enrollment_id FROM outbox WHERE status = 'queued' AND packet IS NOT NULL "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at LIMIT ?",
            [now or _now(), limit],
        ).fetchall()
        return [r[0] for r in rows]

    def entry(self, enrollment_id: str) -> OutboxEntry | None:
        rows = self.entries(where="enrollment_id = ?", params=[enrollment_id])
        return rows[0] if rows else None

    def entries(self, *, where: str = "1=1", params: list | None = None) -> list[OutboxEntry]:
        cursor = self._read(
            "SELECT enrollment_id, reference, created_at, status, packet_size, attempts, next_attempt_at, "
            "last_error, delivered_at, printed_at, packet IS NOT NULL, print_pending_code IS NOT NULL "
            f"FROM outbox WHERE {where} ORDER BY created_at",
            params or [],
        )
        return [OutboxEntry(*row[:10], bool(row[10]), bool(row[11])) for row in cursor.fetchall()]

    def backlog(self) -> tuple[int, str | None]:
        """(packets not yet delivered, creation time of the oldest)."""
        row = self._read(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'queued'"
        ).fetchone()
        return int(row[0]), row[1]

    def prune_settled(self, *, before: str) -> int:
        """Forget routing rows of enrollments settled (acknowledged, no packet, receipt printed) before ``before``."""
        with self._writing("pruning settled enrollments") as db:
            cursor = db.execute(
                "DELETE FROM outbox WHERE status != 'queued' AND packet IS NULL AND print_pending_code IS NULL "
                "AND delivered_at IS NOT NULL AND delivered_at < ?",
                [before],
            )
            return cursor.rowcount

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity check ([] when the database is sound); also checkpoints the WAL."""
        rows = self._db.execute("PRAGMA integrity_check").fetchall()
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return [r[0] for r in rows if r[0] != "ok"]

    def applied_migrations(self) -> list[str]:
        return [m.name for m in migrations.applied(self._db)]


class _Rows:
    """Rows fetched under the store's lock, with the cursor methods the readers use."""

    def __init__(self, rows: list) -> None:
        self._rows = rows

    def fetchall(self) -> list:
        return self._rows

    def fetchone(self):
        return self._rows[0] if self._rows else None


class PacketReader:
    """A read-only connection of its own, for a sync worker thread: streams sealed packets from disk.

    WAL lets it read while the store's one writer writes. Use one per thread; ``close()`` when done.
    """

    CHUNK = 64 * 1024

    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=10, check_same_thread=False)

    def close(self) -> None:
        self._conn.close()

    def locate(self, enrollment_id: str) -> tuple[int, int, str] | None:
        """(rowid, size, digest) of a packet still waiting, or ``None``."""
        row = self._conn.execute(
            "SELECT rowid, packet_size, packet_digest FROM outbox WHERE enrollment_id = ? AND packet IS NOT NULL",
            [enrollment_id],
        ).fetchone()
        return (int(row[0]), int(row[1]), str(row[2])) if row else None

    def chunks(self, rowid: int) -> Iterator[bytes]:
        """The packet's bytes in ``CHUNK``-sized pieces (never the whole packet in memory)."""
        with self._conn.blobopen("outbox", "packet", rowid, readonly=True) as blob:
            while chunk := blob.read(self.CHUNK):
                yield chunk
