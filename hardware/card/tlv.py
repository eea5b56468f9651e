"""BER-TLV as smart cards use it (ISO/IEC 7816-4 annex D, ICAO 9303-10): bounds-checked parsing.

Every length is checked against the bytes there are; malformed input raises ``CardDataInvalid``
(never ``IndexError``), whatever the card sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.errors import CardDataInvalid

MAX_DEPTH = 8


@dataclass(frozen=True, repr=False)
class Tlv:
    tag: int
    value: bytes
    end: int  # offset just after this element in the buffer it was read from

    def __repr__(self) -> str:  # the value may be personal data
        return f"Tlv(tag={self.tag:X}, length={len(self.value)})"


def read_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """``(tag, length, value_offset)`` of the element at ``offset`` (the value may lie beyond ``data``)."""
    n = len(data)
    if offset >= n:
        raise CardDataInvalid("TLV: no tag")
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:  # multi-byte tag
        for _ in range(3):
            if offset >= n:
                raise CardDataInvalid("TLV: tag cut short")
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
        else:
            raise CardDataInvalid("TLV: tag too long")
    if offset >= n:
        raise CardDataInvalid("TLV: no length")
    length = data[offset]
    offset += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 3:
            raise CardDataInvalid("TLV: unsupported length form")
        if offset + count > n:
            raise CardDataInvalid("TLV: length cut short")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    return tag, length, offset


def read_one(data: bytes, offset: int = 0) -> Tlv:
    """The element at ``offset``; its value must lie within ``data``."""
    data = bytes(data)
    tag, length, start = read_header(data, offset)
    end = start + length
    if end > len(data):
        raise CardDataInvalid(f"TLV: element {tag:X} runs past the end of the data")
    return Tlv(tag, data[start:end], end)


def parse(data: bytes) -> list[Tlv]:
    """Every element of ``data``, one after the other (padding bytes 00/FF between them skipped)."""
    data = bytes(data)
    items, offset = [], 0
    while offset < len(data):
        if data[offset] in (0x00, 0xFF):
            offset += 1
            continue
        item = read_one(data, offset)
        items.append(item)
        offset = item.end
    return items


def find(data: bytes, *path: int) -> bytes:
    """The value at ``path`` (a tag per nesting level): ``find(dg1, 0x61, 0x5F1F)``."""
    if len(path) > MAX_DEPTH:
        raise ValueError("path too deep")
    value = bytes(data)
    for tag in path:
        for item in parse(value):
            if item.tag == tag:
                value = item.value
                break
        else:
            raise CardDataInvalid(f"TLV: no element {tag:X}")
    return value


def encode(tag: int, value: bytes) -> bytes:
    """One element, definite length (for commands and for the emulator's files)."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    elif n <= 0xFFFF:
        length = b"\x82" + n.to_bytes(2, "big")
    else:
        length = b"\x83" + n.to_bytes(3, "big")
    return tag_bytes + length + bytes(value)
