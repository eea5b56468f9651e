"""ISO/IEC 7816-4 command APDUs and status words, as the TS-CNS and the CIE use them."""

from __future__ import annotations

from hardware.errors import CardBlocked, CardDataInvalid, CardNotSupported, CardStatusError, PinRequired

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_NO_PRECISE_DIAGNOSIS = 0x6F00
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_LENGTH = 0x6700
SW_WRONG_DATA = 0x6A80
SW_CONDITIONS = 0x6985

IAS_AID = bytes.fromhex("A0000000308000000009816001")
CIE_AID = bytes.fromhex("A00000000039")


def split_path(path: str) -> bytes:
    """``"3F00/1100/1102"`` → the file ids after the MF, concatenated, for SELECT by path."""
    parts = [p for p in path.split("/") if p]
    if parts and parts[0].upper() == "3F00":
        parts = parts[1:]
    raw = bytes.fromhex("".join(parts))
    if not raw or len(raw) % 2:
        raise ValueError(f"not a file path: {path!r}")
    return raw


def select_path(path: str) -> bytes:
    """SELECT by path from the MF (P1=08), no FCI wanted (P2=0C): one APDU for any depth."""
    ids = split_path(path)
    return bytes([0x00, 0xA4, 0x08, 0x0C, len(ids)]) + ids


def select_aid(aid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x0C, len(aid)]) + aid


def read_binary(offset: int, length: int = 0) -> bytes:
    """READ BINARY at ``offset`` (< 32768) of ``length`` bytes (0: as many as fit, 256)."""
    if not 0 <= offset < 0x8000:
        raise ValueError("READ BINARY offset out of range")
    return bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, length & 0xFF])


def read_binary_sfi(sfi: int, length: int = 0) -> bytes:
    """READ BINARY of the file with short id ``sfi`` (P1 = 0x80 | sfi), from offset 0."""
    return bytes([0x00, 0xB0, 0x80 | sfi, 0x00, length & 0xFF])


def verify(pin_reference: int, pin: str | None = None) -> bytes:
    """VERIFY: with no PIN, asks for the tries left (63Cx) without spending one."""
    if pin is None:
        return bytes([0x00, 0x20, 0x00, pin_reference])
    block = pin.encode("ascii").ljust(8, b"\xff")
    return bytes([0x00, 0x20, 0x00, pin_reference, len(block)]) + block


def chained(cla_ins_p1_p2: bytes, data: bytes, *, chunk: int = 128, le: int | None = 0) -> list[bytes]:
    """A command split with command chaining (CLA bit 0x10 on every block but the last)."""
    blocks = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
    apdus = []
    for n, block in enumerate(blocks):
        is_last = n == len(blocks) - 1
        cla = cla_ins_p1_p2[0] | (0x00 if is_last else 0x10)
        apdu = bytes([cla]) + cla_ins_p1_p2[1:4] + bytes([len(block)]) + block
        if is_last and le is not None:
            apdu += bytes([le & 0xFF])
        apdus.append(apdu)
    return apdus


def split_response(response: bytes) -> tuple[bytes, int]:
    """``(data, sw)`` of a response APDU."""
    if len(response) < 2:
        raise CardStatusError("the card answered with less than a status word", sw=0)
    return bytes(response[:-2]), (response[-2] << 8) | response[-1]


def tries_in(sw: int) -> int | None:
    """The tries left a ``63Cx`` status word reports, or ``None``."""
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None


def raise_for(sw: int, what: str) -> None:
    """Turn an error status word into the matching ``CardError`` (non-personal message)."""
    if sw in (SW_OK, SW_END_OF_FILE):
        return
    text = f"{what}: the card answered {sw:04X}"
    if sw == SW_FILE_NOT_FOUND:
        raise CardNotSupported(f"{what}: file not found (6A82): not a card this kiosk reads")
    if sw == SW_SECURITY_NOT_SATISFIED:
        raise PinRequired(f"{what}: security status not satisfied (6982)")
    if sw == SW_AUTH_BLOCKED:
        raise CardBlocked(f"{what}: the PIN is blocked (6983)")
    if sw & 0xFF00 == 0x6F00:
        raise CardStatusError(f"{text} (no precise diagnosis)", sw=sw)
    if sw == SW_WRONG_OFFSET:
        raise CardDataInvalid(f"{what}: read past the end of the file")
    raise CardStatusError(text, sw=sw)
