"""An ISO/IEC 7816-4 card in software: files, PIN with its tries counter, an RSA key.

``EmulatedCard.process(command) -> response`` is the whole card: the vpcd link feeds it APDUs.
It implements just what a TS-CNS/CNS and a CIE 3.0 answer to the kiosk and to OpenSC: SELECT
(by file id, by path from the MF or the current DF, by AID), READ BINARY (offset or short file
id), VERIFY (tries query and PIN), MSE restore/set, PSO decipher with command chaining (a raw RSA
private operation, how the CNS signs), INTERNAL AUTHENTICATE (CIE), GET RESPONSE is never needed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from hardware.card import apdu as sw

MF = 0x3F00
EXTENDED_MAX = 65536  # an extended Le of 0000


def with_tck(atr: bytes) -> bytes:
    """The ATR with its check byte (TCK) recomputed: XOR of T0..last byte is zero."""
    body = bytes(atr[:-1])
    check = 0
    for byte in body[1:]:
        check ^= byte
    return body + bytes([check])


@dataclass
class Node:
    fid: int
    data: bytes | None = None  # None: a DF
    children: dict[int, Node] = field(default_factory=dict)
    sfi: int | None = None
    aid: bytes | None = None
    needs_pin: bool = False
    fault_sw: int | None = None  # answer READ BINARY with this status word instead of the data
    needs_sm: bool = False  # readable only through secure messaging (after PACE)

    @property
    def is_df(self) -> bool:
        return self.data is None


class EmulatedCard:
    """One card: ``atr``, a file tree, one PIN (reference 0x10, also as 0x90), one RSA key."""

    def __init__(self, *, atr: bytes, pin: str = "12345678", tries_left: int = 3,
                 key: rsa.RSAPrivateKey | None = None, max_tries: int = 3) -> None:
        self.atr = with_tck(atr)
        self.mf = Node(MF)
        self.pin = pin
        self.max_tries = max_tries
        self.tries_left = tries_left
        self.key = key
        self.internal_auth_key: rsa.RSAPrivateKey | None = None
        self.apdus = 0
        self.pace = None  # a ``PaceChip`` when the card does PACE and secure messaging
        self.under_sm = False  # the command being run came through secure messaging
        self._lock = threading.Lock()
        self.reset()

    # -- building -------------------------------------------------------------------------------

    def add_file(self, path: str, data: bytes, *, sfi: int | None = None, needs_pin: bool = False,
                 fault_sw: int | None = None) -> Node:
        """Put an EF at ``"3F00/1100/1102"`` (intermediate DFs are made as needed)."""
        parent = self.mf
        parts = [int(p, 16) for p in path.split("/") if p]
        if parts and parts[0] == MF:
            parts = parts[1:]
        for fid in parts[:-1]:
            parent = parent.children.setdefault(fid, Node(fid))
        node = Node(parts[-1], data=bytes(data), sfi=sfi, needs_pin=needs_pin, fault_sw=fault_sw)
        parent.children[parts[-1]] = node
        return node

    def add_application(self, aid: bytes, fid: int) -> Node:
        node = self.mf.children.setdefault(fid, Node(fid))
        node.aid = bytes(aid)
        return node

    # -- card life ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Power on/reset: MF selected, PIN not verified, no security environment, no chain."""
        self.current_df = self.mf
        self.current_ef: Node | None = None
        self.is_pin_verified = False
        self.security_env: str | None = None
        self._chain = b""
        if self.pace is not None:
            self.pace.reset()

    @property
    def is_blocked(self) -> bool:
        return self.tries_left <= 0

    def process(self, command: bytes) -> bytes:
        """One command APDU in, one response APDU out (never raises for a malformed command)."""
        with self._lock:
            self.apdus += 1
            try:
                if self.pace is not None:
                    data, status = self.pace.process(bytes(command), self._dispatch_as)
                else:
                    data, status = self._dispatch(bytes(command))
            except (IndexError, ValueError):
                data, status = b"", sw.SW_WRONG_LENGTH
            return data + status.to_bytes(2, "big")

    def _dispatch_as(self, c: bytes, secure: bool) -> tuple[bytes, int]:
        self.under_sm = secure
        try:
            return self._dispatch(c)
        finally:
            self.under_sm = False

    def _dispatch(self, c: bytes) -> tuple[bytes, int]:
        if len(c) < 4:
            return b"", sw.SW_WRONG_LENGTH
        cla, ins, p1, p2 = c[0], c[1], c[2], c[3]
        lc_data, le = _body(c)
        if cla & 0xE0:
            return b"", sw.SW_CLA_NOT_SUPPORTED
        if cla & 0x10 and ins != 0x2A:
            return b"", 0x6884  # chaining not supported for this command
        handler = {0xA4: self._select, 0xB0: self._read_binary, 0x20: self._verify, 0x22: self._mse,
                   0x2A: self._pso, 0x88: self._internal_authenticate}.get(ins)
        if handler is None:
            return b"", sw.SW_INS_NOT_SUPPORTED
        return handler(cla, p1, p2, lc_data, le)

    # -- commands -------------------------------------------------------------------------------

    def _select(self, cla, p1, p2, data, le):
        if p1 == 0x04:
            for node in self.mf.children.values():
                if node.aid is not None and node.aid == data:
                    self.current_df, self.current_ef = node, None
                    return self._fcp(node, p2)
            return b"", sw.SW_FILE_NOT_FOUND
        if len(data) % 2 or not data:
            return b"", sw.SW_WRONG_LENGTH
        fids = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
        if p1 == 0x00 and len(fids) == 1:
            fid = fids[0]
            if fid == MF:
                node = self.mf
            elif fid in self.current_df.children:
                node = self.current_df.children[fid]
            elif fid in self.mf.children:
                node = self.mf.children[fid]
            else:
                return b"", sw.SW_FILE_NOT_FOUND
            return self._land(node, p2)
        if p1 in (0x08, 0x09):
            node = self.mf if p1 == 0x08 else self.current_df
            if fids and fids[0] == MF and p1 == 0x08:
                fids = fids[1:]
            for fid in fids:
                if node.is_df and fid in node.children:
                    node = node.children[fid]
                else:
                    return b"", sw.SW_FILE_NOT_FOUND
            return self._land(node, p2)
        return b"", sw.SW_WRONG_P1P2

    def _land(self, node: Node, p2: int):
        if node.is_df:
            self.current_df, self.current_ef = node, None
        else:
            self.current_ef = node
        return self._fcp(node, p2)

    def _fcp(self, node: Node, p2: int):
        if p2 & 0x0C == 0x0C:
            return b"", sw.SW_OK
        fid = node.fid.to_bytes(2, "big")
        if node.is_df:
            body = b"\x82\x01\x38\x83\x02" + fid
            if node.aid:
                body += b"\x84" + bytes([len(node.aid)]) + node.aid
        else:
            size = len(node.data or b"").to_bytes(2, "big")
            access = b"\x10" if node.needs_pin else b"\x00"
            body = b"\x80\x02" + size + b"\x82\x01\x01\x83\x02" + fid + b"\x86\x09" + access + b"\xff" * 8
        return b"\x62" + bytes([len(body)]) + body, sw.SW_OK

    def _read_binary(self, cla, p1, p2, data, le):
        if p1 & 0x80:
            sfi = p1 & 0x1F
            node = next((n for n in _walk(self.current_df) if n.sfi == sfi), None)
            if node is None:
                return b"", sw.SW_FILE_NOT_FOUND
            self.current_ef, offset = node, p2
        else:
            node, offset = self.current_ef, (p1 << 8) | p2
            if node is None:
                return b"", sw.SW_CONDITIONS
        if node.fault_sw is not None:
            return b"", node.fault_sw
        if node.needs_pin and not self.is_pin_verified:
            return b"", sw.SW_SECURITY_NOT_SATISFIED
        if node.needs_sm and not self.under_sm:
            return b"", sw.SW_SECURITY_NOT_SATISFIED
        content = node.data or b""
        if offset >= len(content) and not (offset == 0 and not content):
            return b"", sw.SW_WRONG_OFFSET
        want = 256 if le in (None, 0) else le
        chunk = content[offset:offset + want]
        if le not in (None, 0, EXTENDED_MAX) and len(chunk) < le:
            return chunk, sw.SW_END_OF_FILE
        return chunk, sw.SW_OK

    def _verify(self, cla, p1, p2, data, le):
        if p1 != 0x00 or p2 & 0x7F != 0x10:
            return b"", sw.SW_FILE_NOT_FOUND  # no such PIN reference
        if self.is_blocked:
            return b"", sw.SW_AUTH_BLOCKED
        if not data:
            return b"", (sw.SW_OK if self.is_pin_verified else 0x63C0 | self.tries_left)
        if self.pin is None:
            return b"", sw.SW_CONDITIONS
        candidate = data.rstrip(b"\xff")
        if candidate == self.pin.encode("ascii"):
            self.tries_left, self.is_pin_verified = self.max_tries, True
            return b"", sw.SW_OK
        self.tries_left = max(self.tries_left - 1, 0)
        self.is_pin_verified = False
        return b"", 0x63C0 | self.tries_left

    def _mse(self, cla, p1, p2, data, le):
        if p1 == 0xF3:  # restore
            self.security_env, self._chain = None, b""
            return b"", sw.SW_OK
        if p1 == 0xF1 and p2 == 0xB8 and data == b"\x83\x01\x01":
            self.security_env = "decipher"
            return b"", sw.SW_OK
        if p1 == 0xF1 and p2 in (0xB6, 0xA4) and data[:2] == b"\x83\x01":
            self.security_env = "decipher"  # OpenSC sets sign/authenticate on the same key
            return b"", sw.SW_OK
        if p1 == 0x41 and p2 == 0xA4 and self.internal_auth_key is not None:
            self.security_env = "internal_auth"
            return b"", sw.SW_OK
        return b"", sw.SW_WRONG_DATA

    def _pso(self, cla, p1, p2, data, le):
        if (p1, p2) not in ((0x80, 0x86), (0x9E, 0x9A)):
            return b"", sw.SW_WRONG_P1P2
        self._chain += data
        if cla & 0x10:
            return b"", sw.SW_OK
        block, self._chain = self._chain, b""
        if self.key is None or self.security_env != "decipher":
            return b"", sw.SW_CONDITIONS
        if not self.is_pin_verified:
            return b"", sw.SW_SECURITY_NOT_SATISFIED
        size = self.key.key_size // 8
        if len(block) == size + 1 and block[0] == 0x00:
            block = block[1:]  # a padding-indicator byte
        if len(block) != size:
            return b"", sw.SW_WRONG_LENGTH
        return raw_rsa(self.key, block), sw.SW_OK

    def _internal_authenticate(self, cla, p1, p2, data, le):
        key = self.internal_auth_key
        if key is None or self.security_env != "internal_auth":
            return b"", sw.SW_CONDITIONS
        size = key.key_size // 8
        if not 1 <= len(data) <= size - 11:
            return b"", sw.SW_WRONG_LENGTH
        block = b"\x00\x01" + b"\xff" * (size - len(data) - 3) + b"\x00" + data
        return raw_rsa(key, block), sw.SW_OK


def raw_rsa(key: rsa.RSAPrivateKey, block: bytes) -> bytes:
    """The RSA private operation on ``block`` (what a card's PSO decipher does), with CRT."""
    numbers = key.private_numbers()
    m = int.from_bytes(block, "big")
    n = numbers.public_numbers.n
    if m >= n:
        raise ValueError("block larger than the modulus")
    m1 = pow(m, numbers.dmp1, numbers.p)
    m2 = pow(m, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (m1 - m2)) % numbers.p
    return (m2 + h * numbers.q).to_bytes(key.key_size // 8, "big")


def _body(c: bytes) -> tuple[bytes, int | None]:
    """(data, Le) of a command APDU; ``Le=None`` when absent, 0 meaning 256 (short), 65536 extended."""
    if len(c) == 4:
        return b"", None
    if len(c) == 5:
        return b"", c[4]
    if c[4] == 0 and len(c) >= 7:  # extended length
        if len(c) == 7:
            return b"", int.from_bytes(c[5:7], "big") or EXTENDED_MAX
        lc = int.from_bytes(c[5:7], "big")
        data = c[7:7 + lc]
        rest = c[7 + lc:]
        if len(data) != lc or lc == 0 or len(rest) not in (0, 2):
            raise ValueError("extended Lc disagrees with the data")
        return data, (int.from_bytes(rest, "big") or EXTENDED_MAX) if rest else None
    lc = c[4]
    data = c[5:5 + lc]
    if len(data) != lc:
        raise ValueError("Lc disagrees with the data")
    rest = c[5 + lc:]
    if len(rest) > 1:
        raise ValueError("trailing bytes")
    return data, (rest[0] if rest else None)


def _walk(node: Node):
    for child in node.children.values():
        yield child
        if child.is_df:
            yield from _walk(child)
