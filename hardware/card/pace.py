"""PACE v2 with the CAN, terminal side, and the secure messaging after it (ICAO Doc 9303 part 11).

Only what the CIE speaks: ``id-PACE-ECDH-GM-AES-CBC-CMAC-128`` on brainpoolP256r1 (standardized
domain parameters id 13). The steps, each one APDU:

1. MSE:Set AT ``00 22 C1 A4`` names the protocol and the password (CAN: reference 02).
2. General Authenticate (chained, ``10 86``): the card's encrypted nonce ``z``; ``s = D(K_pi, z)``
   with ``K_pi = KDF(CAN, 3)``.
3. Mapping keys exchanged; ``H = sk_map * PK_map_chip``; the new generator ``G' = s*G + H``.
4. Ephemeral keys on ``G'`` exchanged; ``K = x(sk_eph * PK_eph_chip)``; ``KS_enc = KDF(K, 1)``,
   ``KS_mac = KDF(K, 2)``.
5. ``00 86``: authentication tokens, AES-CMAC over the other side's public key data object.

Then every command goes through ``SecureMessaging`` (AES-128 CBC, CMAC cut to 8 bytes, a 16-byte
send sequence counter from 0). A wrong CAN is never retried here: the caller asks the citizen.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from hardware.card import tlv
from hardware.card.ec import STANDARD_CURVES, Curve
from hardware.errors import CanFormatInvalid, CardDataInvalid, PaceFailed

PACE_OID_PREFIX = bytes.fromhex("04007F0007020204")  # id-PACE (0.4.0.127.0.7.2.2.4)
ECDH_GM_AES_CMAC_128 = bytes.fromhex("04007F00070202040202")  # id-PACE-ECDH-GM-AES-CBC-CMAC-128
PASSWORD_MRZ, PASSWORD_CAN = 0x01, 0x02
KDF_ENC, KDF_MAC, KDF_PI = 1, 2, 3
SW_OK = 0x9000

Send = Callable[[bytes], tuple[bytes, int]]


# -- primitives ------------------------------------------------------------------------------------

def kdf(secret: bytes, counter: int, *, key_length: int = 16) -> bytes:
    """ICAO 9303-11 9.7.1: ``H(secret || counter32)`` cut to the key; SHA-1 for AES-128."""
    digest = hashlib.sha1 if key_length <= 16 else hashlib.sha256
    return digest(bytes(secret) + counter.to_bytes(4, "big")).digest()[:key_length]


def can_key(can: str) -> bytes:
    """``K_pi`` for a CAN: the digits as ISO 8859-1 text into the KDF with counter 3 (9.7.3)."""
    if not isinstance(can, str) or len(can) != 6 or not can.isascii() or not can.isdigit():
        raise CanFormatInvalid("a CAN is the 6 digits printed on the front of the card; nothing was sent")
    return kdf(can.encode("latin-1"), KDF_PI)


def mrz_key(mrz_information: str) -> bytes:
    """``K_pi`` for the MRZ: SHA-1 of document number, birth and expiry dates with check digits."""
    return kdf(hashlib.sha1(mrz_information.encode("ascii")).digest(), KDF_PI)


def pad(data: bytes, block: int = 16) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 80, then 00 to the block size."""
    data = bytes(data) + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    stripped = bytes(data).rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise PaceFailed("a protected response has bad padding", reason="secure_messaging")
    return stripped[:-1]


def aes_ecb(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def aes_cbc(key: bytes, iv: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    worker = cipher.decryptor() if decrypt else cipher.encryptor()
    return worker.update(data) + worker.finalize()


def cmac8(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:8]


def public_key_data(oid: bytes, curve: Curve, point) -> bytes:
    """The public key data object ``7F49 { 06 OID, 86 04||x||y }`` the tokens are computed over."""
    return tlv.encode(0x7F49, tlv.encode(0x06, oid) + tlv.encode(0x86, curve.encode_point(point)))


def token(ks_mac: bytes, oid: bytes, curve: Curve, other_public) -> bytes:
    """The authentication token over the other side's ephemeral public key (9.7.2.5)."""
    return cmac8(ks_mac, public_key_data(oid, curve, other_public))


# -- EF.CardAccess ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaceInfo:
    oid: bytes
    version: int
    parameter_id: int | None


def parse_card_access(data: bytes) -> list[PaceInfo]:
    """The ``PACEInfo`` entries of EF.CardAccess (a SET of SecurityInfos; others are skipped)."""
    infos = []
    for item in tlv.parse(tlv.find(data, 0x31)):
        if item.tag != 0x30:
            continue
        fields = tlv.parse(item.value)
        if len(fields) < 2 or fields[0].tag != 0x06 or fields[1].tag != 0x02:
            continue
        oid = fields[0].value
        if not oid.startswith(PACE_OID_PREFIX) or len(oid) != len(PACE_OID_PREFIX) + 2:
            continue  # PACEDomainParameterInfo and other protocols' infos
        if not 1 <= len(fields[1].value) <= 4:
            raise CardDataInvalid("EF.CardAccess: a PACE version that is not a small integer")
        parameter_id = None
        if len(fields) > 2 and fields[2].tag == 0x02 and 1 <= len(fields[2].value) <= 4:
            parameter_id = int.from_bytes(fields[2].value, "big")
        infos.append(PaceInfo(oid, int.from_bytes(fields[1].value, "big"), parameter_id))
    return infos


def choose(infos: list[PaceInfo]) -> tuple[PaceInfo, Curve]:
    """The PACE this kiosk speaks among the card's offers, or ``PaceFailed(unsupported)``."""
    for info in infos:
        if info.oid == ECDH_GM_AES_CMAC_128 and info.version == 2 and info.parameter_id in STANDARD_CURVES:
            return info, STANDARD_CURVES[info.parameter_id]
    raise PaceFailed("the card offers no PACE this kiosk speaks (ECDH-GM-AES-128 on brainpoolP256r1)",
                     reason="unsupported")


# -- secure messaging ------------------------------------------------------------------------------

class SecureMessaging:
    """AES secure messaging with the session keys PACE agreed (9.8): protect commands, check answers."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, *, ssc: int = 0) -> None:
        self.ks_enc, self.ks_mac, self.ssc = bytes(ks_enc), bytes(ks_mac), ssc

    def _ssc(self) -> bytes:
        return self.ssc.to_bytes(16, "big")

    def protect(self, cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
        """The protected command APDU; ``le`` 1..65536 (65536: extended, "all there is")."""
        self.ssc += 1
        header = bytes([cla | 0x0C, ins, p1, p2])
        body = b""
        if data:
            iv = aes_ecb(self.ks_enc, self._ssc())
            body += tlv.encode(0x87, b"\x01" + aes_cbc(self.ks_enc, iv, pad(data)))
        is_extended = le is not None and le > 256
        if le is not None:
            body += tlv.encode(0x97, (le % 65536).to_bytes(2, "big") if is_extended else bytes([le % 256]))
        mac = cmac8(self.ks_mac, pad(self._ssc() + pad(header) + body))
        body += tlv.encode(0x8E, mac)
        if is_extended or len(body) > 255:
            return header + b"\x00" + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        return header + bytes([len(body)]) + body + b"\x00"

    def unprotect(self, data: bytes, sw: int) -> tuple[bytes, int]:
        """The plain ``(data, sw)`` of a protected response, after checking its MAC."""
        self.ssc += 1
        if not data:
            raise PaceFailed(f"the card answered {sw:04X} without secure messaging: refused",
                             reason="secure_messaging")
        try:
            items = tlv.parse(data)
        except CardDataInvalid:
            raise PaceFailed("a protected response is malformed", reason="secure_messaging") from None
        found = {item.tag: item for item in items}
        if 0x99 not in found or 0x8E not in found or items[-1].tag != 0x8E:
            raise PaceFailed("a protected response lacks its status or MAC", reason="secure_messaging")
        covered = data[:len(data) - len(tlv.encode(0x8E, found[0x8E].value))]
        expected = cmac8(self.ks_mac, pad(self._ssc() + covered))
        if not hmac.compare_digest(expected, found[0x8E].value):
            raise PaceFailed("a response from the card failed its MAC check: refused", reason="secure_messaging")
        status = found[0x99].value
        if len(status) != 2:
            raise PaceFailed("a protected response has a malformed status", reason="secure_messaging")
        plain = b""
        if 0x87 in found:
            cryptogram = found[0x87].value
            if len(cryptogram) < 17 or cryptogram[0] != 0x01 or (len(cryptogram) - 1) % 16:
                raise PaceFailed("a protected response has a malformed cryptogram", reason="secure_messaging")
            iv = aes_ecb(self.ks_enc, self._ssc())
            plain = unpad(aes_cbc(self.ks_enc, iv, cryptogram[1:], decrypt=True))
        return plain, int.from_bytes(status, "big")


# -- the protocol ----------------------------------------------------------------------------------

class PaceTerminal:
    """The terminal's side of one PACE run over ``send`` (one APDU in, ``(data, sw)`` out).

    ``scalar()`` makes the terminal's private keys (random; the tests pass ICAO's worked example).
    """

    def __init__(self, send: Send, *, password_key: bytes, password_ref: int, info: PaceInfo, curve: Curve,
                 scalar: Callable[[], int] | None = None) -> None:
        self._send = send
        self.password_key, self.password_ref = password_key, password_ref
        self.info, self.curve = info, curve
        self._scalar = scalar or curve.random_scalar
        self.nonce = b""
        self.mapped_generator = None
        self.shared_secret = b""

    def establish(self) -> SecureMessaging:
        curve, oid = self.curve, self.info.oid
        mse = tlv.encode(0x80, oid) + tlv.encode(0x83, bytes([self.password_ref]))
        _, sw = self._send(bytes([0x00, 0x22, 0xC1, 0xA4, len(mse)]) + mse)
        if sw != SW_OK:
            raise PaceFailed(f"the card refused to start PACE ({sw:04X})", reason="unsupported")
        encrypted = self._step(0x80, b"", 0x80)
        if not encrypted or len(encrypted) % 16:
            raise PaceFailed("the card's nonce is not whole AES blocks", reason="protocol")
        self.nonce = aes_cbc(self.password_key, b"\x00" * 16, encrypted, decrypt=True)
        s = int.from_bytes(self.nonce, "big")

        sk_map = self._scalar()
        chip_map = self._point(self._step(0x81, curve.encode_point(curve.multiply(sk_map, curve.g)), 0x82))
        h = curve.multiply(sk_map, chip_map)
        generator = curve.add(curve.multiply(s, curve.g), h)
        if h is None or generator is None:
            raise PaceFailed("the mapping gave the point at infinity", reason="protocol")
        self.mapped_generator = generator

        sk_eph = self._scalar()
        own_public = curve.multiply(sk_eph, generator)
        chip_public = self._point(self._step(0x83, curve.encode_point(own_public), 0x84))
        if chip_public == own_public:
            raise PaceFailed("the card echoed the terminal's ephemeral key", reason="protocol")
        self.shared_secret = curve.x_bytes(curve.multiply(sk_eph, chip_public))
        ks_enc, ks_mac = kdf(self.shared_secret, KDF_ENC), kdf(self.shared_secret, KDF_MAC)

        ours = token(ks_mac, oid, curve, chip_public)
        data, sw = self._send(b"\x00\x86\x00\x00" + _ga(tlv.encode(0x85, ours)))
        if sw & 0xFFF0 == 0x63C0 or sw == 0x6300:
            raise PaceFailed("the card refused the CAN: check the 6 digits on the front of the card",
                             reason="wrong_can")
        theirs = self._dynamic(data, sw, 0x86)
        if not hmac.compare_digest(theirs, token(ks_mac, oid, curve, own_public)):
            raise PaceFailed("the card's authentication token does not verify (wrong CAN?)", reason="wrong_can")
        return SecureMessaging(ks_enc, ks_mac)

    def _step(self, tag: int, value: bytes, answer_tag: int) -> bytes:
        payload = tlv.encode(tag, value) if value else b""
        data, sw = self._send(b"\x10\x86\x00\x00" + _ga(payload))
        return self._dynamic(data, sw, answer_tag)

    def _dynamic(self, data: bytes, sw: int, tag: int) -> bytes:
        if sw != SW_OK:
            raise PaceFailed(f"the card broke off PACE ({sw:04X})", reason="protocol")
        try:
            return tlv.find(data, 0x7C, tag)
        except CardDataInvalid:
            raise PaceFailed("the card's PACE answer is malformed", reason="protocol") from None

    def _point(self, raw: bytes):
        try:
            return self.curve.decode_point(raw)
        except CardDataInvalid as err:
            raise PaceFailed(str(err), reason="protocol") from None


def _ga(payload: bytes) -> bytes:
    """The data and Le of a General Authenticate: ``7C`` dynamic authentication data, Le 00."""
    body = tlv.encode(0x7C, payload)
    return bytes([len(body)]) + body + b"\x00"
