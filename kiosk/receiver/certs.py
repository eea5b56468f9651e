"""X.509 for mutual TLS between kiosks and the receiver: a small CA, server and client certificates.

For the demo, the tests and the benchmark (which make their own in temporary directories) and for
a town hall without a PKI. Keys are EC P-256, written PEM with mode 0600. Nothing here is used on
the request path.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True, slots=True)
class CertFiles:
    cert: Path
    key: Path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: str | os.PathLike[str], *, name: str = "ca", days: int = 3650) -> CertFiles:
    """A self-signed CA (``name.pem`` / ``name.key``) that signs kiosk client certificates."""
    directory = Path(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Sportello {name}"))
        .issuer_name(_name(f"Sportello {name}"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = CertFiles(directory / f"{name}.pem", directory / f"{name}.key")
    _write_key(files.key, key)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def issue(
    directory: str | os.PathLike[str],
    *,
    name: str,
    ca: CertFiles | None = None,
    is_server: bool,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> CertFiles:
    """A leaf certificate ``name.pem``/``name.key``, signed by ``ca`` or (``ca=None``) self-signed.

    A server certificate names ``hosts`` (IP addresses and DNS names); a client certificate carries
    ``name`` (the kiosk id) as its common name.
    """
    directory = Path(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    if ca is not None:
        ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
        signer = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
        issuer = ca_cert.subject
    else:
        signer, issuer = key, _name(name)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if is_server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(minutes=5))
        .not_valid_after(not_after or now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if is_server:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    files = CertFiles(directory / f"{name}.pem", directory / f"{name}.key")
    _write_key(files.key, key)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the certificate's DER encoding, lowercase hex (what ``[receiver] pinned_sha256`` holds)."""
    return hashlib.sha256(x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass(frozen=True, slots=True)
class MutualTls:
    """A full set for one receiver and one kiosk: the server's (self-signed, pinned by the kiosk)
    certificate, the client CA the receiver trusts, and the kiosk's client certificate."""

    server: CertFiles
    client_ca: CertFiles
    client: CertFiles


def make_mutual_tls(directory: str | os.PathLike[str], *, kiosk_id: str) -> MutualTls:
    directory = Path(directory)
    server = issue(directory, name="receiver", is_server=True)
    client_ca = make_ca(directory, name="kiosk-ca")
    client = issue(directory, name=kiosk_id, ca=client_ca, is_server=False)
    return MutualTls(server=server, client_ca=client_ca, client=client)
