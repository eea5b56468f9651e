"""Talking to one inserted card over any transport: the TS-CNS/CNS and CIE command sequences.

``CardSession(transmit, atr)`` needs only a function that sends a command APDU and returns the
response APDU (data + SW1 SW2). The PC/SC backend passes pyscard's ``SCardTransmit``; tests may pass
the emulator directly. Every method uses as few APDUs as the card allows; ``apdu_count`` tells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hardware.card import apdu, cns
from hardware.card.port import CardIdentity, PinResult
from hardware.errors import (
    CardBlocked, CardDataInvalid, CardError, CardNotSupported, CertificateInvalid, PinRequired,
)

MAX_GET_RESPONSE = 12  # reads are chunked to one response; a card that keeps saying "61xx, more" is broken

Transmit = Callable[[bytes], bytes]

DATI_PERSONALI = "3F00/1100/1102"
ID_CARTA = "3F00/1000/1003"
CERTIFICATE_LAYOUTS = ("3F00/1100/1101", "3F00/1400/9001/2002", "3F00/2FFF/8228", "3F00/DA01/C001")
MAX_FILE = 4096
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True, repr=False)
class CardRead:
    """Everything one read of a CNS yields (personal data: keep in memory, never log)."""

    identity: CardIdentity
    certificate_der: bytes
    certificate: cns.CertificateInfo
    certificate_path: str

    def __repr__(self) -> str:
        return f"CardRead({self.identity!r})"


@dataclass(frozen=True)
class CieRead:
    """What a CIE says without PIN or PACE: its NIS, and whether its chip proved genuine."""

    nis: str
    is_genuine: bool


class CardSession:
    """The command sequences of a TS-CNS/CNS or a CIE, over ``transmit``."""

    def __init__(self, transmit: Transmit, atr: bytes) -> None:
        self._transmit = transmit
        self.atr = bytes(atr)
        self.cns_atr = cns.parse_cns_atr(self.atr)
        self.apdu_count = 0

    @property
    def is_cns(self) -> bool:
        return self.cns_atr is not None

    # -- plumbing -------------------------------------------------------------------------------

    def send(self, command: bytes) -> tuple[bytes, int]:
        """Send one command; follows ``61xx`` (GET RESPONSE) and ``6Cxx`` (wrong Le) by itself."""
        self.apdu_count += 1
        data, sw = apdu.split_response(self._transmit(bytes(command)))
        if sw & 0xFF00 == 0x6C00 and len(command) >= 5:
            self.apdu_count += 1
            data, sw = apdu.split_response(self._transmit(bytes(command[:-1]) + bytes([sw & 0xFF])))
        for _ in range(MAX_GET_RESPONSE):
            if sw & 0xFF00 != 0x6100:
                break
            self.apdu_count += 1
            more, sw = apdu.split_response(self._transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF])))
            data += more
        else:
            if sw & 0xFF00 == 0x6100:
                raise CardDataInvalid("the card keeps answering 'more data' (61xx) without end")
        return data, sw

    def _ok(self, command: bytes, what: str) -> bytes:
        data, sw = self.send(command)
        apdu.raise_for(sw, what)
        return data

    def read_file(self, path: str, *, size_from: Callable[[bytes], int] | None = None) -> bytes:
        """SELECT ``path`` and READ BINARY it whole; ``size_from(first_chunk)`` sizes it when given."""
        self._ok(apdu.select_path(path), f"select {path}")
        return self._read_selected(path, size_from=size_from)

    def _read_selected(self, path: str, *, size_from: Callable[[bytes], int] | None = None) -> bytes:
        data, want = b"", None
        while want is None or len(data) < want:
            count = 0 if want is None else min(want - len(data), 256)
            chunk, sw = self.send(apdu.read_binary(len(data), count))
            if sw == apdu.SW_WRONG_OFFSET and data:
                break  # the file ended exactly on a chunk boundary (or is shorter than declared)
            apdu.raise_for(sw, f"read {path}")
            data += chunk
            if len(data) > MAX_FILE:
                raise CardDataInvalid(f"{path} is implausibly large")
            if not chunk:
                break
            if size_from is not None and want is None:
                want = size_from(data)
                if want > MAX_FILE:
                    raise CardDataInvalid(f"{path} declares an implausible size")
            elif want is None and (len(chunk) < 256 or sw == apdu.SW_END_OF_FILE):
                break
        return data if want is None else data[:want]

    # -- TS-CNS / CNS ---------------------------------------------------------------------------

    def read_cns(self, *, trust: Callable[[cns.CertificateInfo], None] | None = None) -> CardRead:
        """EF_DatiPersonali, EF_IDCarta and the certificate, parsed and cross-checked.

        ``trust(info)`` (optional) checks the certificate's chain and dates and raises
        ``CertificateInvalid``.
        """
        if not self.is_cns:
            raise CardNotSupported("the card's ATR is not a CNS's")
        raw = self.read_file(DATI_PERSONALI, size_from=_dati_size)
        dati = cns.parse_dati_personali(raw)
        card_serial = cns.parse_id_carta(self.read_file(ID_CARTA))
        der, path = self._certificate()
        info = cns.parse_certificate(der)
        cns.cross_check(dati, info)
        if not cns.is_codice_fiscale_valid(dati.codice_fiscale.upper()):
            raise CardDataInvalid("EF_DatiPersonali holds a codice fiscale with a wrong check character")
        if trust is not None:
            trust(info)
        identity = _identity(dati, info, card_serial)
        return CardRead(identity=identity, certificate_der=der, certificate=info, certificate_path=path)

    def _certificate(self) -> tuple[bytes, str]:
        """The first certificate layout present; sized from its own DER header, not the file's."""
        for path in CERTIFICATE_LAYOUTS:
            _, sw = self.send(apdu.select_path(path))
            if sw == apdu.SW_FILE_NOT_FOUND:
                continue
            apdu.raise_for(sw, f"select {path}")
            data = self._read_selected(path, size_from=_certificate_size)
            return cns.certificate_der(data), path
        raise CertificateInvalid("the card holds no authentication certificate", reason="missing")

    def pin_tries_left(self) -> int:
        """VERIFY without data: the tries left, spending none."""
        _, sw = self.send(apdu.verify(self._pin_reference()))
        tries = apdu.tries_in(sw)
        if tries is not None:
            return tries
        if sw == apdu.SW_AUTH_BLOCKED:
            return 0
        if sw == apdu.SW_OK:
            return 3  # already verified in this session: the counter is full
        apdu.raise_for(sw, "PIN status")
        raise CardError(f"PIN status: unexpected answer {sw:04X}")

    def verify_pin(self, pin: str) -> PinResult:
        """VERIFY the PIN (5-8 ASCII digits padded with FF)."""
        _, sw = self.send(apdu.verify(self._pin_reference(), pin))
        if sw == apdu.SW_OK:
            return PinResult(ok=True, tries_left=3, is_blocked=False)
        tries = apdu.tries_in(sw)
        if tries is not None:
            return PinResult(ok=False, tries_left=tries, is_blocked=tries == 0)
        if sw == apdu.SW_AUTH_BLOCKED:
            return PinResult(ok=False, tries_left=0, is_blocked=True)
        apdu.raise_for(sw, "PIN")
        raise CardError(f"PIN: unexpected answer {sw:04X}")

    def sign(self, challenge: bytes, *, key_bits: int) -> bytes:
        """PKCS#1 v1.5 signature over SHA-256(``challenge``): MSE restore, MSE set, PSO with chaining."""
        digest_info = SHA256_DIGEST_INFO + hashlib.sha256(challenge).digest()
        size = key_bits // 8
        if size < len(digest_info) + 11:
            raise CardError("the card's key is too small for a SHA-256 signature")
        block = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
        self._ok(bytes([0x00, 0x22, 0xF3, 0x03, 0x00]), "restore security environment")
        self._ok(bytes([0x00, 0x22, 0xF1, 0xB8, 0x03, 0x83, 0x01, 0x01]), "set security environment")
        commands = apdu.chained(bytes([0x00, 0x2A, 0x80, 0x86]), block)
        for command in commands[:-1]:
            self._ok(command, "signature (chained block)")
        data, sw = self.send(commands[-1])
        if sw == apdu.SW_SECURITY_NOT_SATISFIED:
            raise PinRequired("the card signs only after its PIN has been verified")
        apdu.raise_for(sw, "signature")
        if len(data) != size:
            raise CardError("the card's signature has the wrong length")
        return data

    def _pin_reference(self) -> int:
        return self.cns_atr.pin_reference if self.cns_atr is not None else 0x10

    # -- CIE 3.0 --------------------------------------------------------------------------------

    def read_cie(self, *, challenge: bytes) -> CieRead:
        """Select the IAS and CIE applets, read the NIS, check the chip with an internal authenticate."""
        _, sw = self.send(apdu.select_aid(apdu.IAS_AID))
        if sw != apdu.SW_OK:
            raise CardNotSupported("the card is neither a CNS nor a CIE")
        self._ok(apdu.select_aid(apdu.CIE_AID), "select the CIE applet")
        nis_raw = self._ok(apdu.read_binary_sfi(0x01, 0x0C), "read the NIS")
        try:
            nis = nis_raw.decode("ascii")
        except UnicodeDecodeError:
            raise CardDataInvalid("the CIE's NIS is not text") from None
        if len(nis) != 12 or not nis.isalnum():
            raise CardDataInvalid("the CIE's NIS is not 12 characters")
        key_der = self._ok(apdu.read_binary_sfi(0x05), "read the chip's public key")
        while len(key_der) % 256 == 0 and key_der and len(key_der) < MAX_FILE:
            more, sw = self.send(apdu.read_binary(len(key_der)))
            if sw == apdu.SW_WRONG_OFFSET or not more:
                break
            apdu.raise_for(sw, "read the chip's public key")
            key_der += more
        try:
            public = serialization.load_der_public_key(key_der)
        except (ValueError, TypeError):
            raise CardDataInvalid("the CIE's public key (1005) is malformed") from None
        if not isinstance(public, rsa.RSAPublicKey):
            raise CardDataInvalid("the CIE's public key (1005) is not RSA")
        self._ok(bytes([0x00, 0x22, 0x41, 0xA4, 0x06, 0x80, 0x01, 0x02, 0x84, 0x01, 0x83]), "set internal authenticate")
        response = self._ok(bytes([0x00, 0x88, 0x00, 0x00, len(challenge)]) + challenge + b"\x00", "internal authenticate")
        try:
            recovered = public.recover_data_from_signature(response, padding.PKCS1v15(), None)
            is_genuine = recovered == challenge
        except (InvalidSignature, ValueError):
            is_genuine = False
        return CieRead(nis=nis, is_genuine=is_genuine)


def _dati_size(head: bytes) -> int:
    return cns.dati_personali_size(head)


def _certificate_size(head: bytes) -> int:
    """A certificate file's useful size: at offset 0, or after an Infocamere 5-byte header."""
    offset = 5 if head[:1] != b"\x30" and head[5:6] == b"\x30" else 0
    return offset + cns.der_size(head[offset:offset + 6])


def _identity(dati: cns.DatiPersonali, info: cns.CertificateInfo, card_serial: str) -> CardIdentity:
    sex = dati.sex.upper()
    if sex not in ("M", "F"):
        raise CardDataInvalid("EF_DatiPersonali: sex is neither M nor F")
    if not dati.surname or not dati.given_name:
        raise CardDataInvalid("EF_DatiPersonali: the holder's name is missing")
    card_id = info.card_id or card_serial
    card_type = "TS-CNS" if card_id.startswith(cns.TS_CNS_ISSUER_PREFIX) else "CNS"
    return CardIdentity(
        card_type=card_type, card_id=card_id, codice_fiscale=dati.codice_fiscale.upper(),
        surname=dati.surname.upper(), given_name=dati.given_name.upper(), birth_date=dati.date("birth_date"),
        sex=sex, birth_place_code=(dati.birth_town_code or dati.birth_country).upper(),
        issue_date=dati.date("issue_date"), expiry_date=dati.date("expiry_date"), issuer=dati.issuer_code,
    )


def check_validity(info: cns.CertificateInfo, *, now: dt.datetime | None = None) -> None:
    """The certificate's validity dates must include ``now``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now < info.not_before:
        raise CertificateInvalid("the card's certificate is not valid yet", reason="expired")
    if now > info.not_after:
        raise CertificateInvalid("the card's certificate has expired", reason="expired")


__all__ = ["CardBlocked", "CardRead", "CardSession", "CieRead", "check_validity"]
