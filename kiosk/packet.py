"""The sealed packet container, version 1: shared by the kiosk and the receiver.

Layout (all integers big-endian)::

    offset  size   field
    0       5      magic  b"SPKT1"
    5       4      header length H (unsigned, 2 <= H <= 4096)
    9       H      header: canonical JSON, UTF-8 (sorted keys, no spaces, ASCII only)
    9+H     C      ciphertext: HPKE single-shot output, enc (32 bytes) || AEAD ciphertext
    9+H+C   64     Ed25519 signature by the kiosk over bytes [0, 9+H+C)

The header is public routing data and holds **no personal data**::

    {"created_at": "2025-01-31T09:15:00Z", "enrollment_id": "...", "key_id": "...",
     "kiosk_id": "...", "suite": "hpke-x25519-hkdfsha256-chacha20poly1305", "v": 1}

The ciphertext length C is what remains between the header and the signature; it must be at
least ``MIN_CIPHERTEXT`` bytes (the KEM encapsulation plus the AEAD tag). ``parse`` never copies
the ciphertext: it returns a ``memoryview`` into the packet.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

from kiosk.errors import SealError

MAGIC = b"SPKT1"
VERSION = 1
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
        if self.v != VERSION or self.suite != SUITE:
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
    ``signed_part(data)``: everything before it.
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
    """Assemble a packet; ``sign(data) -> 64 bytes`` signs everything before the signature.

    One buffer is filled in place and signed through a view, so the ciphertext is copied once.
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
        signature = sign(view[:body_size])
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
    """A view of what the signature covers (magic .. end of ciphertext) of a parsed packet."""
    return memoryview(packet).cast("B")[:-SIGNATURE_SIZE]


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
