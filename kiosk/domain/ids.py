"""Random, non-personal identifiers: enrollment ids (ULID) and the receipt reference derived from them."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_enrollment_id(*, now_ms: int | None = None, random_bytes: bytes | None = None) -> str:
    """A 26-character ULID: 48-bit millisecond time + 80 random bits, Crockford base32 (sortable)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rnd = os.urandom(10) if random_bytes is None else random_bytes
    value = (ms << 80) | int.from_bytes(rnd, "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def is_enrollment_id(text: str) -> bool:
    return len(text) == 26 and all(c in _CROCKFORD for c in text)


def reference(enrollment_id: str) -> str:
    """What the receipt shows and the citizen may type at the status check: the id in groups of 4."""
    tail = enrollment_id[-12:]
    return "-".join(tail[i : i + 4] for i in range(0, 12, 4))


_LOOKALIKES = str.maketrans("OIL", "011")  # Crockford reads a typed O as 0, I and L as 1


def normalise_reference(text: str) -> str:
    """A reference as typed or read (any case, spaces or dashes, or a whole enrollment id): ``XXXX-XXXX-XXXX``,
    or "" when it cannot be one (O, I and L are read as 0, 1 and 1, as Crockford base32 says)."""
    plain = "".join(c for c in (text or "").upper() if c not in " -").translate(_LOOKALIKES)
    if len(plain) == 26 and is_enrollment_id(plain):
        return reference(plain)
    if len(plain) != 12 or not all(c in _CROCKFORD for c in plain):
        return ""
    return "-".join(plain[i : i + 4] for i in range(0, 12, 4))
