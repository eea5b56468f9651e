"""Checks on a decrypted enrollment: the evidence record, codice fiscale, age, document expiry.

``problems(payload)`` returns the rejection reason codes (``kiosk.domain.outcome``) that apply, or
an empty list. It never raises on malformed input and never quotes the data it checks.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime

import re

from codicefiscale import codicefiscale as _cf

from kiosk.domain.citizen import ADULT_AGE, Sex
from kiosk.domain.enrollment import REQUIRED_CAPTURES
from kiosk.errors import ValidationError

TRUST_FRAMEWORK = "it_spid"


def problems(payload: dict) -> list[str]:
    found: list[str] = []
    try:
        created = datetime.strptime(payload["created_at"], "%Y-%m-%dT%H:%M:%SZ").date()
        citizen = payload["citizen"]
        birthdate = date.fromisoformat(citizen["birthdate"])
        verification = payload["verified_claims"]["verification"]
        evidence = verification["evidence"]
    except (KeyError, TypeError, ValueError):
        return ["evidence_incomplete"]
    if not _is_evidence_complete(verification, evidence, payload):
        found.append("evidence_incomplete")
    try:
        is_cf_ok = _is_codice_fiscale_consistent(
            citizen["codice_fiscale"], surname=citizen["family_name"], given_name=citizen["given_name"],
            birth_date=birthdate, sex=Sex(citizen["gender"]),
        )
    except (ValidationError, KeyError, TypeError, ValueError):
        is_cf_ok = False
    if not is_cf_ok:
        found.append("codice_fiscale_invalid")
    if _age_on(birthdate, created) < ADULT_AGE:
        found.append("underage")
    expiry = _document_expiry(evidence)
    if expiry is None:
        if "evidence_incomplete" not in found:
            found.append("evidence_incomplete")
    elif expiry < created:
        found.append("document_expired")
    return found


_CF_FORMAT = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")
_OMOCODE_DIGITS = "LMNPQRSTUV"
_MONTHS = "ABCDEHLMPRST"


def _is_codice_fiscale_consistent(code: str, *, surname: str, given_name: str, birth_date: date, sex: Sex) -> bool:
    """Format, check character (omocodia included), and agreement with names, birth date and sex.

    The same rules as ``kiosk.domain.checks.check_codice_fiscale`` without the birthplace lookup
    that ``python-codicefiscale`` does for every call (tens of ms): the receiver checks every packet.
    """
    if not isinstance(code, str) or not _CF_FORMAT.fullmatch(code) or _cf.encode_cin(code) != code[15]:
        return False
    if _cf.encode_lastname(surname) != code[0:3] or _cf.encode_firstname(given_name) != code[3:6]:
        return False
    plain = "".join(str(_OMOCODE_DIGITS.index(c)) if c in _OMOCODE_DIGITS else c for c in code[6:11])
    year, month, day = int(plain[0:2]), _MONTHS.index(plain[2]) + 1, int(plain[3:5])
    cf_sex = Sex.FEMALE if day > 40 else Sex.MALE
    return (birth_date.year % 100, birth_date.month, birth_date.day) == (year, month, day % 40) and cf_sex == sex


def _age_on(birthdate: date, today: date) -> int:
    years = today.year - birthdate.year
    return years - 1 if (today.month, today.day) < (birthdate.month, birthdate.day) else years


def _document_expiry(evidence: list) -> date | None:
    for item in evidence:
        if isinstance(item, dict) and item.get("type") == "document":
            try:
                return date.fromisoformat(item["document_details"]["date_of_expiry"])
            except (KeyError, TypeError, ValueError):
                return None
    return None


def _is_evidence_complete(verification: dict, evidence: list, payload: dict) -> bool:
    """OIDC4IA shape, an identification check, and every attachment present and matching its digest."""
    if verification.get("trust_framework") != TRUST_FRAMEWORK or not isinstance(evidence, list) or not evidence:
        return False
    methods = {
        check.get("check_method")
        for item in evidence if isinstance(item, dict)
        for check in item.get("check_details", []) if isinstance(check, dict)
    }
    if not ({"vpip", "pvp"} <= methods or "vcrypt" in methods):
        return False
    document = next((e for e in evidence if isinstance(e, dict) and e.get("type") == "document"), None)
    if document is None:
        return False
    details = document.get("document_details", {})
    if not all(details.get(k) for k in ("type", "document_number", "date_of_issuance", "date_of_expiry")):
        return False
    digests = {
        ref.get("desc"): ref.get("digest", {}).get("value") for ref in document.get("attachments", [])
        if isinstance(ref, dict)
    }
    attachments = {a.get("kind"): a for a in payload.get("attachments", []) if isinstance(a, dict)}
    for kind in REQUIRED_CAPTURES:
        attachment = attachments.get(kind)
        if attachment is None or kind not in digests:
            return False
        content = attachment.get("content")  # bytes (kiosk.payload decodes either version)
        if not isinstance(content, (bytes, bytearray)):
            return False
        if base64.b64encode(hashlib.sha256(content).digest()).decode("ascii") != digests[kind]:
            return False
    return True
