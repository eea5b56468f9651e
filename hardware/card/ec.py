"""Elliptic-curve arithmetic over Python ints, for PACE's Generic Mapping (ICAO 9303-11, 4.4.3.3.1).

``cryptography`` does ECDH on named curves but cannot add points or multiply a point that is not
the curve's generator, which the mapping ``G' = s*G + H`` needs. This is the small arithmetic
for that (affine addition, Jacobian scalar multiplication), on brainpoolP256r1 (RFC 5639; PACE standardized domain parameters id 13, the
curve the CIE uses). Not constant-time: the kiosk is the terminal, its keys live for one read.
Every point received from a card goes through ``decode_point``, which refuses points that are not
on the curve (an invalid-curve attack would otherwise leak the terminal's key bits).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hardware.errors import CardDataInvalid

Point = tuple[int, int] | None  # None: the point at infinity


@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve y^2 = x^3 + a*x + b over GF(p), generator ``g`` of prime order ``n``."""

    name: str
    p: int
    a: int
    b: int
    g: tuple[int, int]
    n: int

    @property
    def size(self) -> int:
        """Bytes of one coordinate."""
        return (self.p.bit_length() + 7) // 8

    def is_on_curve(self, point: Point) -> bool:
        if point is None:
            return False
        x, y = point
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def add(self, p1: Point, p2: Point) -> Point:
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        x1, y1 = p1
        x2, y2 = p2
        p = self.p
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None  # P + (-P), which includes doubling a point with y = 0
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, p) % p
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (slope * slope - x1 - x2) % p
        return x3, (slope * (x1 - x3) - y1) % p

    def multiply(self, k: int, point: Point) -> Point:
        """``k * point``: double-and-add in Jacobian coordinates (one inversion at the end)."""
        if point is None or k % self.n == 0:
            return None
        k %= self.n
        p, a = self.p, self.a
        x2, y2 = point
        X, Y, Z = 0, 1, 0  # infinity
        for bit in bin(k)[2:]:
            if Z:  # double: X3 = M^2 - 2S, Y3 = M(S - X3) - 8Y^4, Z3 = 2YZ
                yy = Y * Y % p
                s = 4 * X * yy % p
                zz = Z * Z % p
                m = (3 * X * X + a * zz * zz) % p
                X, Y, Z = (m * m - 2 * s) % p, None, 2 * Y * Z % p
                Y = (m * (s - X) - 8 * yy * yy) % p
            if bit == "1":
                if not Z:
                    X, Y, Z = x2, y2, 1
                    continue
                z1z1 = Z * Z % p  # mixed addition of the affine point
                h = (x2 * z1z1 - X) % p
                r = (y2 * Z * z1z1 - Y) % p
                if h == 0:  # the sum so far is +-point: the result is 2*point or infinity
                    doubled = self.add(point, point) if r == 0 else None
                    X, Y, Z = (doubled[0], doubled[1], 1) if doubled else (0, 1, 0)
                    continue
                hh = h * h % p
                hhh = h * hh % p
                v = X * hh % p
                X = (r * r - hhh - 2 * v) % p
                Y = (r * (v - X) - Y * hhh) % p
                Z = Z * h % p
        if not Z:
            return None
        z_inv = pow(Z, -1, p)
        z_inv2 = z_inv * z_inv % p
        return X * z_inv2 % p, Y * z_inv2 * z_inv % p

    def random_scalar(self) -> int:
        """A private key in [1, n-1]."""
        return secrets.randbelow(self.n - 1) + 1

    def encode_point(self, point: Point) -> bytes:
        """The uncompressed encoding ``04 || x || y``."""
        if point is None:
            raise ValueError("the point at infinity has no uncompressed encoding")
        x, y = point
        return b"\x04" + x.to_bytes(self.size, "big") + y.to_bytes(self.size, "big")

    def decode_point(self, raw: bytes) -> tuple[int, int]:
        """An uncompressed point from a card; ``CardDataInvalid`` unless it lies on this curve."""
        raw = bytes(raw)
        if len(raw) != 1 + 2 * self.size or raw[0] != 0x04:
            raise CardDataInvalid("the card sent an elliptic-curve point that is not uncompressed 04||x||y")
        point = (int.from_bytes(raw[1:1 + self.size], "big"), int.from_bytes(raw[1 + self.size:], "big"))
        if not self.is_on_curve(point):
            raise CardDataInvalid("the card sent a point that is not on the curve: refused")
        return point

    def x_bytes(self, point: Point) -> bytes:
        """The x coordinate, big-endian, the curve's size: the ECDH shared secret of PACE."""
        if point is None:
            raise CardDataInvalid("the key agreement gave the point at infinity")
        return point[0].to_bytes(self.size, "big")


# RFC 5639, 3.4 (the same constants as Botan's and Wycheproof's brainpoolP256r1)
BRAINPOOL_P256R1 = Curve(
    name="brainpoolP256r1",
    p=0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
    a=0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
    b=0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
    g=(0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
       0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997),
    n=0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
)

# PACE standardized domain parameter ids (ICAO 9303-11, table 6) this kiosk speaks
STANDARD_CURVES = {13: BRAINPOOL_P256R1}
