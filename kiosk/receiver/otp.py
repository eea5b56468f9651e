"""One-time codes for the citizen's email and mobile, and the verification link for later.

Online, the kiosk asks ``POST /v1/otp`` to send a 6-digit code and checks what the citizen types
with ``POST /v1/otp/{otp_id}/verify`` (5 tries, 10 minutes). Offline, the sealed packet says the
contact is not verified; at intake the receiver emails a link (``GET /v1/verify/{token}``) that
confirms it later. Only hashes of codes and tokens are stored; addresses are not stored here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

from kiosk.domain.checks import check_email, check_mobile
from kiosk.errors import StoreError, ValidationError
from kiosk.receiver.messages import Messenger

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
CHANNELS = ("email", "mobile")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS otp (
    otp_id TEXT PRIMARY KEY, channel TEXT NOT NULL, code_hash TEXT NOT NULL, salt TEXT NOT NULL,
    expires_at TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0, verified_at TEXT
);
CREATE TABLE IF NOT EXISTS contact_checks (
    token_hash TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, channel TEXT NOT NULL,
    created_at TEXT NOT NULL, verified_at TEXT
);
"""


class BadOtpRequest(ValidationError):
    """An unknown channel or a malformed address."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class Verifier:
    """Codes and links over ``receiver.db`` (its own connection) and a ``Messenger``."""

    def __init__(self, db_path, messenger: Messenger, *, public_url: str = "") -> None:
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, timeout=10, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.messenger = messenger
        self.public_url = public_url.rstrip("/")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def send_code(self, channel: str, address: str, *, language: str = "it") -> str:
        if channel not in CHANNELS:
            raise BadOtpRequest("channel_invalid", "channel must be email or mobile")
        address = check_email(address) if channel == "email" else check_mobile(address)
        code = f"{secrets.randbelow(10**6):06d}"
        otp_id, salt = secrets.token_urlsafe(16), secrets.token_hex(8)
        with self._lock, _sql():
            self._db.execute(
                "INSERT INTO otp (otp_id, channel, code_hash, salt, expires_at) VALUES (?, ?, ?, ?, ?)",
                (otp_id, channel, _digest(salt, code), salt, _stamp(datetime.now(UTC) + CODE_TTL)),
            )
        self.messenger.send(channel=channel, to=address, subject="Il tuo codice SPID",
                            body=f"Il tuo codice di verifica è {code}. Vale 10 minuti.")
        return otp_id

    def check_code(self, otp_id: str, code: str) -> bool:
        now = _stamp(datetime.now(UTC))
        with self._lock, _sql():
            row = self._db.execute(
                "SELECT code_hash, salt, expires_at, tries, verified_at FROM otp WHERE otp_id = ?", (otp_id,)
            ).fetchone()
            if row is None:
                return False
            code_hash, salt, expires_at, tries, verified_at = row
            if verified_at is not None or tries >= MAX_TRIES or expires_at < now:
                return False
            is_valid = hmac.compare_digest(code_hash, _digest(salt, code.strip()))
            self._db.execute(
                "UPDATE otp SET tries = tries + 1, verified_at = ? WHERE otp_id = ?",
                (now if is_valid else None, otp_id),
            )
        return is_valid

    def send_link(self, enrollment_id: str, channel: str, address: str) -> None:
        """Email a link that confirms ``channel`` for this enrollment later (the kiosk was offline)."""
        token = secrets.token_urlsafe(24)
        with self._lock, _sql():
            self._db.execute(
                "INSERT INTO contact_checks (token_hash, enrollment_id, channel, created_at) VALUES (?, ?, ?, ?)",
                (_digest("link", token), enrollment_id, channel, _stamp(datetime.now(UTC))),
            )
        what = "il tuo indirizzo email" if channel == "email" else "il tuo numero di cellulare"
        self.messenger.send(channel="email", to=address, subject="Conferma i tuoi contatti per SPID",
                            body=f"Per confermare {what} apri questo link: {self.public_url}/v1/verify/{token}")

    def confirm_link(self, token: str) -> str | None:
        """The channel confirmed by ``token``, or ``None`` if it is unknown."""
        with self._lock, _sql():
            row = self._db.execute(
                "SELECT channel FROM contact_checks WHERE token_hash = ?", (_digest("link", token),)
            ).fetchone()
            if row is None:
                return None
            self._db.execute(
                "UPDATE contact_checks SET verified_at = COALESCE(verified_at, ?) WHERE token_hash = ?",
                (_stamp(datetime.now(UTC)), _digest("link", token)),
            )
        return row[0]

    def is_confirmed(self, enrollment_id: str, channel: str) -> bool:
        with self._lock, _sql():
            row = self._db.execute(
                "SELECT 1 FROM contact_checks WHERE enrollment_id = ? AND channel = ? AND verified_at IS NOT NULL",
                (enrollment_id, channel),
            ).fetchone()
        return row is not None


class _sql:  # noqa: N801
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None and isinstance(exc, sqlite3.Error):
            raise StoreError(f"receiver database error: {type(exc).__name__}") from None
        return False
