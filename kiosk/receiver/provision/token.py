"""The AgID "RAO pubblico" token: ``ICRequestData`` sealed with the activation code, signed by the RA.

Format (what identity providers accept today from public registration points)::

    JWT (JWS compact, RS256 or ES256), header {"alg", "typ": "JWT", "x5c": [RA certificate, chain...]}
    claims {"iss": b64(issuer code) "." b64(operator reference), "sub", "jti", "iat",
            "exp": iat + 30 days, "fiscalNumber": "TINIT-<codice fiscale>",
            "encryptedData": JWE compact, alg "dir", enc "A256CBC-HS512",
                             key = SHA-512(the 12-character activation code), 64 bytes}

The citizen holds the key: the first half of the code was printed on the receipt, the second half
arrives by email. Nothing here logs or keeps what it builds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwe, jwk, jws, jwt
from jwcrypto.common import JWException

from kiosk.domain.activation import LENGTH as ACTIVATION_LENGTH
from kiosk.errors import KioskError

VALIDITY = timedelta(days=30)
JWE_HEADER = {"alg": "dir", "enc": "A256CBC-HS512"}
ICREQUEST_VERSION = "1.0"

# OIDC4IA document types (the packet) -> the names of the AgID idCard.idCardType.
ID_CARD_TYPES = {
    "idcard": "cartaIdentita",
    "passport": "passaporto",
    "driving_permit": "patenteGuida",
    "residence_permit": "permessoSoggiorno",
}


class TokenError(KioskError, ValueError):
    """A token could not be built, verified or opened. Messages never carry personal data."""

    code = "token_error"


class WrongActivationCode(TokenError):
    """The activation code does not open ``encryptedData`` (a wrong half, a typo)."""

    code = "wrong_activation_code"


class TokenSignatureInvalid(TokenError):
    """The JWT signature does not verify with its ``x5c`` certificate, or the certificate is not trusted."""

    code = "token_signature_invalid"


@dataclass(frozen=True)
class RegistrationAuthority:
    """Who signs tokens: the RA's private key, its certificate chain, and the codes that name it."""

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificates: tuple[x509.Certificate, ...]  # the RA certificate first, then any intermediates
    issuer_code: str  # the public administration's code (e.g. its IPA code)
    operator_reference: str  # the operator (or service) acting for the RA

    def __repr__(self) -> str:
        return f"<RegistrationAuthority {self.issuer_code}>"

    @classmethod
    def from_files(cls, key_path, certificate_path, *, issuer_code: str, operator_reference: str,
                   password: bytes | None = None) -> RegistrationAuthority:
        """Load a PEM private key and a PEM certificate file (RA certificate first)."""
        try:
            key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=password)
            certificates = tuple(x509.load_pem_x509_certificates(open(certificate_path, "rb").read()))
        except (OSError, ValueError, TypeError) as err:
            raise TokenError(f"cannot load the registration authority key or certificate: {type(err).__name__}") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise TokenError("the registration authority key must be RSA or EC")
        if certificates[0].public_key().public_numbers() != key.public_key().public_numbers():
            raise TokenError("the registration authority certificate does not match its key")
        return cls(key, certificates, issuer_code=issuer_code, operator_reference=operator_reference)


def activation_key(activation_code: str) -> bytes:
    """The JWE content key: the 64 bytes of SHA-512 of the whole 12-character code."""
    return hashlib.sha512(activation_code.encode("utf-8")).digest()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _birthplace(codice_fiscale: str, place_code: str) -> tuple[str, str, str]:
    """(place of birth, county (province), nation) from the Belfiore code, as far as it is known."""
    try:
        from codicefiscale import codicefiscale

        place = codicefiscale.decode(codice_fiscale).get("birthplace") or {}
    except (ValueError, KeyError, TypeError):
        place = {}
    name = str(place.get("name") or place_code)
    province = str(place.get("province") or "")
    nation = "IT" if place_code[:1] != "Z" else str(place.get("name") or place_code)
    if province == "EE":  # born abroad: the "province" of a foreign country
        province = ""
    return name.title() if name.isupper() else name, province, nation


def _mobile(e164: str) -> dict:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return {"countryCallingCode": "", "phoneNumber": e164}
    return {"countryCallingCode": f"+{number.country_code}", "phoneNumber": str(number.national_number)}


def ic_request_data(payload: dict, *, authority: RegistrationAuthority) -> dict:
    """The ``ICRequestData`` JSON for one decrypted packet payload, every field present.

    The kiosk does not collect a postal address, so ``address`` is present and empty.
    """
    citizen, contact = payload["citizen"], payload["contact"]
    verification = payload["verified_claims"]["verification"]
    document = next(e for e in verification["evidence"] if e["type"] == "document")["document_details"]
    electronic = next((e for e in verification["evidence"] if e["type"] == "electronic_record"), None)
    place, county, nation = _birthplace(citizen["codice_fiscale"], citizen["place_of_birth_code"])
    return {
        "info": {
            "version": ICREQUEST_VERSION,
            "requestId": payload["enrollment_id"],
            "issuerCode": authority.issuer_code,
            "operatorReference": authority.operator_reference,
            "kioskId": payload["kiosk_id"],
            "createdAt": payload["created_at"],
        },
        "electronicIdentification": {
            "identificationType": "CNS" if electronic else "vis",
            "identificationDate": verification["time"],
            "certifiedBy": authority.issuer_code,
            "trustFramework": verification["trust_framework"],
        },
        "spidAttributes": {
            "name": citizen["given_name"],
            "familyName": citizen["family_name"],
            "placeOfBirth": place,
            "countyOfBirth": county,
            "nationOfBirth": nation,
            "dateOfBirth": citizen["birthdate"],
            "gender": citizen["gender"],
            "fiscalNumber": "TINIT-" + citizen["codice_fiscale"],
            "email": contact["email"],
            "idCard": {
                "idCardType": ID_CARD_TYPES.get(document["type"], document["type"]),
                "idCardDocNumber": document["document_number"],
                "idCardIssuer": document["issuer"]["name"],
                "idCardIssueDate": document["date_of_issuance"],
                "idCardExpirationDate": document["date_of_expiry"],
            },
            "mobilePhone": _mobile(contact["mobile"]),
            "address": "",
        },
    }


def _signing_jwk(authority: RegistrationAuthority) -> tuple[jwk.JWK, str]:
    key = authority.private_key
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if isinstance(key, rsa.RSAPrivateKey):
        return jwk.JWK.from_pem(pem), "RS256"
    curve_alg = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
    if key.curve.name not in curve_alg:
        raise TokenError("unsupported EC curve for the registration authority key")
    return jwk.JWK.from_pem(pem), curve_alg[key.curve.name]


def make_token(payload: dict, *, authority: RegistrationAuthority, now: datetime | None = None,
               jti: str | None = None) -> str:
    """The signed RAO token for one decrypted, accepted packet payload."""
    code = payload.get("activation_code", "")
    if not isinstance(code, str) or len(code) != ACTIVATION_LENGTH:
        raise TokenError("the packet holds no whole activation code")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    data = json.dumps(ic_request_data(payload, authority=authority), ensure_ascii=False, separators=(",", ":"))
    envelope = jwe.JWE(data.encode("utf-8"), protected=JWE_HEADER)
    envelope.add_recipient(jwk.JWK(kty="oct", k=jwk.base64url_encode(activation_key(code))))
    iat = int(now.timestamp())
    claims = {
        "iss": _b64(authority.issuer_code) + "." + _b64(authority.operator_reference),
        "sub": payload["enrollment_id"],
        "jti": jti or str(uuid.uuid4()),
        "iat": iat,
        "exp": iat + int(VALIDITY.total_seconds()),
        "fiscalNumber": "TINIT-" + payload["citizen"]["codice_fiscale"],
        "encryptedData": envelope.serialize(compact=True),
    }
    signing_key, alg = _signing_jwk(authority)
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
           for c in authority.certificates]
    token = jwt.JWT(header={"alg": alg, "typ": "JWT", "x5c": x5c}, claims=claims)
    token.make_signed_token(signing_key)
    return token.serialize()


def verify_token(token: str, *, trusted_issuers: tuple[x509.Certificate, ...] = (),
                 now: datetime | None = None) -> dict:
    """Check the signature with the ``x5c`` certificate (issued by one of ``trusted_issuers`` when
    given) and the validity window; returns the claims."""
    try:
        header = json.loads(jwk.base64url_decode(token.split(".", 1)[0]))
        certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    except (ValueError, KeyError, IndexError, TypeError):
        raise TokenSignatureInvalid("the token has no readable x5c certificate") from None
    if trusted_issuers and not any(_issued_by(certificate, ca) for ca in trusted_issuers):
        raise TokenSignatureInvalid("the x5c certificate is not issued by a trusted authority")
    key = jwk.JWK.from_pyca(certificate.public_key())
    moment = int((now or datetime.now(UTC)).timestamp())
    try:
        signed = jws.JWS()
        signed.deserialize(token)
        signed.verify(key, alg=header.get("alg"))
    except (JWException, ValueError):
        raise TokenSignatureInvalid("the token signature does not verify") from None
    claims = json.loads(signed.payload)
    if not claims.get("iat", moment + 1) <= moment + 60 < claims.get("exp", 0) + 60:
        raise TokenError("the token is not valid at this time")
    return claims


def open_token(token: str, activation_code: str, **verify_options) -> dict:
    """Verify ``token`` and decrypt its ``encryptedData`` with the joined activation code."""
    claims = verify_token(token, **verify_options)
    key = jwk.JWK(kty="oct", k=jwk.base64url_encode(activation_key(activation_code)))
    envelope = jwe.JWE()
    try:
        envelope.deserialize(claims["encryptedData"], key=key)
    except (JWException, ValueError, KeyError):
        raise WrongActivationCode("this activation code does not open the token") from None
    return json.loads(envelope.payload)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
