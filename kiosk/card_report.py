"""``kiosk card read``: what the inserted card says, for technicians (personal data on their terminal only)."""

from __future__ import annotations

import threading
import time

from cryptography import x509

from hardware import registry
from hardware.card.cns import parse_certificate
from hardware.errors import CardError, NoCard, PaceFailed
from kiosk.errors import KioskError


def read_inserted_card(config, *, wait_s: float = 0.0, can: str | None = None) -> dict:
    """Start the configured reader, wait up to ``wait_s`` for a card, read it; a dict for print or JSON.

    ``can``: a CIE's 6-digit CAN: run PACE and read its travel-document applet (DG1, DG2) instead.
    """
    backend = config.hardware.card_reader
    reader = registry.create("card", backend, **config.card.options(backend))
    arrived = threading.Event()
    reader.when_card_inserted = lambda _identity: arrived.set()
    try:
        reader.start()
    except CardError as err:
        raise KioskError(f"card reader ({backend}): {err}") from None
    try:
        if not reader.is_card_present:
            arrived.wait(max(wait_s, 1.0))  # the monitor reports a card already in the slot at once
        if not reader.is_card_present:
            name = getattr(reader, "reader_name", None) or backend
            raise KioskError(f"no card in the reader {name!r}: insert a card (or use --wait SECONDS)")
        started = time.perf_counter()
        try:
            report = _read(reader) if can is None else _read_travel_document(reader, can, started)
        except NoCard as err:
            raise KioskError(f"card: {err}") from None
        except PaceFailed as err:
            raise KioskError(f"card: PACE failed ({err.reason}): {err}") from None
        except CardError as err:
            raise KioskError(f"card unreadable ({type(err).__name__}): {err}") from None
        report.setdefault("elapsed_ms", round((time.perf_counter() - started) * 1000, 1))
        report["apdus"] = getattr(reader, "last_apdu_count", None)
        report["reader"] = getattr(reader, "reader_name", backend)
        return report
    finally:
        reader.close()


def _read(reader) -> dict:
    read_card = getattr(reader, "read_card", None)
    if read_card is not None:
        result = read_card(fresh=True)
        if hasattr(result, "nis"):
            return {"type": "CIE", "nis": result.nis, "chip_genuine": result.is_genuine}
        identity, certificate_der = result.identity, result.certificate_der
    else:
        identity, certificate_der = reader.read_identity(), reader.certificate()
    info = parse_certificate(certificate_der)
    cert: x509.Certificate = info.certificate
    return {
        "type": identity.card_type,
        "codice_fiscale": identity.codice_fiscale,
        "surname": identity.surname,
        "given_name": identity.given_name,
        "birth_date": identity.birth_date.isoformat(),
        "sex": identity.sex,
        "card_expiry": identity.expiry_date.isoformat(),
        "certificate": {
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
        },
    }


def _read_travel_document(reader, can: str, started: float) -> dict:
    read = getattr(reader, "read_travel_document", None)
    if read is None:
        raise KioskError("this card reader backend cannot run PACE: use the pcsc backend and a CIE")
    document = read(can)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    mrz, face = document.mrz, document.face
    report = {
        "type": "CIE", "pace": True, "document_number": mrz.document_number, "surname": mrz.surname,
        "given_names": mrz.given_names, "birth_date": mrz.birth_date.isoformat(), "sex": mrz.sex,
        "expiry_date": mrz.expiry_date.isoformat(), "nationality": mrz.nationality, "face": None,
        "elapsed_ms": elapsed_ms,
    }
    if face is not None:
        image = face.decode()  # proves it is an image; it is never written anywhere
        report["face"] = {"format": face.format, "bytes": len(face.data), "width": image.width, "height": image.height}
    return report


def format_report(report: dict) -> str:
    if report.get("pace"):
        face = report["face"]
        lines = [
            "type            CIE (travel-document applet, PACE with the CAN)",
            f"document number {report['document_number']}",
            f"name            {report['given_names']} {report['surname']}",
            f"birth date      {report['birth_date']}",
            f"sex             {report['sex']}",
            f"nationality     {report['nationality']}",
            f"document expiry {report['expiry_date']}",
            "face image      " + (f"{face['format']}, {face['bytes']} bytes, {face['width']}x{face['height']} "
                                  "(read, not stored)" if face else "not read"),
        ]
    elif report["type"] == "CIE":
        lines = [f"type            CIE", f"NIS             {report['nis']}",
                 f"chip genuine    {'yes' if report['chip_genuine'] else 'NO (internal authenticate failed)'}"]
    else:
        cert = report["certificate"]
        lines = [
            f"type            {report['type']}",
            f"codice fiscale  {report['codice_fiscale']}",
            f"name            {report['given_name']} {report['surname']}",
            f"birth date      {report['birth_date']}",
            f"card expiry     {report['card_expiry']}",
            f"certificate     issued by {cert['issuer']}",
            f"                valid {cert['not_before']} .. {cert['not_after']}",
        ]
    apdus = f", {report['apdus']} APDUs" if report.get("apdus") is not None else ""
    lines.append(f"read in         {report['elapsed_ms']} ms{apdus} ({report['reader']})")
    return "\n".join(lines)
