"""The receiver's data directory: its key pair and the kiosks it trusts.

Layout::

    DATA/keys/receiver.key              X25519 private key, PEM PKCS8, mode 0600 (dir 0700)
    DATA/keys/receiver.pub              X25519 public key, PEM: give this to the kiosks
    DATA/trusted_kiosks/<kiosk_id>.pub  each trusted kiosk's Ed25519 public key, PEM
    DATA/receiver.db                    the packet store (``kiosk.receiver.storage``): routing rows, jobs
    DATA/packets/<id>.<sha256>          each sealed packet as received (mode 0600, dir 0700)
    DATA/outbox/                        the simulated email and SMS sent (``kiosk.receiver.messages``)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.errors import SealError
from kiosk.packet import KIOSK_ID
from kiosk.sealing import (
    RECEIVER_PRIVATE_NAME,
    RECEIVER_PUBLIC_NAME,
    generate_receiver_keys,
    load_kiosk_public_key,
    load_receiver_private,
    load_recipient,
)

KEYS_DIR = "keys"
TRUSTED_DIR = "trusted_kiosks"
DATABASE_NAME = "receiver.db"


class UntrustableKiosk(SealError, ValueError):
    """A kiosk id or public key offered for trust is malformed."""

    code = "bad_kiosk"


@dataclass(frozen=True, slots=True)
class ReceiverKey:
    """The receiver's private key and its key id (what kiosks put in packet headers)."""

    private_key: X25519PrivateKey
    key_id: str


def init_data_dir(data_dir: str | os.PathLike[str]) -> str:
    """Create the layout and, once only, the receiver key pair; returns the key id."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = data_dir / KEYS_DIR
    keys.mkdir(mode=0o700, exist_ok=True)
    os.chmod(keys, 0o700)
    (data_dir / TRUSTED_DIR).mkdir(exist_ok=True)
    if (keys / RECEIVER_PRIVATE_NAME).exists():
        return load_receiver_key(data_dir).key_id
    return generate_receiver_keys(keys)


def public_key_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where the receiver's public key lives (to hand to kiosks)."""
    return Path(data_dir) / KEYS_DIR / RECEIVER_PUBLIC_NAME


def database_path(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / DATABASE_NAME


def load_receiver_key(data_dir: str | os.PathLike[str]) -> ReceiverKey:
    """The private key and its id; checks that the public key file matches it."""
    keys = Path(data_dir) / KEYS_DIR
    private_key = load_receiver_private(keys / RECEIVER_PRIVATE_NAME)
    recipient = load_recipient(keys / RECEIVER_PUBLIC_NAME)
    if recipient.public_key.public_bytes_raw() != private_key.public_key().public_bytes_raw():
        raise SealError("receiver.pub does not belong to receiver.key")
    return ReceiverKey(private_key=private_key, key_id=recipient.key_id)


def trust_kiosk(data_dir: str | os.PathLike[str], kiosk_id: str, public_pem: bytes) -> None:
    """Trust ``kiosk_id``'s Ed25519 public key (replacing any earlier one for that id)."""
    if not isinstance(kiosk_id, str) or not KIOSK_ID.fullmatch(kiosk_id):
        raise UntrustableKiosk("malformed kiosk id")
    try:
        load_kiosk_public_key(public_pem)
    except SealError:
        raise UntrustableKiosk("kiosk public key is not an Ed25519 PEM public key") from None
    trusted = Path(data_dir) / TRUSTED_DIR
    trusted.mkdir(parents=True, exist_ok=True)
    target = trusted / f"{kiosk_id}.pub"
    temporary = trusted / f".{kiosk_id}.pub.tmp"
    temporary.write_bytes(public_pem)
    os.replace(temporary, target)


def load_trusted_kiosks(data_dir: str | os.PathLike[str]) -> dict[str, Ed25519PublicKey]:
    """Every trusted kiosk's public key by kiosk id. Unreadable or malformed files are errors."""
    trusted = Path(data_dir) / TRUSTED_DIR
    if not trusted.is_dir():
        return {}
    kiosks = {}
    for path in sorted(trusted.glob("*.pub")):
        if path.name.startswith(".") or not KIOSK_ID.fullmatch(path.stem):
            continue
        kiosks[path.stem] = load_kiosk_public_key(path.read_bytes())
    return kiosks


OPERATOR_TOKEN_NAME = "operator.token"


def operator_token(data_dir: str | os.PathLike[str]) -> str:
    """The bearer token of the operator API (``DATA/keys/operator.token``, 0600), created once."""
    import secrets

    path = Path(data_dir) / KEYS_DIR / OPERATOR_TOKEN_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()
