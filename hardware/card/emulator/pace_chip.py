"""The chip's side of PACE and of secure messaging, for the emulated CIE (ICAO Doc 9303 part 11).

Written from the chip's role, apart from the reader's ``hardware.card.pace``: the chip makes and
encrypts the nonce, maps with its own key, checks the terminal's token and answers 6300 when it
does not verify (a wrong CAN), then unwraps protected commands and wraps its answers. What both
sides share (the KDF, the curve arithmetic, the token's CMAC) is checked against ICAO's worked
example in ``tests/test_card_pace_vectors.py``. ``corrupt_mac_at``: spoil the MAC of the Nth
protected response (a test of the reader's check).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from hardware.card import tlv
from hardware.card.ec import BRAINPOOL_P256R1, Curve
from hardware.card.pace import kdf, token

SW_OK, SW_AUTH_FAILED, SW_SM_WRONG, SW_SM_MISSING = 0x9000, 0x6300, 0x6988, 0x6987
SW_CONDITIONS, SW_WRONG_DATA, SW_NO_PASSWORD = 0x6985, 0x6A80, 0x6A88


def _aes(key: bytes, iv: bytes | None, data: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.ECB() if iv is None else modes.CBC(iv))
    worker = cipher.decryptor() if decrypt else cipher.encryptor()
    return worker.update(data) + worker.finalize()


def _mac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:8]


def _iso_pad(data: bytes) -> bytes:
    out = bytearray(data) + b"\x80"
    while len(out) % 16:
        out.append(0)
    return bytes(out)


class ChipSession:
    """The chip's secure messaging: a send sequence counter and the two session keys."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes) -> None:
        self.keys = (ks_enc, ks_mac)
        self.ssc = 0
        self.responses = 0

    def _counter(self) -> bytes:
        return self.ssc.to_bytes(16, "big")

    def open_command(self, c: bytes) -> bytes | None:
        """The plain command inside a protected one, or ``None`` when it does not verify."""
        ks_enc, ks_mac = self.keys
        self.ssc += 1
        if len(c) < 6:
            return None
        header = c[:4]
        if c[4] == 0 and len(c) > 7:
            size = int.from_bytes(c[5:7], "big")
            body, trailer = c[7:7 + size], c[7 + size:]
        else:
            size = c[4]
            body, trailer = c[5:5 + size], c[5 + size:]
        if len(body) != size or len(trailer) > 2:
            return None
        objects = {}
        covered = b""
        position = 0
        while position < len(body):
            item = tlv.read_one(body, position)
            objects[item.tag] = item.value
            if item.tag != 0x8E:
                covered += body[position:item.end]
            position = item.end
        if 0x8E not in objects:
            return None
        expected = _mac(ks_mac, _iso_pad(self._counter() + _iso_pad(header) + covered))
        if not hmac.compare_digest(expected, objects[0x8E]):
            return None
        data = b""
        if 0x87 in objects:
            cryptogram = objects[0x87]
            if cryptogram[:1] != b"\x01":
                return None
            clear = _aes(ks_enc, _aes(ks_enc, None, self._counter()), cryptogram[1:], decrypt=True)
            data = clear[:clear.rstrip(b"\x00").rindex(b"\x80")]
        le = None
        if 0x97 in objects:
            raw = objects[0x97]
            le = int.from_bytes(raw, "big") or (256 if len(raw) == 1 else 65536)
        plain_header = bytes([c[0] & ~0x0C & 0xFF]) + header[1:]
        is_extended = len(data) > 255 or (le is not None and le > 256)
        if is_extended:
            command = plain_header + b"\x00"
            if data:
                command += len(data).to_bytes(2, "big") + data
            if le is not None:
                command += (le % 65536).to_bytes(2, "big")
            return command
        command = plain_header + (bytes([len(data)]) + data if data else b"")
        if le is not None:
            command += bytes([le % 256])
        return command

    def seal_response(self, data: bytes, sw: int, *, corrupt: bool = False) -> bytes:
        ks_enc, ks_mac = self.keys
        self.ssc += 1
        self.responses += 1
        body = b""
        if data:
            iv = _aes(ks_enc, None, self._counter())
            body += tlv.encode(0x87, b"\x01" + _aes(ks_enc, iv, _iso_pad(data)))
        body += tlv.encode(0x99, sw.to_bytes(2, "big"))
        mac = bytearray(_mac(ks_mac, _iso_pad(self._counter() + body)))
        if corrupt:
            mac[0] ^= 0x01
        return body + tlv.encode(0x8E, bytes(mac))


class PaceChip:
    """PACE-GM (ECDH, AES-128) as a chip runs it, then secure messaging for everything after."""

    def __init__(self, *, card_access: bytes, passwords: dict[int, bytes], curve: Curve = BRAINPOOL_P256R1,
                 nonce: Callable[[], bytes] | None = None, scalars: Callable[[], int] | None = None) -> None:
        self.card_access = card_access
        self.passwords = dict(passwords)
        self.curve = curve
        self._nonce = nonce or (lambda: os.urandom(16))
        self._scalar = scalars or curve.random_scalar
        self.oid = tlv.find(tlv.find(tlv.find(card_access, 0x31), 0x30), 0x06)
        self.corrupt_mac_at: int | None = None
        self.failed_attempts = 0
        self.reset()

    def reset(self) -> None:
        self.session: ChipSession | None = None
        self._step = 0
        self._key: bytes | None = None

    # -- PACE -----------------------------------------------------------------------------------

    def authenticate(self, c: bytes) -> tuple[bytes, int]:
        """MSE:Set AT and the four General Authenticates (plain commands)."""
        ins = c[1]
        if ins == 0x22:
            return self._set_at(c)
        if ins != 0x86 or self._key is None:
            return b"", SW_CONDITIONS
        size = c[4]
        data = c[5:5 + size]
        try:
            dynamic = tlv.find(data, 0x7C)
            items = {item.tag: item.value for item in tlv.parse(dynamic)}
        except Exception:  # noqa: BLE001 - any malformed input is wrong data to a card
            return b"", SW_WRONG_DATA
        is_chained = bool(c[0] & 0x10)
        curve = self.curve
        try:
            if self._step == 1 and not items and is_chained:
                self._s = self._nonce()
                z = _aes(self._key, bytes(16), self._s)
                return self._answer(0x80, z, step=2)
            if self._step == 2 and 0x81 in items and is_chained:
                sk = self._scalar()
                terminal_map = curve.decode_point(items[0x81])
                h = curve.multiply(sk, terminal_map)
                self._generator = curve.add(curve.multiply(int.from_bytes(self._s, "big"), curve.g), h)
                return self._answer(0x82, curve.encode_point(curve.multiply(sk, curve.g)), step=3)
            if self._step == 3 and 0x83 in items and is_chained:
                self._eph_sk = self._scalar()
                self._terminal_eph = curve.decode_point(items[0x83])
                self._eph_pk = curve.multiply(self._eph_sk, self._generator)
                return self._answer(0x84, curve.encode_point(self._eph_pk), step=4)
            if self._step == 4 and 0x85 in items and not is_chained:
                secret = curve.x_bytes(curve.multiply(self._eph_sk, self._terminal_eph))
                ks_enc, ks_mac = kdf(secret, 1), kdf(secret, 2)
                if not hmac.compare_digest(items[0x85], token(ks_mac, self.oid, curve, self._eph_pk)):
                    self.failed_attempts += 1
                    self.reset()
                    return b"", SW_AUTH_FAILED
                self.session = ChipSession(ks_enc, ks_mac)
                self._step, self._key = 0, None
                return tlv.encode(0x7C, tlv.encode(0x86, token(ks_mac, self.oid, curve, self._terminal_eph))), SW_OK
        except Exception:  # noqa: BLE001 - a point off the curve, and the like
            self.reset()
            return b"", SW_WRONG_DATA
        self.reset()
        return b"", SW_CONDITIONS

    def _set_at(self, c: bytes) -> tuple[bytes, int]:
        self.reset()
        if c[2:4] != b"\xC1\xA4":
            return b"", SW_WRONG_DATA
        try:
            items = {item.tag: item.value for item in tlv.parse(c[5:5 + c[4]])}
        except Exception:  # noqa: BLE001
            return b"", SW_WRONG_DATA
        if items.get(0x80) != self.oid or len(items.get(0x83, b"")) != 1:
            return b"", SW_WRONG_DATA
        key = self.passwords.get(items[0x83][0])
        if key is None:
            return b"", SW_NO_PASSWORD
        self._key, self._step = key, 1
        return b"", SW_OK

    def _answer(self, tag: int, value: bytes, *, step: int) -> tuple[bytes, int]:
        self._step = step
        return tlv.encode(0x7C, tlv.encode(tag, value)), SW_OK

    # -- the card's front door ------------------------------------------------------------------

    def process(self, c: bytes, inner: Callable[[bytes, bool], tuple[bytes, int]]) -> tuple[bytes, int]:
        """One command: PACE, a protected command (unwrapped, run by ``inner(command, True)``, wrapped), or plain."""
        if len(c) >= 4 and c[0] & 0x0C == 0x0C:
            session = self.session
            if session is None:
                return b"", SW_SM_MISSING
            try:
                command = session.open_command(c)
            except Exception:  # noqa: BLE001 - malformed objects
                command = None
            if command is None:
                self.reset()  # an SM error ends the session (9303-11 9.8.4)
                return b"", SW_SM_WRONG
            data, sw = inner(command, True)
            corrupt = self.corrupt_mac_at is not None and session.responses + 1 == self.corrupt_mac_at
            return session.seal_response(data, sw, corrupt=corrupt), sw
        if len(c) >= 5 and (c[1] == 0x86 or (c[1] == 0x22 and c[2] == 0xC1)):
            return self.authenticate(c)
        self.session = None  # a plain command ends secure messaging
        return inner(c, False)
