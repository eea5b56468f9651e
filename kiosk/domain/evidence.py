"""The proofing evidence, as OpenID Connect for Identity Assurance 1.0 ``verified_claims``.

Operator route: evidence ``document`` with check_details ``vpip`` (the operator's in-person check of
the document) and ``pvp`` (the face). CNS route: electronic evidence from the card (``electronic_record``
of type ``cns``, the signed challenge and certificate). Date-times always carry seconds.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.domain.citizen import Capture, Citizen, IdentityDocument
    from kiosk.domain.enrollment import Identification

TRUST_FRAMEWORK = "it_spid"


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with seconds and a Z: ``2026-11-23T12:00:05Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attachment_refs(captures: tuple[Capture, ...]) -> list[dict]:
    return [
        {"desc": cap.kind, "content_type": "image/jpeg", "digest": {"alg": "sha-256",
         "value": base64.b64encode(hashlib.sha256(cap.jpeg).digest()).decode("ascii")}}
        for cap in captures
    ]


def verified_claims(
    *, citizen: Citizen, document: IdentityDocument, identification: Identification, captures: tuple[Capture, ...]
) -> dict:
    from kiosk.domain.enrollment import IdentificationRoute

    document_evidence = {
        "type": "document",
        "document_details": {
            "type": document.doc_type.value,
            "document_number": document.number,
            "issuer": {"name": document.issuer_name, "country_code": document.issuer_country},
            "date_of_issuance": document.issue_date.isoformat(),
            "date_of_expiry": document.expiry_date.isoformat(),
        },
        "attachments": _attachment_refs(captures),
    }
    if identification.route is IdentificationRoute.OPERATOR:
        document_evidence["method"] = "vpip"
        document_evidence["check_details"] = [
            {"check_method": "vpip", "organization": "town-hall", "txn": identification.operator_id,
             "time": iso(identification.verified_at)},
            {"check_method": "pvp", "organization": "town-hall", "txn": identification.operator_id,
             "time": iso(identification.verified_at)},
        ]
        document_evidence["time"] = iso(identification.verified_at)
        evidence_list = [document_evidence]
    else:
        electronic = {
            "type": "electronic_record",
            "check_details": [{"check_method": "vcrypt", "time": iso(identification.verified_at)}],
            "time": iso(identification.verified_at),
            "record": {
                "type": "cns",
                "source": {"name": "TS-CNS", "country_code": "IT"},
                "certificate": base64.b64encode(identification.card_certificate_der).decode("ascii"),
                "challenge": base64.b64encode(identification.challenge).decode("ascii"),
                "signature": base64.b64encode(identification.signature).decode("ascii"),
            },
        }
        evidence_list = [electronic, document_evidence]
    return {
        "verification": {
            "trust_framework": TRUST_FRAMEWORK,
            "time": iso(identification.verified_at),
            "evidence": evidence_list,
        },
        "claims": {
            "given_name": citizen.given_name,
            "family_name": citizen.surname,
            "birthdate": citizen.birth_date.isoformat(),
            "gender": "female" if citizen.sex.value == "F" else "male",
            "tax_number": {"value": citizen.codice_fiscale, "country": "IT"},
        },
    }
