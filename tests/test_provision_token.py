"""The AgID RAO token: split-code round trip, signature with x5c, 30-day validity, every field."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from provision_helpers import ACTIVATION_CODE, make_ca, sample_payload

from kiosk.domain.activation import first_half, second_half
from kiosk.receiver.provision.token import (
    RegistrationAuthority,
    TokenError,
    TokenSignatureInvalid,
    WrongActivationCode,
    ic_request_data,
    make_token,
    open_token,
    verify_token,
)


@pytest.fixture(scope="module", params=["rsa", "ec"])
def authority(request, tmp_path_factory):
    ca, key_path, cert_path = make_ca(tmp_path_factory.mktemp("ca"), kind=request.param)
    ra = RegistrationAuthority.from_files(key_path, cert_path, issuer_code="c_h501", operator_reference="op-7")
    return ca, ra


def _parts(token):
    header, claims, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(claims)))


def test_printed_half_and_emailed_half_open_the_same_icrequestdata(authority):
    ca, ra = authority
    payload = sample_payload()
    token = make_token(payload, authority=ra)
    joined = first_half(ACTIVATION_CODE) + second_half(ACTIVATION_CODE)
    data = open_token(token, joined, trusted_issuers=(ca,))
    assert data == ic_request_data(payload, authority=ra)
    attributes = data["spidAttributes"]
    assert attributes["fiscalNumber"] == "TINIT-BNCGLI85C52H501R"
    assert attributes["familyName"] == "BIANCHI" and attributes["name"] == "GIULIA"
    assert attributes["placeOfBirth"].lower() == "roma" and attributes["countyOfBirth"] == "RM"
    assert attributes["nationOfBirth"] == "IT" and attributes["dateOfBirth"] == "1985-03-12"
    assert attributes["idCard"] == {"idCardType": "cartaIdentita", "idCardDocNumber": "CA12345AB",
                                    "idCardIssuer": "Comune di Roma", "idCardIssueDate": "2021-05-10",
                                    "idCardExpirationDate": "2032-03-12"}
    assert attributes["mobilePhone"] == {"countryCallingCode": "+39", "phoneNumber": "3331234567"}
    assert set(attributes) >= {"name", "familyName", "placeOfBirth", "countyOfBirth", "nationOfBirth",
                               "dateOfBirth", "gender", "fiscalNumber", "email", "idCard", "mobilePhone",
                               "address"}
    assert set(data) == {"info", "electronicIdentification", "spidAttributes"}
    assert data["electronicIdentification"]["identificationType"] == "vis"


@pytest.mark.parametrize("wrong", [
    first_half(ACTIVATION_CODE) + "zzzzzz",
    "zzzzzz" + second_half(ACTIVATION_CODE),
    second_half(ACTIVATION_CODE) + first_half(ACTIVATION_CODE),
])
def test_a_wrong_half_does_not_open_it(authority, wrong):
    ca, ra = authority
    token = make_token(sample_payload(), authority=ra)
    with pytest.raises(WrongActivationCode):
        open_token(token, wrong, trusted_issuers=(ca,))


def test_header_and_claims(authority):
    ca, ra = authority
    moment = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    payload = sample_payload()
    token = make_token(payload, authority=ra, now=moment)
    header, claims = _parts(token)
    assert header["alg"] in ("RS256", "ES256") and header["typ"] == "JWT"
    assert base64.b64decode(header["x5c"][0]) == ra.certificates[0].public_bytes(
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600
    assert claims["iat"] == int(moment.timestamp())
    issuer, operator = claims["iss"].split(".")
    assert base64.b64decode(issuer).decode() == "c_h501" and base64.b64decode(operator).decode() == "op-7"
    assert claims["sub"] == payload["enrollment_id"] and claims["jti"]
    assert claims["fiscalNumber"] == "TINIT-BNCGLI85C52H501R"
    jwe_header = json.loads(base64.urlsafe_b64decode(claims["encryptedData"].split(".")[0] + "=="))
    assert jwe_header == {"alg": "dir", "enc": "A256CBC-HS512"}
    assert claims["encryptedData"].count(".") == 4 and claims["encryptedData"].split(".")[1] == ""
    assert verify_token(token, trusted_issuers=(ca,), now=moment) == claims
    with pytest.raises(TokenError):
        verify_token(token, now=datetime(2026, 12, 24, 12, 0, 0, tzinfo=UTC))  # 31 days later: expired


def test_signature_is_checked_against_x5c_and_the_ca(authority, tmp_path):
    ca, ra = authority
    token = make_token(sample_payload(), authority=ra)
    header, body, signature = token.split(".")
    _, claims = _parts(token)
    claims["fiscalNumber"] = "TINIT-RSSMRA80A01H501U"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="),
                       signature])
    with pytest.raises(TokenSignatureInvalid):
        verify_token(forged)
    other_ca, _, _ = make_ca(tmp_path / "other", name="Other CA")
    with pytest.raises(TokenSignatureInvalid):
        verify_token(token, trusted_issuers=(other_ca,))


def test_no_token_without_a_whole_activation_code(authority):
    _, ra = authority
    payload = sample_payload()
    payload["activation_code"] = first_half(ACTIVATION_CODE)
    with pytest.raises(TokenError):
        make_token(payload, authority=ra)


def test_a_key_that_does_not_match_its_certificate_is_refused(tmp_path):
    _, key_a, _ = make_ca(tmp_path / "a")
    _, _, cert_b = make_ca(tmp_path / "b")
    with pytest.raises(TokenError):
        RegistrationAuthority.from_files(key_a, cert_b, issuer_code="x", operator_reference="y")
