"""Shared by the provisioning tests: a throw-away CA and registration authority, a sample payload."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, DocumentType, IdentityDocument, Sex
from kiosk.domain.enrollment import Enrollment, Identification, IdentificationRoute
from kiosk.domain.ids import new_enrollment_id

ACTIVATION_CODE = "Ab3$xyZ9k.mn"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: Path, *, name: str = "Test CA", kind: str = "rsa"):
    """A CA and an RA certificate it issued; writes ra.key, ra.pem, ca.pem; returns (ca_cert, paths)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    ra_key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" \
        else ec.generate_private_key(ec.SECP256R1())
    ra_cert = (x509.CertificateBuilder().subject_name(_name("Comune di Esempio RAO")).issuer_name(ca_cert.subject)
               .public_key(ra_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + timedelta(days=365))
               .sign(ca_key, hashes.SHA256()))
    key_path, cert_path, ca_path = directory / "ra.key", directory / "ra.pem", directory / "ca.pem"
    key_path.write_bytes(ra_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    cert_path.write_bytes(ra_cert.public_bytes(serialization.Encoding.PEM))
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return ca_cert, key_path, cert_path


def citizen_named(surname: str) -> Citizen:
    """The sample citizen under another surname, with the codice fiscale that goes with it."""
    from codicefiscale import codicefiscale

    cf = codicefiscale.encode(lastname=surname, firstname="Giulia", gender="F", birthdate="12/03/1985",
                              birthplace="H501")
    return Citizen(codice_fiscale=cf, surname=surname.upper(), given_name="GIULIA", birth_date=date(1985, 3, 12),
                   sex=Sex.FEMALE, birth_place_code="H501", card_type="TS-CNS", card_expiry=date(2028, 1, 10))


def unique_surname() -> str:
    """A surname no other test uses (the IdP holds one identity per codice fiscale)."""
    import secrets

    consonants = "BCDFGLMNPRSTVZ"
    return "".join(secrets.choice(consonants) + secrets.choice("AEIOU") for _ in range(4))


def sample_enrollment(*, language: str = "it", email: str = "giulia.bianchi@example.it",
                      activation_code: str = ACTIVATION_CODE, surname: str | None = None) -> Enrollment:
    captures = tuple(Capture(kind=k, jpeg=b"\xff\xd8" + k.encode(), width=10, height=10) for k in (
        "document_front", "document_back", "health_card_front", "health_card_back", "face"))
    citizen = citizen_named(surname) if surname else Citizen(
        codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
        sex=Sex.FEMALE, birth_place_code="H501", card_type="TS-CNS", card_expiry=date(2028, 1, 10))
    identification = Identification(route=IdentificationRoute.OPERATOR, operator_id="op-1",
                                    verified_at=datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC))
    return Enrollment(
        enrollment_id=new_enrollment_id(), kiosk_id="demo-kiosk-01",
        created_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC), language=language, citizen=citizen,
        document=IdentityDocument(doc_type=DocumentType.IDCARD, number="CA12345AB", issuer_name="Comune di Roma",
                                  issue_date=date(2021, 5, 10), expiry_date=date(2032, 3, 12)),
        contact=Contact(email=email, mobile="+393331234567"),
        consents=Consents(has_accepted_terms=True, accepted_at=datetime(2026, 11, 23, 9, 59, tzinfo=UTC)),
        captures=captures, identification=identification, activation_code=activation_code,
    )


def sample_payload(**options) -> dict:
    return sample_enrollment(**options).to_payload()


# -- fixtures of the tests that provision for real (import them into the test module) ---------------

@pytest.fixture(scope="module")
def scim_server(tmp_path_factory):
    """A real scim2-server on 127.0.0.1, one per test module."""
    from scim_fixtures import ScimServer

    server = ScimServer(tmp_path_factory.mktemp("scim")).start()
    yield server
    server.stop()


@pytest.fixture
def smtp(tmp_path):
    """A real aiosmtpd server on 127.0.0.1 with STARTTLS, one per test."""
    from smtp_fixtures import SmtpServer

    server = SmtpServer(tmp_path / "smtp").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ra(tmp_path_factory):
    """(CA certificate, RA key path, RA certificate path) of a throw-away registration authority."""
    return make_ca(tmp_path_factory.mktemp("ra"))


def provisioning_settings(ra, smtp, scim_url: str = "", **changes):
    """``ProvisioningSettings`` for the ``ra``, ``smtp`` and SCIM server fixtures (STARTTLS required)."""
    from scim_fixtures import TOKEN

    from kiosk.receiver.provision.mail import SmtpSettings
    from kiosk.receiver.provision.token import RegistrationAuthority
    from kiosk.receiver.provision.worker import ProvisioningSettings

    _ca, key_path, cert_path = ra
    authority = RegistrationAuthority.from_files(key_path, cert_path, issuer_code="c_h501", operator_reference="op-7")
    smtp_settings = SmtpSettings(host="127.0.0.1", port=smtp.port, ca_file=str(smtp.cert_path), starttls="require",
                                 timeout=5)
    options = dict(authority=authority, smtp=smtp_settings, mail_from="spid@comune.example", town="Comune di Esempio",
                   scim_url=scim_url, scim_token=TOKEN, scim_timeout=3)
    options.update(changes)
    return ProvisioningSettings(**options)
