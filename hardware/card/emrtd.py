"""The CIE's travel-document (eMRTD) applet: PACE with the CAN, then DG1 and DG2 (ICAO Doc 9303 parts 10, 11).

``read_travel_document(send, can)`` reads EF.CardAccess from the MF, runs PACE with the CAN, selects
the applet (``A0 00 00 02 47 10 01``) and reads DG1 (the MRZ: document number, names, nationality,
dates, sex) and DG2 (the face image in its CBEFF template) through secure messaging, each file in
as few READ BINARY as the card's answer size allows: one short read of 0xDF bytes (what fits a
256-byte protected answer) learns the file's length, one extended-length read takes the rest.

Personal data: keep in memory, never log (the ``repr`` of every value here shows none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.card import apdu, pace, tlv
from hardware.errors import CardDataInvalid, PaceFailed

EMRTD_AID = bytes.fromhex("A0000002471001")
SFI_CARD_ACCESS, SFI_DG1, SFI_DG2 = 0x1C, 0x01, 0x02
SHORT_CHUNK = 0xDF  # plaintext that fits one 256-byte protected answer (AES: 224 + DO99 + DO8E)
EXTENDED_CHUNK = 0xFF00
MAX_LDS_FILE = 0x10000
MRZ_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")

Send = Callable[[bytes], tuple[bytes, int]]


# -- DG1: the machine-readable zone ----------------------------------------------------------------

def check_digit(text: str) -> str:
    """ICAO 9303-3 4.9: weights 7, 3, 1; digits as themselves, A=10 .. Z=35, '<' = 0."""
    total = 0
    for n, char in enumerate(text):
        value = int(char) if char.isdigit() else (ord(char) - 55 if "A" <= char <= "Z" else 0)
        total += value * (7, 3, 1)[n % 3]
    return str(total % 10)


@dataclass(frozen=True, kw_only=True, repr=False)
class Mrz:
    """The MRZ as DG1 holds it (personal data)."""

    document_code: str
    issuing_state: str
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: dt.date
    sex: str  # "M", "F" or "X" (unspecified)
    expiry_date: dt.date

    def __repr__(self) -> str:
        return f"Mrz(document_code={self.document_code!r}, issuing_state={self.issuing_state!r})"


def _checked(field_: str, digit: str, what: str) -> str:
    if check_digit(field_) != digit:
        raise CardDataInvalid(f"DG1: the {what}'s check digit is wrong")
    return field_


def _date(yymmdd: str, *, is_birth: bool, what: str) -> dt.date:
    if not yymmdd.isdigit():
        raise CardDataInvalid(f"DG1: the {what} is not a date")
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = 2000 + yy
    if is_birth and year > dt.date.today().year:
        year -= 100
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        raise CardDataInvalid(f"DG1: the {what} is not a date") from None


def _names(field_: str) -> tuple[str, str]:
    surname, _, given = field_.strip("<").partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def parse_mrz(text: str) -> Mrz:
    """A TD1 (identity card, 3 x 30) or TD3 (passport, 2 x 44) MRZ, its check digits verified."""
    if not set(text) <= MRZ_CHARS:
        raise CardDataInvalid("DG1: the MRZ holds characters outside its alphabet")
    if len(text) == 90:  # TD1: the CIE
        l1, l2, l3 = text[:30], text[30:60], text[60:]
        number = _checked(l1[5:14], l1[14], "document number")
        birth, sex, expiry = _checked(l2[0:6], l2[6], "birth date"), l2[7], _checked(l2[8:14], l2[14], "expiry date")
        nationality, names, code, state = l2[15:18], l3, l1[0:2], l1[2:5]
    elif len(text) == 88:  # TD3
        l1, l2 = text[:44], text[44:]
        number = _checked(l2[0:9], l2[9], "document number")
        birth, sex, expiry = _checked(l2[13:19], l2[19], "birth date"), l2[20], _checked(l2[21:27], l2[27], "expiry date")
        nationality, names, code, state = l2[10:13], l1[5:], l1[0:2], l1[2:5]
    else:
        raise CardDataInvalid("DG1: the MRZ is neither 3 x 30 nor 2 x 44 characters")
    surname, given = _names(names)
    if not surname:
        raise CardDataInvalid("DG1: the MRZ has no surname")
    return Mrz(
        document_code=code.rstrip("<"), issuing_state=state.rstrip("<"), document_number=number.rstrip("<"),
        surname=surname, given_names=given, nationality=nationality.rstrip("<"),
        birth_date=_date(birth, is_birth=True, what="birth date"), sex={"<": "X"}.get(sex, sex),
        expiry_date=_date(expiry, is_birth=False, what="expiry date"),
    )


def parse_dg1(data: bytes) -> Mrz:
    raw = tlv.find(data, 0x61, 0x5F1F)
    try:
        return parse_mrz(raw.decode("ascii"))
    except UnicodeDecodeError:
        raise CardDataInvalid("DG1: the MRZ is not text") from None


# -- DG2: the face ---------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class FaceImage:
    """The face image of DG2: ``format`` "JPEG" or "JPEG2000", the encoded bytes (personal data)."""

    format: str
    data: bytes = field(repr=False)
    width: int = 0
    height: int = 0

    def __repr__(self) -> str:
        return f"FaceImage(format={self.format!r}, bytes={len(self.data)})"

    def decode(self):
        """The image, decoded by Pillow (``CardDataInvalid`` when it does not decode)."""
        import io

        from PIL import Image, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(self.data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError) as err:
            raise CardDataInvalid(f"DG2: the face image does not decode ({type(err).__name__})") from None
        return image


def _image_format(image: bytes, data_type: int) -> str:
    if image.startswith(b"\xFF\xD8\xFF"):
        return "JPEG"
    if image.startswith(b"\x00\x00\x00\x0C\x6A\x50\x20\x20") or image.startswith(b"\xFF\x4F\xFF\x51"):
        return "JPEG2000"
    raise CardDataInvalid(f"DG2: the face image is neither JPEG nor JPEG 2000 (type {data_type})")


def parse_face_record(block: bytes) -> FaceImage:
    """The first face of an ISO/IEC 19794-5 facial record ("FAC\\0" "010\\0" ...)."""
    if len(block) < 14 or block[:4] != b"FAC\x00":
        raise CardDataInvalid("DG2: the biometric data is not an ISO 19794-5 facial record")
    if int.from_bytes(block[12:14], "big") < 1:
        raise CardDataInvalid("DG2: the facial record holds no face")
    record = block[14:]
    if len(record) < 32:
        raise CardDataInvalid("DG2: the facial record is cut short")
    length = int.from_bytes(record[0:4], "big")
    points = int.from_bytes(record[4:6], "big")
    info = 20 + 8 * points
    if length > len(record) or info + 12 > length:
        raise CardDataInvalid("DG2: the facial record's lengths do not add up")
    data_type = record[info + 1]
    width, height = int.from_bytes(record[info + 2:info + 4], "big"), int.from_bytes(record[info + 4:info + 6], "big")
    image = bytes(record[info + 12:length])
    if not image:
        raise CardDataInvalid("DG2: the facial record holds no image")
    return FaceImage(_image_format(image, data_type), image, width, height)


def parse_dg2(data: bytes) -> FaceImage:
    """DG2: ``75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E biometric data } } }``."""
    group = tlv.find(data, 0x75, 0x7F61)
    for item in tlv.parse(group):
        if item.tag != 0x7F60:
            continue
        for part in tlv.parse(item.value):
            if part.tag in (0x5F2E, 0x7F2E):
                return parse_face_record(part.value)
    raise CardDataInvalid("DG2: no biometric data block")


# -- reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class TravelDocument:
    """What the travel-document applet gave after PACE (personal data)."""

    mrz: Mrz
    face: FaceImage | None

    def __repr__(self) -> str:
        return f"TravelDocument({self.mrz!r}, {self.face!r})"


class _Protected:
    """Commands through secure messaging, their answers checked and opened."""

    def __init__(self, send: Send, sm: pace.SecureMessaging) -> None:
        self._send, self.sm = send, sm

    def __call__(self, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> tuple[bytes, int]:
        raw, sw = self._send(self.sm.protect(0x00, ins, p1, p2, data, le))
        if sw in (0x6987, 0x6988):
            raise PaceFailed(f"the card ended secure messaging ({sw:04X})", reason="secure_messaging")
        return self.sm.unprotect(raw, sw)

    def read_file(self, sfi: int, *, extended: bool) -> bytes:
        data, sw = self(0xB0, 0x80 | sfi, 0x00, le=SHORT_CHUNK)
        apdu.raise_for(sw, f"read the travel document's file {sfi:02X}")
        _, length, start = tlv.read_header(data) if data else (0, 0, 0)
        total = start + length
        if not data or total > MAX_LDS_FILE:
            raise CardDataInvalid(f"the travel document's file {sfi:02X} is empty or implausibly large")
        while len(data) < total:
            want = min(total - len(data), EXTENDED_CHUNK if extended else SHORT_CHUNK)
            if len(data) >= 0x8000:
                raise CardDataInvalid(f"the travel document's file {sfi:02X} is too large to read by offset")
            more, sw = self(0xB0, len(data) >> 8, len(data) & 0xFF, le=want)
            apdu.raise_for(sw, f"read the travel document's file {sfi:02X}")
            if not more:
                raise CardDataInvalid(f"the travel document's file {sfi:02X} ends before its declared length")
            data += more
        return data[:total]


def read_card_access(send: Send) -> bytes:
    """EF.CardAccess (SFI 1C) from the MF, in plain (one APDU; two when an applet was selected)."""
    data, sw = send(apdu.read_binary_sfi(SFI_CARD_ACCESS))
    if sw == apdu.SW_FILE_NOT_FOUND or sw == apdu.SW_CONDITIONS:
        send(bytes([0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]))
        data, sw = send(apdu.read_binary_sfi(SFI_CARD_ACCESS))
    if sw == apdu.SW_FILE_NOT_FOUND:
        raise PaceFailed("the card has no EF.CardAccess: it does not do PACE", reason="unsupported")
    apdu.raise_for(sw, "read EF.CardAccess")
    return data


def read_travel_document(send: Send, can: str, *, with_face: bool = True, extended: bool = True,
                         scalar: Callable[[], int] | None = None) -> TravelDocument:
    """PACE with ``can`` (never retried: a wrong CAN raises ``PaceFailed(reason="wrong_can")``), then DG1, DG2."""
    key = pace.can_key(can)  # CanFormatInvalid before any APDU
    info, curve = pace.choose(pace.parse_card_access(read_card_access(send)))
    sm = pace.PaceTerminal(send, password_key=key, password_ref=pace.PASSWORD_CAN, info=info, curve=curve,
                           scalar=scalar).establish()
    protected = _Protected(send, sm)
    _, sw = protected(0xA4, 0x04, 0x0C, EMRTD_AID)
    apdu.raise_for(sw, "select the travel-document applet")
    mrz = parse_dg1(protected.read_file(SFI_DG1, extended=extended))
    face = parse_dg2(protected.read_file(SFI_DG2, extended=extended)) if with_face else None
    return TravelDocument(mrz, face)
