"""The enrollment: everything a citizen handed the kiosk, and how their identity was checked.

``Enrollment.to_payload()`` is the plaintext that only the sealing module turns into bytes. It refuses
to exist without an identification (DESIGN.md invariant 3).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kiosk.domain import evidence
from kiosk.domain.activation import is_well_formed
from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, IdentityDocument
from kiosk.errors import ValidationError

PAYLOAD_VERSION = 1
REQUIRED_CAPTURES = ("document_front", "document_back", "health_card_front", "health_card_back", "face")


class IdentificationRoute(StrEnum):
    OPERATOR = "operator"  # de visu by an authenticated town-hall operator
    CNS = "cns"  # the citizen's CNS: PIN verified by the card, challenge signed, certificate checked


@dataclass(frozen=True)
class Identification:
    route: IdentificationRoute
    verified_at: datetime
    operator_id: str = ""  # the operator's own reference (never the citizen's data)
    card_certificate_der: bytes = field(default=b"", repr=False)  # CNS route: the citizen's certificate
    challenge: bytes = field(default=b"", repr=False)
    signature: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class MrzOverride:
    """The document's machine-readable zone disagreed with the card or the typed data, and an
    authenticated operator looked at the document and confirmed the data. Field names only."""

    fields: tuple[str, ...]  # crosscheck field names: surname, given_name, birth_date, document_number, expiry_date
    operator_id: str  # the operator's own reference (never the citizen's data)
    confirmed_at: datetime

    def to_payload(self) -> dict:
        return {"fields": list(self.fields), "resolution": "operator_confirmed_document",
                "operator_id": self.operator_id, "confirmed_at": evidence.iso(self.confirmed_at)}


@dataclass(frozen=True, repr=False)
class Enrollment:
    enrollment_id: str
    kiosk_id: str
    created_at: datetime
    language: str
    citizen: Citizen
    document: IdentityDocument
    contact: Contact
    consents: Consents
    captures: tuple[Capture, ...]
    identification: Identification
    activation_code: str
    mrz_overrides: tuple[MrzOverride, ...] = ()  # mismatches an operator resolved (the reviewer sees them)

    def __post_init__(self) -> None:
        if not isinstance(self.identification, Identification):
            raise ValidationError("not_identified", "an enrollment needs an operator or CNS identification")
        if not self.consents.has_accepted_terms:
            raise ValidationError("terms_required", "the terms must be accepted")
        if not is_well_formed(self.activation_code):
            raise ValidationError("activation_code_invalid", "activation code is malformed")
        kinds = {c.kind for c in self.captures}
        missing = [k for k in REQUIRED_CAPTURES if k not in kinds]
        if missing:
            raise ValidationError("captures_missing", "missing photos: " + ", ".join(missing))

    def __repr__(self) -> str:
        return f"<Enrollment {self.enrollment_id} (personal data hidden)>"

    def to_payload(self, *, raw_attachments: bool = False) -> dict:
        """The plaintext sealed for the receiver: JSON-ready (attachments in base64), or with
        ``raw_attachments`` each attachment's ``content`` as bytes (for ``kiosk.payload.encode``)."""
        c, d, k = self.citizen, self.document, self.contact
        return {
            "version": PAYLOAD_VERSION,
            "enrollment_id": self.enrollment_id,
            "kiosk_id": self.kiosk_id,
            "created_at": evidence.iso(self.created_at),
            "language": self.language,
            "activation_code": self.activation_code,
            "citizen": {
                "codice_fiscale": c.codice_fiscale,
                "family_name": c.surname,
                "given_name": c.given_name,
                "birthdate": c.birth_date.isoformat(),
                "gender": c.sex.value,
                "place_of_birth_code": c.birth_place_code,
                "source": c.source,
                "card_type": c.card_type,
                "card_expiry": c.card_expiry.isoformat() if c.card_expiry else None,
            },
            "contact": {
                "email": k.email,
                "email_verified": k.is_email_verified,
                "mobile": k.mobile,
                "mobile_verified": k.is_mobile_verified,
            },
            "consents": {
                "terms": self.consents.has_accepted_terms,
                "marketing": self.consents.has_accepted_marketing,
                "accepted_at": evidence.iso(self.consents.accepted_at) if self.consents.accepted_at else None,
            },
            "verified_claims": evidence.verified_claims(
                citizen=c, document=d, identification=self.identification, captures=self.captures
            ),
            "document_check": {"mrz_overrides": [o.to_payload() for o in self.mrz_overrides]},
            "attachments": [
                {
                    "kind": cap.kind,
                    "content_type": "image/jpeg",
                    "file_name": f"{cap.kind}.jpg",
                    "width": cap.width,
                    "height": cap.height,
                    "content": cap.jpeg if raw_attachments else base64.b64encode(cap.jpeg).decode("ascii"),
                }
                for cap in self.captures
            ],
        }
