"""Turn a journey draft into a sealed, durably queued enrollment (invariants 1-3)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk import payload as payload_format
from kiosk import sealing
from kiosk.domain.activation import first_half, generate_activation_code
from kiosk.domain.enrollment import Enrollment
from kiosk.domain.ids import new_enrollment_id, reference
from kiosk.journey.session import Draft
from kiosk.store import Store


@dataclass(frozen=True)
class CommittedEnrollment:
    enrollment_id: str
    reference: str
    activation_first_half: str
    packet_size: int

    def __repr__(self) -> str:
        return f"<CommittedEnrollment {self.enrollment_id} {self.packet_size} bytes>"


class Enroller:
    """Seals drafts for the receiver with the kiosk's key and commits them to the outbox."""

    def __init__(self, *, store: Store, kiosk_id: str, signing_key, recipient: sealing.Recipient) -> None:
        self.store = store
        self.kiosk_id = kiosk_id
        self._signing_key = signing_key
        self._recipient = recipient

    @classmethod
    def from_files(cls, *, store: Store, kiosk_id: str, signing_key_path: Path, receiver_public_key: Path) -> Enroller:
        return cls(
            store=store, kiosk_id=kiosk_id, signing_key=sealing.load_or_create_signing_key(signing_key_path),
            recipient=sealing.load_recipient(receiver_public_key),
        )

    def commit(self, draft: Draft, *, now: datetime | None = None) -> CommittedEnrollment:
        """Seal and commit. When this returns the enrollment survives a power cut; print after it."""
        now = now or datetime.now(UTC)
        code = generate_activation_code()
        enrollment = Enrollment(
            enrollment_id=new_enrollment_id(), kiosk_id=self.kiosk_id, created_at=now, language=draft.language,
            citizen=draft.citizen, document=draft.document, contact=draft.contact, consents=draft.consents,
            captures=draft.captures, identification=draft.identification, activation_code=code,
            mrz_overrides=draft.mrz_overrides,
        )
        plaintext = payload_format.encode(enrollment.to_payload(raw_attachments=True))
        packet = sealing.seal(
            plaintext, recipient=self._recipient, signing_key=self._signing_key, kiosk_id=self.kiosk_id,
            enrollment_id=enrollment.enrollment_id, created_at=now,
        )
        del plaintext
        ref = reference(enrollment.enrollment_id)
        self.store.commit_packet(
            enrollment_id=enrollment.enrollment_id, reference=ref, packet=packet,
            digest=hashlib.sha256(packet).hexdigest(), print_code=first_half(code), print_language=draft.language,
        )
        return CommittedEnrollment(enrollment.enrollment_id, ref, first_half(code), len(packet))
