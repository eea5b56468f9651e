"""Does the document's machine-readable zone agree with what the card and the citizen said?

Pure comparisons (no image work). Dates and the document number must match exactly: the zone's
check digits vouch for them. Names are compared after folding accents, apostrophes and spaces,
allowing one misread letter in a name of 5 or more letters (two from 10) (names carry no check digit) and the zone's
truncation of long names. Field names only, never values, leave this module.
"""

from __future__ import annotations

import unicodedata
from datetime import date


def fold(name: str) -> str:
    """ "D'Angelò  Maria" → "DANGELOMARIA": the zone's alphabet, without separators."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return "".join(ch for ch in plain if ch.isalpha())


def names_agree(on_document: str, expected: str) -> bool:
    a, b = fold(on_document), fold(expected)
    if not a or not b:
        return False
    if a == b or (len(a) >= 10 and b.startswith(a)):  # the zone truncates long names
        return True
    allowed = 2 if len(b) >= 10 else 1 if len(b) >= 5 else 0
    return _edits(a, b) <= allowed


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (names are short)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def mismatches(mrz: dict, *, surname: str = "", given_name: str = "", birth_date: date | None = None,
               document_number: str = "", expiry_date: date | None = None) -> tuple[str, ...]:
    """The fields (of those given) where a valid zone ``mrz`` (``MrzReading.as_dict()``) disagrees."""
    if not mrz or not mrz.get("is_valid"):
        return ()
    found = []
    if surname and not names_agree(mrz.get("surname", ""), surname):
        found.append("surname")
    if given_name and not names_agree(mrz.get("given_names", ""), given_name):
        found.append("given_name")
    if birth_date is not None and _date(mrz.get("birth_date")) != birth_date:
        found.append("birth_date")
    if document_number and fold_number(mrz.get("document_number", "")) != fold_number(document_number):
        found.append("document_number")
    if expiry_date is not None and _date(mrz.get("expiry_date")) != expiry_date:
        found.append("expiry_date")
    return tuple(found)


def fold_number(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())
