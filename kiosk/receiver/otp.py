"""One-time codes for the citizen's email and mobile, and the verification link for later.

Online, the kiosk asks ``POST /v1/otp`` to send a 6-digit code and checks what the citizen types
with ``POST /v1/otp/{otp_id}/verify`` (5 tries, 10 minutes). Sending is rate limited per
destination and per kiosk session (``OtpLimits``: a cool-down between sends, at most N sends per
window): over the limit ``send_code`` raises ``RateLimited`` with the seconds to wait (HTTP 429 with
``Retry-After``). After ``max_tries`` wrong codes the code is burnt: even the right one no longer
verifies, and the kiosk goes on with the contact "to verify". Offline, the sealed packet says the
contact is not verified; at intake the receiver emails a link (``GET /v1/verify/{token}``) that
confirms it later. Only hashes of codes and tokens are stored; addresses are not stored here.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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
CREATE TABLE IF NOT EXISTS otp_sends (
    subject_hash TEXT NOT NULL, sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS otp_sends_subject ON otp_sends (subject_hash, sent_at);
CREATE TABLE IF NOT EXISTS contact_checks (
    token_hash TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, channel TEXT NOT NULL,
    created_at TEXT NOT NULL, verified_at TEXT
);
"""


class BadOtpRequest(ValidationError):
    """An unknown channel or a malformed address."""


class RateLimited(Exception):
    """Too many codes asked for: try again in ``retry_after`` seconds (a whole number, >= 1)."""

    code = "too_many_codes"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class OtpLimits:
    """How often codes may be sent (per destination and per kiosk session) and tried."""

    cooldown_s: float = 60.0  # between two sends to the same destination or session
    max_sends: int = 5  # per destination and per session within ``window_s``
    window_s: float = 3600.0
    max_tries: int = MAX_TRIES  # wrong codes before the code is burnt


@dataclass(frozen=True, slots=True)
class CodeCheck:
    is_verified: bool
    tries_left: int  # 0: this code can no longer verify anything (burnt, used or expired)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class Verifier:
    """Codes and links over ``receiver.db`` (its own connection) and a ``Messenger``."""

    def __init__(self, db_path, messenger: Messenger, *, public_url: str = "", limits: OtpLimits = OtpLimits(),
                 clock: Callable[[], float] = time.time) -> None:
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, timeout=10, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(otp)")}
        if "subject_hash" not in columns:
            self._db.execute("ALTER TABLE otp ADD COLUMN subject_hash TEXT NOT NULL DEFAULT ''")
        self._lock = threading.Lock()
        self.messenger = messenger
        self.public_url = public_url.rstrip("/")
        self.limits = limits
        self._clock = clock

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def send_code(self, channel: str, address: str, *, language: str = "it", session: str = "") -> str:
        """Send a code to ``address``; its id. ``session`` is the kiosk's opaque id for the citizen's
        session (rate limited like the destination). Raises ``RateLimited`` over the limits."""
        if channel not in CHANNELS:
            raise BadOtpRequest("channel_invalid", "channel must be email or mobile")
        address = check_email(address) if channel == "email" else check_mobile(address)
        code = f"{secrets.randbelow(10**6):06d}"
        otp_id, salt = secrets.token_urlsafe(16), secrets.token_hex(8)
        subjects = [_digest("to", f"{channel}:{address.lower()}")] + ([_digest("session", session)] if session else [])
        now = self._clock()
        with self._lock, _sql():
            wait = max(self._wait_s(subject, now) for subject in subjects)
            if wait > 0:
                raise RateLimited(max(1, math.ceil(wait)))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO otp_sends (subject_hash, sent_at) VALUES (?, ?)",
                                     [(subject, now) for subject in subjects])
                self._db.execute("DELETE FROM otp_sends WHERE sent_at < ?", (now - 2 * self.limits.window_s,))
                self._db.execute(
                    "INSERT INTO otp (otp_id, channel, code_hash, salt, expires_at, subject_hash)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (otp_id, channel, _digest(salt, code), salt, _stamp(datetime.now(UTC) + CODE_TTL), subjects[0]),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self.messenger.send(channel=channel, to=address, subject="Il tuo codice SPID",
                            body=f"Il tuo codice di verifica è {code}. Vale 10 minuti.")
        return otp_id

    def _wait_s(self, subject: str, now: float) -> float:
        """Seconds before ``subject`` may be sent another code (0: now)."""
        limits = self.limits
        sent = [row[0] for row in self._db.execute(
            "SELECT sent_at FROM otp_sends WHERE subject_hash = ? AND sent_at > ? ORDER BY sent_at",
            (subject, now - limits.window_s))]
        if not sent:
            return 0.0
        wait = sent[-1] + limits.cooldown_s - now
        if len(sent) >= limits.max_sends:
            wait = max(wait, sent[len(sent) - limits.max_sends] + limits.window_s - now)
        return max(0.0, wait)

    def resend_wait_s(self, otp_id: str) -> int:
        """Seconds before the destination of ``otp_id`` may be sent a new code (0: now)."""
        with self._lock, _sql():
            row = self._db.execute("SELECT subject_hash FROM otp WHERE otp_id = ?", (otp_id,)).fetchone()
            wait = self._wait_s(row[0], self._clock()) if row and row[0] else 0.0
        return math.ceil(wait)

    def check_code(self, otp_id: str, code: str) -> bool:
        return self.check(otp_id, code).is_verified

    def check(self, otp_id: str, code: str) -> CodeCheck:
        """Check what the citizen typed. After ``max_tries`` wrong codes the code is burnt."""
        now = _stamp(datetime.now(UTC))
        max_tries = self.limits.max_tries
        with self._lock, _sql():
            row = self._db.execute(
                "SELECT code_hash, salt, expires_at, tries, verified_at FROM otp WHERE otp_id = ?", (otp_id,)
            ).fetchone()
            if row is None:
                return CodeCheck(False, 0)
            code_hash, salt, expires_at, tries, verified_at = row
            if verified_at is not None or tries >= max_tries or expires_at < now:
                return CodeCheck(False, 0)
            is_valid = hmac.compare_digest(code_hash, _digest(salt, code.strip()))
            self._db.execute(
                "UPDATE otp SET tries = tries + 1, verified_at = ? WHERE otp_id = ?",
                (now if is_valid else None, otp_id),
            )
        return CodeCheck(is_valid, 0 if is_valid else max_tries - tries - 1)

    def send_link(self, enrollment_id: str, channel: str, address: str, *, token: str | None = None) -> None:
        """Email a link that confirms ``channel`` for this enrollment later (the kiosk was offline).

        With ``token`` (``kiosk.receiver.links``: the same on every try) sending again is harmless: the
        link is recorded once and the message carries an id derived from the token, which the messenger
        sends once."""
        token = token or secrets.token_urlsafe(24)
        with self._lock, _sql():
            self._db.execute(
                "INSERT INTO contact_checks (token_hash, enrollment_id, channel, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (_digest("link", token), enrollment_id, channel, _stamp(datetime.now(UTC))),
            )
        what = "il tuo indirizzo email" if channel == "email" else "il tuo numero di cellulare"
        self.messenger.send(channel="email", to=address, subject="Conferma i tuoi contatti per SPID",
                            body=f"Per confermare {what} apri questo link: {self.public_url}/v1/verify/{token}",
                            message_id=_digest("message", token)[:16])

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
