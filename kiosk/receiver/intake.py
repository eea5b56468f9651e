"""Taking a packet in: verify, decrypt to validate, store sealed. No HTTP here.

The plaintext exists only inside ``Intake.receive`` (to validate it) and is then dropped: what is
stored is the packet exactly as received.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import SealError
from kiosk.packet import parse
from kiosk.receiver.keys import database_path, load_receiver_key, load_trusted_kiosks
from kiosk.receiver.storage import PacketStore, PutOutcome, StoredPacket
from kiosk.receiver.validation import problems
from kiosk.sealing import EnrollmentMismatch, open_packet


class InvalidPayload(SealError, ValueError):
    """The packet opened, but its content is not a JSON object."""

    code = "invalid_payload"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receiver answers to a delivery. ``outcome`` says whether it was new."""

    enrollment_id: str
    outcome: PutOutcome
    digest: str


class Intake:
    """The receiver's core, bound to a data directory (``kiosk.receiver.keys`` layout)."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        key = load_receiver_key(self.data_dir)
        self._private_key = key.private_key
        self.key_id = key.key_id
        self.store = PacketStore(database_path(self.data_dir))
        # called with (enrollment_id, channel, email) for a contact the kiosk could not verify (offline)
        self.on_unverified_contact = None

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def receive(self, enrollment_id: str, packet: bytes) -> Receipt:
        """Verify and validate ``packet``, then store it once. Raises ``SealError`` subclasses."""
        payload = self.open(enrollment_id, packet)
        if payload.get("enrollment_id") != enrollment_id:
            raise EnrollmentMismatch("payload enrollment id does not match")
        reasons = problems(payload)  # failed automatic checks: stored, but already rejected
        unverified = _unverified_contacts(payload)
        del payload
        digest = hashlib.sha256(packet).hexdigest()
        outcome = self.store.put(
            enrollment_id=enrollment_id,
            kiosk_id=parse(packet).header.kiosk_id,
            digest=digest,
            packet=packet,
            reasons=reasons,
            unverified=[channel for channel, _ in unverified],
        )
        if outcome is PutOutcome.CREATED and self.on_unverified_contact is not None:
            for channel, email in unverified:
                self.on_unverified_contact(enrollment_id, channel, email)
        return Receipt(enrollment_id=enrollment_id, outcome=outcome, digest=digest)

    def open(self, enrollment_id: str, packet: bytes) -> dict:
        """Verify and decrypt ``packet`` (delivered under ``enrollment_id``); returns the payload."""
        plaintext = open_packet(
            packet,
            private_key=self._private_key,
            key_id=self.key_id,
            trusted_kiosks=load_trusted_kiosks(self.data_dir),
            expected_enrollment_id=enrollment_id,
        )
        try:
            payload = json.loads(plaintext)
        except (ValueError, RecursionError):
            raise InvalidPayload("packet content is not JSON") from None
        if not isinstance(payload, dict):
            raise InvalidPayload("packet content is not a JSON object")
        return payload

    def status(self, enrollment_id: str) -> StoredPacket:
        """The stored routing record; raises ``PacketNotFound``."""
        return self.store.get(enrollment_id)


def _unverified_contacts(payload: dict) -> list[tuple[str, str]]:
    """(channel, email to send the link to) for each contact marked "to verify" in the packet."""
    contact = payload.get("contact")
    if not isinstance(contact, dict) or not isinstance(contact.get("email"), str) or not contact["email"]:
        return []
    return [(channel, contact["email"]) for channel in ("email", "mobile")
            if contact.get(f"{channel}_verified") is False and contact.get(channel)]
