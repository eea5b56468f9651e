"""The sealed packet container: shared by the kiosk and the receiver.

Layout (all integers big-endian)::

    offset  size   field
    0       5      magic  b"SPKT1"
    5       4      header length H (unsigned, 2 <= H <= 4096)
    9       H      header: canonical JSON, UTF-8 (sorted keys, no spaces, ASCII only)
    9+H     C      ciphertext: HPKE single-shot output, enc (32 bytes) || AEAD ciphertext
    9+H+C   64     Ed25519 signature by the kiosk (below)

The header is public routing data and holds **no personal data**::

    {"created_at": "2025-01-31T09:15:00Z", "enrollment_id": "...", "key_id": "...",
     "kiosk_id": "...", "suite": "hpke-x25519-hkdfsha256-chacha20poly1305", "v": 2}

The header's ``v`` says what the signature covers (``signed_message``); the layout is the same:

- ``v: 2`` (what the kiosk seals now): Ed25519 over ``SIGNATURE_CONTEXT_V2`` followed by the 32-byte
  SHA-256 of bytes [0, 9+H+C). The receiver hashes the body once with SHA-256 (it needs the SHA-256
  of the packet anyway), instead of Ed25519's SHA-512 pass over megabytes, which costs three times
  as much where SHA-256 has CPU instructions; the kiosk hashes once instead of twice. Security rests
  on SHA-256's collision resistance (128 bits), as Ed25519 itself rests on SHA-512's.
- ``v: 1`` (packets sealed before, still in outboxes): Ed25519 over bytes [0, 9+H+C) themselves.

``v`` is inside what is signed, and each version's message differs, so a packet cannot be passed off
as the other version. The HPKE ``info`` names the version too.

The ciphertext length C is what remains between the header and the signature; it must be at
least ``MIN_CIPHERTEXT`` bytes (the KEM encapsulation plus the AEAD tag). ``parse`` never copies
the ciphertext: it returns a ``memoryview`` into the packet.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

from kiosk.errors import SealError

MAGIC = b"SPKT1"
VERSION = 2  # what ``build`` writes by default
VERSIONS = (1, 2)  # what ``parse`` accepts
SIGNATURE_CONTEXT_V2 = b"sportello/packet/v2/ed25519-sha256\x00"
SUITE = "hpke-x25519-hkdfsha256-chacha20poly1305"
SIGNATURE_SIZE = 64
MAX_HEADER_SIZE = 4096
MIN_CIPHERTEXT = 32 + 16  # X25519 encapsulated key + Poly1305 tag

_LENGTH = struct.Struct(">I")
_PREFIX_SIZE = len(MAGIC) + _LENGTH.size
_HEADER_KEYS = frozenset({"v", "kiosk_id", "enrollment_id", "key_id", "suite", "created_at"})

KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
ENROLLMENT_ID = re.compile(r"[0-9A-Za-z]{16,40}", re.ASCII)
KEY_ID = re.compile(r"[0-9a-f]{16}", re.ASCII)
_CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)


class PacketFormatError(SealError, ValueError):
    """The bytes are not a well-formed version-1 packet (truncated, garbage, bad header)."""

    code = "bad_format"


@dataclass(frozen=True, slots=True)
class PacketHeader:
    """The public, signed routing header of a packet. Never holds personal data."""

    kiosk_id: str
    enrollment_id: str
    key_id: str
    created_at: str
    suite: str = SUITE
    v: int = VERSION

    def __post_init__(self) -> None:
        _check_id(KIOSK_ID, self.kiosk_id, "kiosk id")
        _check_id(ENROLLMENT_ID, self.enrollment_id, "enrollment id")
        _check_id(KEY_ID, self.key_id, "key id")
        _check_id(_CREATED_AT, self.created_at, "created_at")
        if self.v not in VERSIONS or self.suite != SUITE:
            raise PacketFormatError("unsupported packet version or suite")
        try:
            datetime.strptime(self.created_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise PacketFormatError("malformed created_at") from None

    def to_bytes(self) -> bytes:
        """The canonical JSON encoding (sorted keys, compact, ASCII)."""
        fields = {name: getattr(self, name) for name in _HEADER_KEYS}
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

    def hpke_info(self) -> bytes:
        """The HPKE ``info``: binds kiosk, enrollment and receiver key to the ciphertext."""
        return f"sportello/v{self.v}|{self.kiosk_id}|{self.enrollment_id}|{self.key_id}".encode()


class Packet(NamedTuple):
    """A parsed packet: ``header, ciphertext, signature = parse(data)``.

    ``ciphertext`` is a view into the original bytes. The signature covers
    ``signed_message(data, header.v)``: everything before it, or (``v: 2``) its SHA-256.
    """

    header: PacketHeader
    ciphertext: memoryview
    signature: bytes


def format_created_at(moment: datetime) -> str:
    """``moment`` (timezone-aware) as UTC ISO 8601 with seconds, e.g. ``2025-01-31T09:15:00Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SealError("created_at must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(header: PacketHeader, ciphertext: bytes, *, sign) -> bytes:
    """Assemble a packet; ``sign(message) -> 64 bytes`` signs ``signed_message`` of everything before
    the signature.

    One buffer is filled in place and signed (or hashed) through a view, so the ciphertext is copied once.
    """
    header_bytes = header.to_bytes()
    if len(header_bytes) > MAX_HEADER_SIZE:
        raise PacketFormatError("packet header too large")
    body_size = _PREFIX_SIZE + len(header_bytes) + len(ciphertext)
    buffer = bytearray(body_size + SIGNATURE_SIZE)
    buffer[: len(MAGIC)] = MAGIC
    _LENGTH.pack_into(buffer, len(MAGIC), len(header_bytes))
    buffer[_PREFIX_SIZE : _PREFIX_SIZE + len(header_bytes)] = header_bytes
    buffer[_PREFIX_SIZE + len(header_bytes) : body_size] = ciphertext
    with memoryview(buffer) as view:
        signature = sign(_message(view[:body_size], header.v))
        if len(signature) != SIGNATURE_SIZE:
            raise SealError("signer returned a signature of the wrong size")
        buffer[body_size:] = signature
    return bytes(buffer)


def parse(packet: bytes | bytearray | memoryview) -> Packet:
    """Split ``packet`` into header, ciphertext and signature without verifying anything.

    Raises ``PacketFormatError`` (and nothing else) for any malformed input.
    """
    try:
        view = memoryview(packet).cast("B")
    except TypeError:
        raise PacketFormatError("packet must be bytes") from None
    if len(view) < _PREFIX_SIZE or view[: len(MAGIC)] != MAGIC:
        raise PacketFormatError("not a version-1 packet")
    (header_size,) = _LENGTH.unpack_from(view, len(MAGIC))
    if not 2 <= header_size <= MAX_HEADER_SIZE:
        raise PacketFormatError("bad packet header length")
    body_size = len(view) - SIGNATURE_SIZE
    ciphertext_start = _PREFIX_SIZE + header_size
    if body_size - ciphertext_start < MIN_CIPHERTEXT:
        raise PacketFormatError("packet truncated")
    header = _parse_header(bytes(view[_PREFIX_SIZE:ciphertext_start]))
    return Packet(
        header=header,
        ciphertext=view[ciphertext_start:body_size],
        signature=bytes(view[body_size:]),
    )


HEAD_SIZE = _PREFIX_SIZE + MAX_HEADER_SIZE  # enough of a packet's first bytes for ``peek_header``


def peek_header(head: bytes | bytearray | memoryview) -> PacketHeader:
    """The (unverified) header of a packet from its first bytes (at least ``HEAD_SIZE`` of them, or
    the whole packet), before the rest has arrived. Raises ``PacketFormatError``."""
    view = memoryview(head).cast("B")
    if len(view) < _PREFIX_SIZE or view[: len(MAGIC)] != MAGIC:
        raise PacketFormatError("not a version-1 packet")
    (header_size,) = _LENGTH.unpack_from(view, len(MAGIC))
    if not 2 <= header_size <= MAX_HEADER_SIZE or len(view) < _PREFIX_SIZE + header_size:
        raise PacketFormatError("bad packet header length")
    return _parse_header(bytes(view[_PREFIX_SIZE : _PREFIX_SIZE + header_size]))


def signed_part(packet: bytes | bytearray | memoryview) -> memoryview:
    """A view of the bytes before the signature (magic .. end of ciphertext) of a parsed packet."""
    return memoryview(packet).cast("B")[:-SIGNATURE_SIZE]


def signed_message(packet: bytes | bytearray | memoryview, version: int) -> bytes | memoryview:
    """What the Ed25519 signature of a parsed packet of header version ``version`` covers."""
    return _message(signed_part(packet), version)


def signed_message_and_digest(packet: bytes | bytearray | memoryview, version: int) -> tuple[bytes | memoryview, str]:
    """``signed_message`` and the SHA-256 (hex) of the whole packet; for ``v: 2`` in one pass over the
    bytes (the packet's hash is the signed part's hash continued over the signature)."""
    body = signed_part(packet)
    if version == 1:
        return body, hashlib.sha256(packet).hexdigest()
    running = hashlib.sha256(body)
    message = SIGNATURE_CONTEXT_V2 + running.digest()
    running.update(memoryview(packet).cast("B")[-SIGNATURE_SIZE:])
    return message, running.hexdigest()


def _message(body: memoryview, version: int) -> bytes | memoryview:
    if version == 1:
        return body
    return SIGNATURE_CONTEXT_V2 + hashlib.sha256(body).digest()


def _parse_header(raw: bytes) -> PacketHeader:
    try:
        fields = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PacketFormatError("packet header is not JSON") from None
    if not isinstance(fields, dict) or set(fields) != _HEADER_KEYS:
        raise PacketFormatError("packet header has missing or unknown fields")
    if type(fields["v"]) is not int or not all(
        isinstance(fields[name], str) for name in _HEADER_KEYS - {"v"}
    ):
        raise PacketFormatError("packet header field has the wrong type")
    header = PacketHeader(**fields)
    if header.to_bytes() != raw:
        raise PacketFormatError("packet header is not canonical")
    return header


def _check_id(pattern: re.Pattern[str], value: object, what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise PacketFormatError(f"malformed {what}")
