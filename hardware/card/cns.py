"""What a TS-CNS/CNS says, decoded: the ATR, EF_DatiPersonali, EF_IDCarta and the certificate.

Pure functions over bytes: no I/O, no PC/SC. Every parser raises ``CardDataInvalid`` (or
``CertificateInvalid``) with a non-personal message on any malformed input, never another
exception: the tests feed them random bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from hardware.errors import CardDataInvalid, CertificateInvalid

TS_CNS_ISSUER_PREFIX = "80380"  # card ids of the Tessera Sanitaria (MEF) start with these digits
MAX_CERTIFICATE_SIZE = 8192
DATI_PERSONALI_FIELDS = (
    "issuer_code", "issue_date", "expiry_date", "surname", "given_name", "birth_date", "sex",
    "height", "codice_fiscale", "citizenship", "birth_town_code", "birth_country",
    "birth_act", "residence_town_code", "residence_address", "expatriation_notes",
)

_CF = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")
_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
                 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)))


# -- ATR ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CnsAtr:
    """The CNS facts in an ATR's historical bytes (CNS functional specification, section 5)."""

    ic_manufacturer: int
    mask_manufacturer: int
    version: int  # high nibble major, low nibble minor: 0x10 is CNS 1.0

    @property
    def pin_reference(self) -> int:
        """The PIN's reference for VERIFY: STIncard masks want the "search parents" bit (0x90)."""
        return 0x90 if self.mask_manufacturer == 0x09 else 0x10


def historical_bytes(atr: bytes) -> bytes:
    """The ATR's historical bytes (ISO/IEC 7816-3), or ``b""`` when the ATR is malformed."""
    if len(atr) < 2 or atr[0] not in (0x3B, 0x3F):
        return b""
    count, position, td = atr[1] & 0x0F, 1, atr[1]  # position: where the current T0/TDi sits
    while True:
        last = position + bin(td & 0xF0).count("1")  # TAi..TDi of this round end here
        if not td & 0x80:
            break
        if last >= len(atr):
            return b""
        position, td = last, atr[last]
    i = last + 1
    history = atr[i:i + count]
    return history if len(history) == count else b""


def parse_cns_atr(atr: bytes) -> CnsAtr | None:
    """The CNS facts of a CNS's ATR, or ``None`` when the ATR is not a CNS's.

    Historical bytes: ``00 6B`` (category, tag), IC and mask manufacturer, OS version (2), then
    ``01``, two bytes, ``"CNS"``, the version byte, ``31 80``.
    """
    h = historical_bytes(bytes(atr))
    if len(h) != 15 or h[0:2] != b"\x00\x6b" or h[6] != 0x01 or h[9:12] != b"CNS" or h[13:15] != b"\x31\x80":
        return None
    return CnsAtr(ic_manufacturer=h[2], mask_manufacturer=h[3], version=h[12])


# -- EF_DatiPersonali -----------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class DatiPersonali:
    """EF_DatiPersonali's 16 fields as text. Personal data: never log it."""

    fields: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return "DatiPersonali(...)"

    def date(self, name: str) -> dt.date:
        return parse_card_date(self.fields[name], what=name)


def dati_personali_size(head: bytes) -> int:
    """The whole file's size (6 header bytes included) from its first six bytes."""
    try:
        text = bytes(head[:6]).decode("ascii")
        if len(text) != 6 or not re.fullmatch(r"[0-9A-Fa-f]{6}", text):
            raise ValueError
        return 6 + int(text, 16)
    except (UnicodeDecodeError, ValueError):
        raise CardDataInvalid("EF_DatiPersonali does not start with its length") from None


def parse_dati_personali(data: bytes) -> DatiPersonali:
    """Decode EF_DatiPersonali: 6 hex-ASCII characters of length, then 16 length-prefixed fields.

    Bytes after the declared length (padding) are ignored; a field running past it is an error.
    """
    data = bytes(data)
    end = dati_personali_size(data)
    if end > len(data):
        raise CardDataInvalid("EF_DatiPersonali is truncated")
    fields: dict[str, str] = {}
    i = 6
    for name in DATI_PERSONALI_FIELDS:
        if i == end and name in ("residence_address", "expatriation_notes", "residence_town_code"):
            fields[name] = ""  # some cards stop after the last non-empty field
            continue
        size_text = data[i:i + 2]
        if len(size_text) != 2 or i + 2 > end or not re.fullmatch(rb"[0-9A-Fa-f]{2}", size_text):
            raise CardDataInvalid(f"EF_DatiPersonali: field {name} has no valid length")
        size = int(size_text, 16)
        i += 2
        if i + size > end:
            raise CardDataInvalid(f"EF_DatiPersonali: field {name} runs past the end of the file")
        raw = data[i:i + size]
        i += size
        try:
            value = raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise CardDataInvalid(f"EF_DatiPersonali: field {name} is not text") from None
        if any(ord(c) < 0x20 for c in value):
            raise CardDataInvalid(f"EF_DatiPersonali: field {name} holds control characters")
        fields[name] = value.strip()
    return DatiPersonali(fields=fields)


def parse_card_date(text: str, *, what: str = "date") -> dt.date:
    """A ``ddmmyyyy`` date as the CNS stores it."""
    if not re.fullmatch(r"[0-9]{8}", text or ""):
        raise CardDataInvalid(f"EF_DatiPersonali: {what} is not a ddmmyyyy date")
    try:
        return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise CardDataInvalid(f"EF_DatiPersonali: {what} is not a real date") from None


def encode_dati_personali(values: dict[str, str]) -> bytes:
    """The inverse of ``parse_dati_personali`` (for the emulator and the tests)."""
    body = b""
    for name in DATI_PERSONALI_FIELDS:
        raw = values.get(name, "").encode("latin-1")
        if len(raw) > 0xFF:
            raise ValueError(f"{name} is longer than 255 bytes")
        body += b"%02X" % len(raw) + raw
    return b"%06X" % len(body) + body


def parse_id_carta(data: bytes) -> str:
    """EF_IDCarta: the card's serial number, 16 printable ASCII characters (padding stripped)."""
    text = bytes(data).rstrip(b"\x00\xff ")
    if not 1 <= len(text) <= 32 or not all(0x21 <= b < 0x7F for b in text):
        raise CardDataInvalid("EF_IDCarta is not a printable serial number")
    return text.decode("ascii")


# -- codice fiscale -------------------------------------------------------------------------------

def codice_fiscale_check_char(first15: str) -> str:
    """The control character of a codice fiscale from its first 15 characters."""
    total = 0
    for position, char in enumerate(first15.upper()):
        if position % 2 == 0:  # odd positions, counting from 1
            total += _ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - ord("A")
    return chr(ord("A") + total % 26)


def is_codice_fiscale_valid(code: str) -> bool:
    """Shape and control character of a (possibly omocodic) codice fiscale."""
    return bool(_CF.fullmatch(code or "")) and codice_fiscale_check_char(code[:15]) == code[15]


# -- certificate ----------------------------------------------------------------------------------

def der_size(head: bytes) -> int:
    """The whole size of the DER SEQUENCE starting ``head`` (tag + length + content)."""
    head = bytes(head)
    if len(head) < 2 or head[0] != 0x30:
        raise CertificateInvalid("the certificate file does not start with a DER SEQUENCE", reason="garbage")
    first = head[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 3 or len(head) < 2 + count:
        raise CertificateInvalid("the certificate's DER length is malformed", reason="garbage")
    size = int.from_bytes(head[2:2 + count], "big")
    total = 2 + count + size
    if total > MAX_CERTIFICATE_SIZE:
        raise CertificateInvalid("the certificate's DER length is implausibly large", reason="garbage")
    return total


@dataclass(frozen=True, repr=False)
class CertificateInfo:
    """The facts of a CNS authentication certificate (personal data: never log it)."""

    certificate: x509.Certificate
    codice_fiscale: str
    card_id: str
    given_name: str
    surname: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime

    def __repr__(self) -> str:
        return "CertificateInfo(...)"


def parse_certificate(der: bytes) -> CertificateInfo:
    """Parse a CNS certificate: subject CN ``<codice fiscale>/<card id>.<hash>``, names, validity."""
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
        subject, issuer = cert.subject, cert.issuer
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, TypeError):
        raise CertificateInvalid("the card's certificate is not a valid X.509 certificate", reason="garbage") from None

    def first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
        try:
            values = name.get_attributes_for_oid(oid)
        except ValueError:
            return ""
        return str(values[0].value) if values else ""

    common_name = first(subject, NameOID.COMMON_NAME)
    code, _, rest = common_name.partition("/")
    card_id = rest.rsplit(".", 1)[0] if "." in rest else rest
    if not is_codice_fiscale_valid(code.upper()):
        raise CertificateInvalid("the certificate's subject names no valid codice fiscale", reason="garbage")
    issuer_name = first(issuer, NameOID.ORGANIZATION_NAME) or first(issuer, NameOID.COMMON_NAME)
    return CertificateInfo(
        certificate=cert, codice_fiscale=code.upper(), card_id=card_id,
        given_name=first(subject, NameOID.GIVEN_NAME), surname=first(subject, NameOID.SURNAME),
        issuer=issuer_name, not_before=not_before, not_after=not_after,
    )


def certificate_der(data: bytes) -> bytes:
    """The certificate inside a certificate file: at offset 0, or after an Infocamere 5-byte header."""
    data = bytes(data)
    for offset in (0, 5):
        if data[offset:offset + 1] == b"\x30":
            try:
                size = der_size(data[offset:offset + 6])
            except CertificateInvalid:
                continue
            if offset + size <= len(data):
                return data[offset:offset + size]
    raise CertificateInvalid("no complete certificate in the certificate file", reason="garbage")


def _norm(text: str) -> str:
    """Upper-case letters only, accents dropped: "D'ANNUNZIO NICOLÒ" ~ "DANNUNZIO NICOLO"."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z]", "", bare.upper())


def cross_check(dati: DatiPersonali, cert: CertificateInfo) -> None:
    """The certificate must name the same person as EF_DatiPersonali."""
    if cert.codice_fiscale != dati.codice_fiscale.upper():
        raise CertificateInvalid("the certificate names another codice fiscale than the card", reason="mismatch")
    for ours, theirs in ((dati.surname, cert.surname), (dati.given_name, cert.given_name)):
        if theirs and _norm(ours) and _norm(theirs) != _norm(ours):
            raise CertificateInvalid("the certificate names another person than the card", reason="mismatch")
