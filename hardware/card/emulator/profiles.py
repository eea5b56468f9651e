"""The cards the emulator can be: a TS-CNS, an operator's CNS, a CIE, and broken variants.

Keys and certificates are generated when a profile is built (never stored in the repository); the
certificates are issued by the CA passed in, so a test trusts exactly what it made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from hardware.card.cns import encode_dati_personali
from hardware.card.emulator.card import EmulatedCard, Node

# ATRs as pcsc-tools' smartcard_list.txt lists them (TCK recomputed by ``with_tck``).
TS_CNS_ATR = bytes.fromhex("3BFF1800FF8131FE55006B02090200010101434E531031809F")  # STIncard TS-CNS
CNS_ATR = bytes.fromhex("3BFF1800FF8131FE55006B02080300010101434E531031809F")  # Siemens-mask CNS
CIE_ATR = bytes.fromhex("3B8E800180318066B1840C016E0183009000" + "1C")  # CIE 3.0 (contactless)
OTHER_ATR = bytes.fromhex("3BF81300008131FE454A434F5076323431B7")  # a JCOP Java Card: not a CNS

CertificateAuthority = tuple[rsa.RSAPrivateKey, x509.Certificate]


@dataclass(frozen=True)
class Person:
    codice_fiscale: str
    surname: str
    given_name: str
    birth_date: str  # ddmmyyyy, as on the card
    sex: str
    birth_town: str
    card_id: str
    pin: str
    issue_date: str = "10012022"
    expiry_date: str = "10012036"

    def dati_personali(self) -> dict[str, str]:
        return {
            "issuer_code": "MEF", "issue_date": self.issue_date, "expiry_date": self.expiry_date,
            "surname": self.surname, "given_name": self.given_name, "birth_date": self.birth_date,
            "sex": self.sex, "height": "", "codice_fiscale": self.codice_fiscale, "citizenship": "ITA",
            "birth_town_code": self.birth_town, "birth_country": "", "birth_act": "",
            "residence_town_code": self.birth_town, "residence_address": "VIA ROMA 1", "expatriation_notes": "",
        }


CITIZEN = Person("BNCGLI85C52H501R", "BIANCHI", "GIULIA", "12031985", "F", "H501", "80380001234567890123", "12345678")
OPERATOR = Person("VRDLCU78S07F205R", "VERDI", "LUCA", "07111978", "M", "F205", "20190000000000000042", "87654321")


def make_ca(name: str = "Sportello Test CNS CA") -> CertificateAuthority:
    """A fresh self-signed test CA (only ever trusted by tests and by whoever runs the emulator)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sportello test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(person: Person, key: rsa.RSAPrivateKey, ca: CertificateAuthority, *,
          not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> bytes:
    """A CNS authentication certificate for ``person``: CN ``<codice fiscale>/<card id>.<hash>``."""
    ca_key, ca_cert = ca
    public_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha1(public_der).hexdigest()[:20]
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tessera Sanitaria"),
        x509.NameAttribute(NameOID.SURNAME, person.surname),
        x509.NameAttribute(NameOID.GIVEN_NAME, person.given_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINIT-{person.codice_fiscale}"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{person.codice_fiscale}/{person.card_id}.{digest}"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=365))
        .not_valid_after(not_after or now + dt.timedelta(days=365 * 5))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cns_card(person: Person, ca: CertificateAuthority, *, atr: bytes = TS_CNS_ATR, tries_left: int = 3,
             dati: bytes | None = None, certificate: bytes | None = None, cert_path: str = "3F00/1100/1101",
             cert_person: Person | None = None, key: rsa.RSAPrivateKey | None = None,
             dati_fault_sw: int | None = None, with_dati: bool = True, **cert_dates) -> EmulatedCard:
    """A CNS file system: EF_DatiPersonali, EF_IDCarta, the certificate; PIN; the signing key."""
    key = key or new_key()
    card = EmulatedCard(atr=atr, pin=person.pin, tries_left=tries_left, key=key)
    if with_dati:
        card.add_file("3F00/1100/1102", encode_dati_personali(person.dati_personali()) if dati is None else dati,
                      fault_sw=dati_fault_sw)
    card.add_file("3F00/1000/1003", person.card_id[-16:].encode("ascii"))
    if certificate is None:
        certificate = issue(cert_person or person, key, ca, **cert_dates)
    padded = certificate + b"\x00" * 64  # real certificate files are larger than the certificate
    if cert_path == "3F00/2FFF/8228":  # Infocamere container: 5-byte header, then the DER
        padded = b"\x01" + len(certificate).to_bytes(2, "big") + b"\x00\x00" + padded
    card.add_file(cert_path, padded)
    card.add_file("3F00/3F01", key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    return card


CIE_CAN = "123456"
CIE_DOCUMENT_NUMBER = "CA00000AA"


def cie_card(*, nis: str = "123456789012", genuine: bool = True, can: str = CIE_CAN,
             person: Person = CITIZEN) -> EmulatedCard:
    """A CIE 3.0: IAS and CIE applets (NIS, internal authenticate) and, behind PACE with ``can``,
    the travel-document applet with ``person``'s DG1 and a drawn face in DG2."""
    from hardware.card.emulator.travel import add_travel_applet, td1_mrz

    card = EmulatedCard(atr=CIE_ATR, pin=None, key=None)
    chip_key = new_key()
    card.internal_auth_key = chip_key if genuine else new_key()
    card.add_application(bytes.fromhex("A0000000308000000009816001"), 0x5000)
    cie = card.add_application(bytes.fromhex("A00000000039"), 0x5100)
    for fid, data, sfi in ((0x1001, nis.encode("ascii"), 0x01),
                           (0x1005, chip_key.public_key().public_bytes(
                               serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo), 0x05)):
        cie.children[fid] = Node(fid, data=data, sfi=sfi)
    birth, expiry = person.birth_date, person.expiry_date  # ddmmyyyy
    add_travel_applet(card, can=can, mrz=td1_mrz(
        document_number=CIE_DOCUMENT_NUMBER, surname=person.surname, given_names=person.given_name,
        birth_yymmdd=birth[6:8] + birth[2:4] + birth[0:2], sex=person.sex,
        expiry_yymmdd=expiry[6:8] + expiry[2:4] + expiry[0:2]))
    return card


def _garbage_certificate() -> bytes:
    body = os.urandom(700)
    return b"\x30\x82" + len(body).to_bytes(2, "big") + body


PROFILES: dict[str, tuple[str, Callable[[CertificateAuthority], EmulatedCard]]] = {
    "ts-cns": ("the sample citizen's TS-CNS (GIULIA BIANCHI, PIN 12345678)", lambda ca: cns_card(CITIZEN, ca)),
    "cns-operator": ("the sample operator's CNS (LUCA VERDI, PIN 87654321)",
                     lambda ca: cns_card(OPERATOR, ca, atr=CNS_ATR)),
    "cns-infocamere": ("a CNS with its certificate in the Infocamere container 3F00/2FFF/8228",
                       lambda ca: cns_card(CITIZEN, ca, atr=CNS_ATR, cert_path="3F00/2FFF/8228")),
    "cie": ("a CIE 3.0 (NIS 123456789012, genuine chip; PACE with CAN 123456: DG1 GIULIA BIANCHI, DG2 face)",
            lambda ca: cie_card()),
    "cie-cloned": ("a CIE whose chip fails the internal authenticate", lambda ca: cie_card(genuine=False)),
    "not-a-cns": ("a Java Card that is neither a CNS nor a CIE", lambda ca: EmulatedCard(atr=OTHER_ATR)),
    "truncated-dati": ("EF_DatiPersonali cut short", lambda ca: cns_card(
        CITIZEN, ca, dati=encode_dati_personali(CITIZEN.dati_personali())[:40])),
    "malformed-dati": ("EF_DatiPersonali with a field length that is not hex", lambda ca: cns_card(
        CITIZEN, ca, dati=b"00003AZZBIANCHI" + b"\x00" * 50)),
    "garbage-cert": ("a certificate file of random bytes", lambda ca: cns_card(
        CITIZEN, ca, certificate=_garbage_certificate())),
    "expired-cert": ("a certificate that expired last year", lambda ca: cns_card(
        CITIZEN, ca, not_before=dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc),
        not_after=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=365))),
    "unknown-ca": ("a certificate from a CA nobody trusts", lambda ca: cns_card(CITIZEN, make_ca("Rogue CA"))),
    "cf-mismatch": ("a certificate naming another codice fiscale than EF_DatiPersonali", lambda ca: cns_card(
        CITIZEN, ca, cert_person=replace(OPERATOR, card_id=CITIZEN.card_id))),
    "blocked": ("the sample TS-CNS with its PIN blocked", lambda ca: cns_card(CITIZEN, ca, tries_left=0)),
    "sw-6f00": ("answers 6F00 (no precise diagnosis) to reading EF_DatiPersonali",
                lambda ca: cns_card(CITIZEN, ca, dati_fault_sw=0x6F00)),
    "sw-6a82": ("a CNS without EF_DatiPersonali (6A82 file not found)",
                lambda ca: cns_card(CITIZEN, ca, with_dati=False)),
    "sw-6982": ("answers 6982 (security status not satisfied) to reading EF_DatiPersonali",
                lambda ca: cns_card(CITIZEN, ca, dati_fault_sw=0x6982)),
}


def build(name: str, ca: CertificateAuthority) -> EmulatedCard:
    """The card of profile ``name`` (case-insensitive), its certificate issued by ``ca``."""
    try:
        _, builder = PROFILES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})") from None
    return builder(ca)
