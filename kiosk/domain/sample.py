"""The sample citizen's enrollment, for the tests and the benchmarks (the demo walks the real journey).

Giulia Bianchi exists nowhere; her codice fiscale is well formed so that the receiver's checks pass.
``sample_enrollment(...)`` lets a caller break one thing (age, document expiry) or choose image sizes.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, DocumentType, IdentityDocument, Sex
from kiosk.domain.enrollment import REQUIRED_CAPTURES, Enrollment, Identification, IdentificationRoute
from kiosk.domain.ids import new_enrollment_id

SAMPLE_CITIZEN = Citizen(
    codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
    sex=Sex.FEMALE, birth_place_code="H501", card_type="TS-CNS", card_expiry=date(2030, 1, 1),
)
SAMPLE_CONTACT = Contact(email="giulia.bianchi@example.it", mobile="+393331234567")
SAMPLE_DOCUMENT_NUMBER = "CA12345AB"


def fake_jpeg(size: int, *, seed: bytes = b"") -> bytes:
    """``size`` bytes that start like a JPEG and compress as badly as one (random)."""
    return b"\xff\xd8\xff\xe0" + seed + os.urandom(max(0, size - 4 - len(seed)))


def sample_enrollment(
    *,
    enrollment_id: str | None = None,
    created_at: datetime | None = None,
    citizen: Citizen = SAMPLE_CITIZEN,
    contact: Contact = SAMPLE_CONTACT,
    document_expiry: date = date(2032, 3, 12),
    image_sizes: dict[str, int] | None = None,
    kiosk_id: str = "demo-kiosk-01",
) -> Enrollment:
    created_at = created_at or datetime.now(UTC).replace(microsecond=0)
    sizes = image_sizes or {}
    captures = tuple(
        Capture(kind=kind, jpeg=fake_jpeg(sizes.get(kind, 64), seed=kind.encode()), width=1600, height=1000)
        for kind in REQUIRED_CAPTURES
    )
    return Enrollment(
        enrollment_id=enrollment_id or new_enrollment_id(), kiosk_id=kiosk_id, created_at=created_at,
        language="it", citizen=citizen,
        document=IdentityDocument(doc_type=DocumentType.IDCARD, number=SAMPLE_DOCUMENT_NUMBER,
                                  issuer_name="Comune di Roma", issue_date=date(2021, 5, 10),
                                  expiry_date=document_expiry),
        contact=contact,
        consents=Consents(has_accepted_terms=True, accepted_at=created_at),
        captures=captures,
        identification=Identification(route=IdentificationRoute.OPERATOR, verified_at=created_at,
                                      operator_id="op-0123456789ab"),
        activation_code="Ab3$xyZ9k.mn",
    )
