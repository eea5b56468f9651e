"""Technician login for the on-screen service mode: a PIN stored as a scrypt hash, with a lockout.

The hash lives in the configuration (``service.technician_pin_hash``, made by ``kiosk technician
set-pin``): ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``. After ``lockout_after`` wrong PINs in a
row the login locks for ``lockout_minutes``; the count and the deadline are persisted (nothing
personal: two numbers) so a reboot does not reset them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.errors import ConfigError

LOG2_N, R, P = 15, 8, 1  # 32 MiB, about 0.1 s on a Pi 4: cheap for one login, costly for guessing
MAXMEM = 64 * 1024 * 1024
PIN_RE = re.compile(r"[0-9]{6,12}")


def hash_pin(pin: str, *, salt: bytes | None = None, log2_n: int = LOG2_N) -> str:
    if not PIN_RE.fullmatch(pin):
        raise ConfigError("a technician PIN is 6 to 12 digits")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2 ** log2_n, r=R, p=P, maxmem=MAXMEM, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${log2_n}${R}${P}${b64(salt)}${b64(digest)}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored`` (constant-time compare). A malformed hash never matches."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=2 ** int(log2_n), r=int(r),
                                p=int(p), maxmem=MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str = ""  # "", "wrong_pin", "locked", "no_pin_configured"
    tries_left: int = 0
    locked_until: datetime | None = None


class TechnicianLogin:
    def __init__(self, *, pin_hash: str, state_file: Path, lockout_after: int = 5,
                 lockout_minutes: float = 15) -> None:
        self.pin_hash = pin_hash
        self.state_file = Path(state_file)
        self.lockout_after = lockout_after
        self.lockout = timedelta(minutes=lockout_minutes)

    @classmethod
    def from_config(cls, config) -> TechnicianLogin:
        s = config.service
        return cls(pin_hash=s.technician_pin_hash, state_file=config.kiosk.data_dir / "service-lockout.json",
                   lockout_after=s.lockout_after, lockout_minutes=s.lockout_minutes)

    def _load(self) -> tuple[int, datetime | None]:
        try:
            data = json.loads(self.state_file.read_text())
            until = datetime.fromisoformat(data["locked_until"]) if data.get("locked_until") else None
            return int(data.get("failures", 0)), until
        except (OSError, ValueError, KeyError, TypeError):
            return 0, None

    def _save(self, failures: int, until: datetime | None) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"failures": failures,
                                   "locked_until": until.isoformat(timespec="seconds") if until else None}))
        os.replace(tmp, self.state_file)

    def locked_until(self, now: datetime | None = None) -> datetime | None:
        now = now or datetime.now(timezone.utc)
        _failures, until = self._load()
        return until if until and until > now else None

    def attempt(self, pin: str, *, now: datetime | None = None) -> LoginResult:
        now = now or datetime.now(timezone.utc)
        if not self.pin_hash:
            return LoginResult(False, "no_pin_configured")
        failures, until = self._load()
        if until and until > now:
            return LoginResult(False, "locked", 0, until)
        if until:  # the lockout is over: a fresh count
            failures = 0
        if check_pin(pin, self.pin_hash):
            self._save(0, None)
            return LoginResult(True)
        failures += 1
        if failures >= self.lockout_after:
            until = now + self.lockout
            self._save(failures, until)
            return LoginResult(False, "locked", 0, until)
        self._save(failures, None)
        return LoginResult(False, "wrong_pin", self.lockout_after - failures)
