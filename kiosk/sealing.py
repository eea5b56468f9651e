"""Seal an enrollment for the receiving service, and open it there.

The only module that sees a whole plaintext packet. ``seal`` encrypts to the receiver's X25519
public key with HPKE (RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
ChaCha20-Poly1305), with an ``info`` binding kiosk id, enrollment id and receiver key id, then
signs the container (``kiosk.packet``: since version 2, the SHA-256 of everything before the
signature; version-1 packets, signed over those bytes themselves, still verify) with the kiosk's
Ed25519 key. The kiosk holds only
the receiver's *public* key, so it cannot open what it sealed.

Every error is a ``SealError`` with a stable ``code``; messages never carry personal data.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk.durable import sync_directory
from kiosk.errors import SealError
from kiosk.packet import (
    Packet,
    PacketFormatError,
    PacketHeader,
    build,
    format_created_at,
    parse,
    signed_message,
    signed_message_and_digest,
)

__all__ = [
    "BadSignature",
    "DecryptFailed",
    "EnrollmentMismatch",
    "KeyFileError",
    "PacketFormatError",
    "Recipient",
    "UnknownKiosk",
    "WrongKey",
    "generate_receiver_keys",
    "key_id_for",
    "load_kiosk_public_key",
    "load_or_create_signing_key",
    "load_receiver_private",
    "load_recipient",
    "open_packet",
    "public_key_pem",
    "seal",
    "verify_packet",
]

RECEIVER_PRIVATE_NAME = "receiver.key"
RECEIVER_PUBLIC_NAME = "receiver.pub"


class BadSignature(SealError):
    """The kiosk signature does not match the packet: it was altered or forged."""

    code = "bad_signature"


class UnknownKiosk(SealError, LookupError):
    """The packet names a kiosk whose public key is not trusted here."""

    code = "unknown_kiosk"


class WrongKey(SealError):
    """The packet was sealed to another receiver key."""

    code = "wrong_key"


class EnrollmentMismatch(SealError):
    """The packet's enrollment id differs from the one it was delivered under."""

    code = "enrollment_mismatch"


class DecryptFailed(SealError):
    """HPKE decryption failed although the signature was valid (wrong private key)."""

    code = "decrypt_failed"


class KeyFileError(SealError, OSError):
    """A key file is missing, unreadable, of the wrong type, or would be overwritten."""

    code = "key_file"


def _suite() -> hpke.Suite:
    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


@dataclass(frozen=True, slots=True)
class Recipient:
    """The receiving service as the kiosk knows it: its public key and that key's id."""

    public_key: X25519PublicKey
    key_id: str

    @classmethod
    def from_public_key(cls, public_key: X25519PublicKey) -> Recipient:
        return cls(public_key=public_key, key_id=key_id_for(public_key))


def key_id_for(public_key: X25519PublicKey) -> str:
    """First 16 hex characters of SHA-256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- sealing (kiosk side) -------------------------------------------------------------------


def seal(
    plaintext: bytes,
    *,
    recipient: Recipient,
    signing_key: Ed25519PrivateKey,
    kiosk_id: str,
    enrollment_id: str,
    created_at: datetime,
) -> bytes:
    """Encrypt ``plaintext`` to ``recipient`` and sign the packet; returns the packet bytes."""
    header = PacketHeader(
        kiosk_id=kiosk_id,
        enrollment_id=enrollment_id,
        key_id=recipient.key_id,
        created_at=format_created_at(created_at),
    )
    ciphertext = _suite().encrypt(plaintext, recipient.public_key, info=header.hpke_info())
    return build(header, ciphertext, sign=signing_key.sign)


# --- opening (receiver side) ----------------------------------------------------------------


def verify_packet(packet: bytes, *, trusted_kiosks: Mapping[str, Ed25519PublicKey]) -> PacketHeader:
    """Check the format and the kiosk signature; returns the (now authentic) header."""
    return _verified(packet, trusted_kiosks).header


def _verified(packet: bytes, trusted_kiosks: Mapping[str, Ed25519PublicKey]) -> Packet:
    return _verified_with_digest(packet, trusted_kiosks)[0]


def _verified_with_digest(packet: bytes, trusted_kiosks: Mapping[str, Ed25519PublicKey]) -> tuple[Packet, str]:
    parsed = parse(packet)
    kiosk_key = trusted_kiosks.get(parsed.header.kiosk_id)
    if kiosk_key is None:
        raise UnknownKiosk("packet from a kiosk that is not trusted")
    message, digest = signed_message_and_digest(packet, parsed.header.v)
    try:
        kiosk_key.verify(parsed.signature, message)
    except InvalidSignature:
        raise BadSignature("packet signature is not valid") from None
    return parsed, digest


def open_packet(
    packet: bytes,
    *,
    private_key: X25519PrivateKey,
    key_id: str,
    trusted_kiosks: Mapping[str, Ed25519PublicKey],
    expected_enrollment_id: str,
) -> bytes:
    """Verify, check routing, and decrypt ``packet``; returns the plaintext.

    Order: format, kiosk known, signature, receiver key id, enrollment id, HPKE decryption.
    """
    return open_packet_with_digest(packet, private_key=private_key, key_id=key_id, trusted_kiosks=trusted_kiosks,
                                   expected_enrollment_id=expected_enrollment_id)[0]


def open_packet_with_digest(
    packet: bytes,
    *,
    private_key: X25519PrivateKey,
    key_id: str,
    trusted_kiosks: Mapping[str, Ed25519PublicKey],
    expected_enrollment_id: str,
) -> tuple[bytes, str]:
    """``open_packet``, and the packet's SHA-256 (hex), hashed in the signature check's own pass."""
    parsed, digest = _verified_with_digest(packet, trusted_kiosks)
    header = parsed.header
    if header.key_id != key_id:
        raise WrongKey("packet sealed to another receiver key")
    if header.enrollment_id != expected_enrollment_id:
        raise EnrollmentMismatch("packet enrollment id does not match")
    try:  # parsed.ciphertext is a view into ``packet``: the payload is not copied
        return _suite().decrypt(parsed.ciphertext, private_key, info=header.hpke_info()), digest
    except InvalidTag:
        raise DecryptFailed("packet could not be decrypted with this key") from None


# --- keys -----------------------------------------------------------------------------------


def load_or_create_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The kiosk's Ed25519 key at ``path`` (PEM PKCS8), created (file 0600, dir 0700) if absent."""
    path = Path(path)
    if path.exists():
        return _load_private(path, Ed25519PrivateKey)
    key = Ed25519PrivateKey.generate()
    _write_key_file(path, _private_pem(key), mode=0o600)
    return key


def public_key_pem(
    key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey,
) -> bytes:
    """SubjectPublicKeyInfo PEM of ``key`` (or of the public half of a private key)."""
    if isinstance(key, (Ed25519PrivateKey, X25519PrivateKey)):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_receiver_keys(directory: str | os.PathLike[str]) -> str:
    """Create ``receiver.key`` (X25519, 0600) and ``receiver.pub`` in ``directory``; returns the key id.

    Refuses to overwrite an existing private key: packets sealed to it would become unreadable.
    """
    directory = Path(directory)
    private_path = directory / RECEIVER_PRIVATE_NAME
    if private_path.exists():
        raise KeyFileError("receiver private key already exists; refusing to overwrite it")
    key = X25519PrivateKey.generate()
    _write_key_file(private_path, _private_pem(key), mode=0o600)
    _write_key_file(directory / RECEIVER_PUBLIC_NAME, public_key_pem(key), mode=0o644)
    return key_id_for(key.public_key())


def load_recipient(public_key_path: str | os.PathLike[str]) -> Recipient:
    """The receiver's X25519 public key (PEM) as a ``Recipient``."""
    path = Path(public_key_path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as err:
        raise KeyFileError(f"cannot read receiver public key {path}: {err.strerror}") from None
    except ValueError:
        raise KeyFileError(f"receiver public key {path} is not a PEM public key") from None
    if not isinstance(key, X25519PublicKey):
        raise KeyFileError(f"receiver public key {path} is not an X25519 key")
    return Recipient.from_public_key(key)


def load_receiver_private(path: str | os.PathLike[str]) -> X25519PrivateKey:
    """The receiver's X25519 private key (PEM PKCS8, unencrypted)."""
    return _load_private(Path(path), X25519PrivateKey)


def load_kiosk_public_key(pem: bytes) -> Ed25519PublicKey:
    """A kiosk's Ed25519 public key from PEM bytes."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise KeyFileError("kiosk public key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("kiosk public key is not an Ed25519 key")
    return key


def _private_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_private(path: Path, kind: type):
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as err:
        raise KeyFileError(f"cannot read private key {path}: {err.strerror}") from None
    except (ValueError, TypeError):
        raise KeyFileError(f"private key {path} is not an unencrypted PEM key") from None
    if not isinstance(key, kind):
        raise KeyFileError(f"private key {path} is not of the expected type")
    return key


def _write_key_file(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` atomically with ``mode``; create a missing parent directory as 0700."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
        os.chmod(path.parent, 0o700)  # mkdir's mode is filtered by the umask
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(fd, mode)  # in case a stale temporary file had other bits
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        sync_directory(path.parent)
    except OSError as err:
        raise KeyFileError(f"cannot write key file {path}: {err.strerror}") from None
