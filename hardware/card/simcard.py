"""Simulated cards: the sample citizen, the sample operator, and their test PKI.

Keys and certificates are made lazily, on first use, with ``cryptography``; the test CA is made
once per process (it holds no state and is never trusted outside tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from hardware.card.port import CardIdentity

DEFAULT_PIN = "12345678"


@dataclass(kw_only=True, eq=False)
class SimCard:
    """A card for ``SimCardReader``: identity, PIN, tries left, and a key made on demand."""

    identity: CardIdentity
    pin: str = field(default=DEFAULT_PIN, repr=False)
    tries_left: int = 3
    key: rsa.RSAPrivateKey | None = field(default=None, repr=False)
    certificate_der: bytes | None = field(default=None, repr=False)

    @property
    def is_blocked(self) -> bool:
        return self.tries_left <= 0

    def private_key(self) -> rsa.RSAPrivateKey:
        if self.key is None:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.key

    def certificate(self) -> bytes:
        if self.certificate_der is None:
            self.certificate_der = _issue(self.identity, self.private_key())
        return self.certificate_der

    @classmethod
    def sample(cls, *, pin: str = DEFAULT_PIN, tries_left: int = 3) -> SimCard:
        """The sample citizen used everywhere: GIULIA BIANCHI, born in Roma on 1985-03-12."""
        identity = CardIdentity(
            card_type="TS-CNS",
            card_id="80380001234567890123",
            codice_fiscale="BNCGLI85C52H501R",
            surname="BIANCHI",
            given_name="GIULIA",
            birth_date=dt.date(1985, 3, 12),
            sex="F",
            birth_place_code="H501",
            issue_date=dt.date(2022, 1, 10),
            expiry_date=dt.date(2028, 1, 10),
            issuer="MEF",
        )
        return cls(identity=identity, pin=pin, tries_left=tries_left)

    @classmethod
    def sample_operator(cls, *, pin: str = "87654321", tries_left: int = 3) -> SimCard:
        """The sample operator: LUCA VERDI, born in Milano on 1978-11-07."""
        identity = CardIdentity(
            card_type="CNS",
            card_id="80380009876543210987",
            codice_fiscale="VRDLCU78S07F205R",
            surname="VERDI",
            given_name="LUCA",
            birth_date=dt.date(1978, 11, 7),
            sex="M",
            birth_place_code="F205",
            issue_date=dt.date(2023, 6, 1),
            expiry_date=dt.date(2029, 6, 1),
            issuer="MEF",
        )
        return cls(identity=identity, pin=pin, tries_left=tries_left)


@functools.cache
def test_ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The process's test CA (made on first use): never trusted outside tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sportello test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Sportello Test CNS CA"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


test_ca.__test__ = False  # not a pytest test, despite its name


def _issue(identity: CardIdentity, key: rsa.RSAPrivateKey) -> bytes:
    ca_key, ca_cert = test_ca()
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.b64encode(hashlib.sha1(public_der).digest()[:15]).decode()  # CN <= 64
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.issuer),
            x509.NameAttribute(NameOID.SURNAME, identity.surname),
            x509.NameAttribute(NameOID.GIVEN_NAME, identity.given_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINIT-{identity.codice_fiscale}"),
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"{identity.codice_fiscale}/{identity.card_id}.{digest}"
            ),
        ]
    )
    start = dt.datetime.combine(identity.issue_date, dt.time(), dt.timezone.utc)
    end = dt.datetime.combine(identity.expiry_date, dt.time(), dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)
