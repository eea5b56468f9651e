"""Is a card's certificate one we trust? Issued by a configured CA, and valid today.

In production the CA certificates are the AgID trust list's CNS issuers (exported as PEM files);
tests configure the CA they generated themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from hardware.errors import CardError, CertificateInvalid


def load_ca_certificates(paths: Iterable[Path | str]) -> tuple[x509.Certificate, ...]:
    """Every certificate in the PEM (or DER) files at ``paths``; a missing file is a ``CardError``."""
    found: list[x509.Certificate] = []
    for path in paths:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise CardError(f"CA certificate file {path} cannot be read: {err.strerror}") from None
        try:
            found.extend(x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                         else [x509.load_der_x509_certificate(data)])
        except ValueError:
            raise CardError(f"CA certificate file {path} holds no valid certificate") from None
    return tuple(found)


class TrustStore:
    """The CA certificates a card certificate must chain to (one level: CNS CAs issue directly)."""

    def __init__(self, cas: Iterable[x509.Certificate] = ()) -> None:
        self.cas = tuple(cas)

    @classmethod
    def from_files(cls, paths: Iterable[Path | str]) -> TrustStore:
        return cls(load_ca_certificates(paths))

    def check(self, certificate: x509.Certificate, *, now: dt.datetime | None = None) -> x509.Certificate:
        """The CA that issued ``certificate``; ``CertificateInvalid`` when none did or dates are off."""
        now = now or dt.datetime.now(dt.timezone.utc)
        if not now >= certificate.not_valid_before_utc:
            raise CertificateInvalid("the card's certificate is not valid yet", reason="expired")
        if not now <= certificate.not_valid_after_utc:
            raise CertificateInvalid("the card's certificate has expired", reason="expired")
        for ca in self.cas:
            if ca.subject != certificate.issuer:
                continue
            try:
                certificate.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
                raise CertificateInvalid("the card's CA certificate has expired", reason="expired")
            return ca
        raise CertificateInvalid("the card's certificate is not from a trusted CA", reason="unknown_ca")


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
