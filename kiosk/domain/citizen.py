"""The citizen and what they bring: identity from the health card, identity document, contacts, consents.

Pure value types and checks; no I/O. ``repr`` never shows personal data, so an object that slips
into a log line or a traceback reveals nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from kiosk.errors import ValidationError

ADULT_AGE = 18


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class DocumentType(StrEnum):
    """Document types as OIDC4IA names them (``document_details.type``)."""

    IDCARD = "idcard"
    PASSPORT = "passport"
    DRIVING_PERMIT = "driving_permit"
    RESIDENCE_PERMIT = "residence_permit"


def _private_repr(self: object) -> str:
    return f"<{type(self).__name__} (personal data hidden)>"


@dataclass(frozen=True, repr=False)
class Citizen:
    """Who the citizen is, as read from the TS-CNS chip or typed and cross-checked."""

    codice_fiscale: str
    surname: str
    given_name: str
    birth_date: date
    sex: Sex
    birth_place_code: str
    source: str = "card"  # "card" | "manual"
    card_type: str = ""  # "TS-CNS" | "CNS" | "CIE" | "" for manual entry
    card_expiry: date | None = None

    __repr__ = _private_repr

    def age_on(self, today: date) -> int:
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_adult_on(self, today: date) -> bool:
        return self.age_on(today) >= ADULT_AGE


@dataclass(frozen=True, repr=False)
class IdentityDocument:
    doc_type: DocumentType
    number: str
    issuer_name: str
    issue_date: date
    expiry_date: date
    issuer_country: str = "IT"

    __repr__ = _private_repr

    def is_expired_on(self, today: date) -> bool:
        return self.expiry_date < today


@dataclass(frozen=True, repr=False)
class Contact:
    email: str
    mobile: str  # E.164, e.g. +393331234567
    is_email_verified: bool = False
    is_mobile_verified: bool = False

    __repr__ = _private_repr


@dataclass(frozen=True)
class Consents:
    """Terms are required; marketing is optional and separate, and refusing it blocks nothing."""

    has_accepted_terms: bool
    has_accepted_marketing: bool = False
    accepted_at: datetime | None = None


@dataclass(frozen=True)
class Capture:
    """One photo, JPEG bytes held in memory only until the enrollment is sealed."""

    kind: str  # "document_front" | "document_back" | "health_card_front" | "health_card_back" | "face"
    jpeg: bytes = field(repr=False)
    width: int
    height: int

    def __repr__(self) -> str:
        return f"<Capture {self.kind} {self.width}x{self.height} {len(self.jpeg)} bytes>"


def replace(obj, **changes):
    """``dataclasses.replace`` re-exported for callers that build values step by step."""
    return dataclasses.replace(obj, **changes)


def require(condition: bool, code: str, message: str = "") -> None:
    if not condition:
        raise ValidationError(code, message)
