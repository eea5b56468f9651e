"""The split activation code (AgID "RAO pubblico" model).

Twelve characters without look-alikes, with at least one upper, lower, digit and special. The first
half is printed on the receipt, the whole code is sealed, the receiver emails the second half.
"""

from __future__ import annotations

import secrets
import string

ALPHABET = "ABCDEFGHIJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789!$?#=*+-.:"
LENGTH = 12
HALF = LENGTH // 2
_SPECIAL = "!$?#=*+-.:"


def is_well_formed(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(c in ALPHABET for c in code)
        and any(c in string.ascii_uppercase for c in code)
        and any(c in string.ascii_lowercase for c in code)
        and any(c in string.digits for c in code)
        and any(c in _SPECIAL for c in code)
    )


def generate_activation_code(*, randbelow=secrets.randbelow) -> str:
    """A fresh code from the OS CSPRNG; rejection sampling until every class is present."""
    while True:
        code = "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(LENGTH))
        if is_well_formed(code):
            return code


def first_half(code: str) -> str:
    return code[:HALF]


def second_half(code: str) -> str:
    return code[HALF:]
