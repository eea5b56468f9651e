"""Looking into stored packets (for ``kiosk receiver show ID [--json]``): decrypt on demand.

``show`` returns the decrypted payload, so it is personal data: print it to the operator who asked,
never log it.
"""

from __future__ import annotations

import os

from kiosk.errors import SealError
from kiosk.payload import as_json
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import load_trusted_kiosks
from kiosk.sealing import verify_packet


def show(data_dir: str | os.PathLike[str], enrollment_id: str) -> dict:
    """The decrypted payload of the packet stored under ``enrollment_id``, JSON-ready (attachments in
    base64 whichever version of ``kiosk.payload`` the kiosk sealed).

    Raises ``PacketNotFound`` if there is none, a ``SealError`` subclass if it does not open.
    """
    with Intake(data_dir) as intake:
        packet = intake.store.packet_bytes(enrollment_id)
        return as_json(intake.open(enrollment_id, packet))


CONTACT_STATES = {"to_verify": "to verify (link emailed, not confirmed yet)", "confirmed": "confirmed by link"}


def standing(data_dir: str | os.PathLike[str], enrollment_id: str) -> dict:
    """Where a stored enrollment stands, without personal data: status, reasons, contacts.

    ``contacts`` maps each channel the kiosk could not verify to ``to_verify`` or ``confirmed``;
    an acceptance is refused while any is ``to_verify`` (``kiosk.receiver.decisions``).
    """
    with Intake(data_dir) as intake:
        record = intake.status(enrollment_id)
        return {"status": record.status, "reasons": record.reasons, "contacts": intake.store.contacts(enrollment_id)}


def describe_contacts(contacts: dict[str, str]) -> str:
    if not contacts:
        return "verified at the kiosk"
    return "; ".join(f"{channel} {CONTACT_STATES.get(state, state)}" for channel, state in contacts.items())


def verdict(data_dir: str | os.PathLike[str], enrollment_id: str) -> dict:
    """What can be said of a stored packet without revealing it.

    ``{"signature_valid": bool, "decrypted": bool, "status": str, "error": code | None}``;
    raises ``PacketNotFound`` if there is no packet under that id.
    """
    with Intake(data_dir) as intake:
        record = intake.status(enrollment_id)
        packet = intake.store.packet_bytes(enrollment_id)
        result = {"signature_valid": False, "decrypted": False, "status": record.status, "error": None}
        try:
            verify_packet(packet, trusted_kiosks=load_trusted_kiosks(data_dir))
            result["signature_valid"] = True
            intake.open(enrollment_id, packet)
            result["decrypted"] = True
        except SealError as err:
            result["error"] = getattr(err, "code", "seal_error")
        return result
