"""The acknowledgement that travels back on the USB stick, for kiosks that are never online.

``kiosk receiver import DIR`` stores the exported packets, then writes ``DIR/ack.json``: which packets
(enrollment id and SHA-256 of the sealed bytes) the receiver now holds, for which kiosk and export,
signed with the receiver's TLS private key. Back at the kiosk, the service mode's USB page finds the
acknowledgements on the stick, verifies each with the receiver certificate the kiosk already pins
(``[receiver] pinned_cert``, and ``pinned_sha256`` when set) and purges exactly the packets whose
digest the acknowledgement names: the same rule as an online acknowledgement. A forged, altered,
foreign (another kiosk's) or unverifiable acknowledgement purges nothing.

File format (JSON): ``{"format": "sportello-usb-ack/1", "payload": base64(JSON bytes), "signature":
base64}``; the payload is ``{"kiosk_id", "export", "acknowledged_at", "packets": [{"enrollment_id",
"sha256"}]}``. The signature covers the exact payload bytes: ECDSA P-256/SHA-256 (the receiver's
keys from ``kiosk.receiver.certs``), Ed25519, or RSA PKCS#1 v1.5/SHA-256, by the key's type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kiosk.appliance.usb_export import write_synced
from kiosk.durable import sync_directory
from kiosk.errors import KioskError

log = logging.getLogger("kiosk.usb")

ACK_NAME = "ack.json"
FORMAT = "sportello-usb-ack/1"


class AckError(KioskError):
    """An acknowledgement that cannot be written, read or trusted."""


@dataclass
class AckReport:
    """What the acknowledgements on a stick did: purged ids, and refused files with a short reason."""

    purged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # export directory name -> reason (non-personal)


# -- receiver side ------------------------------------------------------------------------------------
def _sign(key, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise AckError("the receiver's TLS key must be EC, Ed25519 or RSA to sign acknowledgements")


def write_ack(directory: Path, *, kiosk_id: str, packets: list[dict], key_pem: bytes,
              now: datetime | None = None) -> Path:
    """Sign and write ``directory/ack.json`` naming ``packets`` ({enrollment_id, sha256}); fsynced."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    now = now or datetime.now(timezone.utc)
    payload = json.dumps({
        "kiosk_id": kiosk_id, "export": Path(directory).name,
        "acknowledged_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "packets": [{"enrollment_id": p["enrollment_id"], "sha256": p["sha256"]} for p in packets],
    }, sort_keys=True).encode()
    document = {"format": FORMAT, "payload": base64.b64encode(payload).decode(),
                "signature": base64.b64encode(_sign(key, payload)).decode()}
    path = Path(directory) / ACK_NAME
    temporary = path.with_suffix(".tmp")
    try:
        write_synced(temporary, json.dumps(document, indent=2).encode())
        os.replace(temporary, path)
        sync_directory(Path(directory))
    except OSError as exc:
        raise AckError(f"cannot write the acknowledgement to {directory}: {exc.strerror or exc}") from exc
    return path


# -- kiosk side ---------------------------------------------------------------------------------------
def _verify(public_key, signature: bytes, data: bytes) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    elif isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise InvalidSignature("unsupported key type")


def load_pinned(cert_path: Path | None, pinned_sha256: str = ""):
    """The pinned receiver certificate's public key; ``AckError`` when none is configured or it does
    not match ``pinned_sha256``."""
    if cert_path is None:
        raise AckError("no receiver certificate pinned ([receiver] pinned_cert): acknowledgements cannot be checked")
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise AckError(f"cannot read the pinned receiver certificate {cert_path}") from exc
    der = cert.public_bytes(serialization.Encoding.DER)
    if pinned_sha256 and hashlib.sha256(der).hexdigest() != pinned_sha256:
        raise AckError("the pinned receiver certificate does not match pinned_sha256")
    return cert.public_key()


def read_ack(path: Path, public_key, *, kiosk_id: str) -> list[tuple[str, str]]:
    """The (enrollment_id, sha256) pairs of a verified acknowledgement for this kiosk; ``AckError``
    (with a short, non-personal reason) for anything that is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_bytes())
        payload = base64.b64decode(document["payload"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise AckError("unreadable") from exc
    if document.get("format") != FORMAT:
        raise AckError("unknown format")
    try:
        _verify(public_key, signature, payload)
    except InvalidSignature as exc:
        raise AckError("bad signature") from exc
    try:
        body = json.loads(payload)
        pairs = [(str(p["enrollment_id"]), str(p["sha256"])) for p in body["packets"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise AckError("malformed") from exc
    if body.get("kiosk_id") != kiosk_id:
        raise AckError("another kiosk's")
    if body.get("export") != path.parent.name:
        raise AckError("another export's")
    return pairs


def apply_acks(store, stick: Path, *, kiosk_id: str, public_key) -> AckReport:
    """Verify every ``sportello-<kiosk_id>-*/ack.json`` on the stick and purge the packets each names
    whose sealed bytes still have exactly that digest (the online rule). Idempotent. ``public_key``
    None (no pinned certificate) refuses every acknowledgement."""
    report = AckReport()
    for path in sorted(Path(stick).glob(f"sportello-{kiosk_id}-*/{ACK_NAME}")):
        try:
            if public_key is None:
                raise AckError("no pinned receiver certificate")
            pairs = read_ack(path, public_key, kiosk_id=kiosk_id)
        except AckError as exc:
            report.refused[path.parent.name] = str(exc)
            log.warning("USB acknowledgement refused", extra={"export": path.parent.name, "error": str(exc)})
            continue
        for enrollment_id, digest in pairs:
            entry = store.entry(enrollment_id)
            if entry is None or entry.status not in ("queued", "exported"):
                continue
            packet = store.packet(enrollment_id)
            if packet is None or hashlib.sha256(packet).hexdigest() != digest:
                continue
            store.mark_delivered(enrollment_id)
            report.purged.append(enrollment_id)
            log.info("packet acknowledged by USB", extra={"enrollment_id": enrollment_id})
    return report
