"""Domain rules: codice fiscale (omocodia, cross-checks), contacts, dates, activation code, evidence."""

from __future__ import annotations


from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain import activation, checks
from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, DocumentType, IdentityDocument, Sex
from kiosk.domain.enrollment import Enrollment, Identification, IdentificationRoute
from kiosk.domain.ids import is_enrollment_id, new_enrollment_id, reference
from kiosk.errors import ValidationError

CF = "BNCGLI85C52H501R"
CITIZEN = Citizen(codice_fiscale=CF, surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
                  sex=Sex.FEMALE, birth_place_code="H501")


def test_codice_fiscale_is_normalised_and_cross_checked():
    assert checks.check_codice_fiscale(" bncgli85c52h501r ", surname="Bianchi", given_name="Giulia",
                                       birth_date=date(1985, 3, 12), sex=Sex.FEMALE) == CF


@pytest.mark.parametrize("kwargs, code", [
    ({"surname": "Rossi", "given_name": "Giulia"}, "cf_surname_mismatch"),
    ({"surname": "Bianchi", "given_name": "Maria"}, "cf_name_mismatch"),
    ({"surname": "Bianchi", "given_name": "Giulia", "birth_date": date(1985, 3, 13)}, "cf_birth_mismatch"),
    ({"surname": "Bianchi", "given_name": "Giulia", "sex": Sex.MALE}, "cf_sex_mismatch"),
])
def test_codice_fiscale_that_disagrees_is_refused(kwargs, code):
    with pytest.raises(ValidationError) as err:
        checks.check_codice_fiscale(CF, **kwargs)
    assert err.value.code == code


def test_wrong_check_character_and_length():
    with pytest.raises(ValidationError, match="check character") as err:
        checks.normalise_codice_fiscale("BNCGLI85C52H501X")
    assert err.value.code == "cf_invalid"
    with pytest.raises(ValidationError) as err:
        checks.normalise_codice_fiscale("BNCGLI85C52")
    assert err.value.code == "cf_length"


def test_omocodia_codes_decode_to_the_same_person():
    omocode = "BNCGLI8RCRNH501E"  # digits replaced by letters, as the Agenzia does for homonyms
    assert checks.decode_codice_fiscale(omocode) == (85, 3, 12, Sex.FEMALE, "H501")
    assert checks.check_codice_fiscale(omocode, surname="Bianchi", given_name="Giulia",
                                       birth_date=date(1985, 3, 12), sex=Sex.FEMALE) == omocode


def test_manual_entry_derives_birth_data_from_the_code():
    citizen = checks.citizen_from_manual_entry(codice_fiscale=CF, surname="bianchi", given_name="giulia",
                                               today=date(2026, 11, 23))
    assert (citizen.birth_date, citizen.sex, citizen.birth_place_code) == (date(1985, 3, 12), Sex.FEMALE, "H501")
    assert citizen.source == "manual"


def test_age_is_counted_to_the_day():
    assert CITIZEN.age_on(date(2003, 3, 11)) == 17
    assert CITIZEN.is_adult_on(date(2003, 3, 12))


def test_contacts():
    assert checks.check_email("  Giulia.Bianchi@Example.IT ") == "Giulia.Bianchi@example.it"
    assert checks.check_mobile("333 123 4567") == "+393331234567"
    assert checks.check_mobile("+41 79 123 45 67") == "+41791234567"  # a Swiss mobile
    for bad in ("giulia@", "giulia bianchi@example.it", ""):
        with pytest.raises(ValidationError):
            checks.check_email(bad)
    with pytest.raises(ValidationError):
        checks.check_mobile("12")


def test_dates_typed_the_italian_way():
    assert checks.parse_date("12/03/1985") == date(1985, 3, 12)
    assert checks.parse_date("1985-03-12") == date(1985, 3, 12)
    with pytest.raises(ValidationError):
        checks.parse_date("31/02/2020")


def test_document_checks():
    good = IdentityDocument(doc_type=DocumentType.IDCARD, number="CA12345AB", issuer_name="Comune di Roma",
                            issue_date=date(2021, 5, 10), expiry_date=date(2032, 3, 12))
    assert checks.check_document(good, today=date(2026, 11, 23)) is good
    with pytest.raises(ValidationError) as err:
        checks.check_document(good, today=date(2032, 3, 13))
    assert err.value.code == "document_expired"


@given(st.integers(min_value=0, max_value=2**31))
def test_activation_codes_are_well_formed(seed):
    import random

    rng = random.Random(seed)
    code = activation.generate_activation_code(randbelow=rng.randrange)
    assert activation.is_well_formed(code)
    assert not set(code) & set("0Oo1lLi"), "no look-alike characters"
    assert activation.first_half(code) + activation.second_half(code) == code
    assert len(activation.first_half(code)) == 6


def test_activation_code_needs_every_class():
    assert not activation.is_well_formed("ABCDEFGHJKMN")
    assert not activation.is_well_formed("Ab3$" + "x" * 7)


def test_enrollment_ids_are_random_sortable_and_referenced():
    a = new_enrollment_id(now_ms=1, random_bytes=bytes(10))
    b = new_enrollment_id(now_ms=2, random_bytes=bytes(10))
    assert a < b and is_enrollment_id(a)
    assert new_enrollment_id() != new_enrollment_id()
    assert reference(a) == "0000-0000-0000"


def _enrollment(identification) -> Enrollment:
    captures = tuple(Capture(kind=k, jpeg=b"\xff\xd8" + k.encode(), width=10, height=10) for k in (
        "document_front", "document_back", "health_card_front", "health_card_back", "face"))
    return Enrollment(
        enrollment_id=new_enrollment_id(), kiosk_id="demo-kiosk-01", created_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        language="it", citizen=CITIZEN,
        document=IdentityDocument(doc_type=DocumentType.IDCARD, number="CA12345AB", issuer_name="Comune di Roma",
                                  issue_date=date(2021, 5, 10), expiry_date=date(2032, 3, 12)),
        contact=Contact(email="giulia@example.it", mobile="+393331234567"),
        consents=Consents(has_accepted_terms=True, accepted_at=datetime(2026, 11, 23, 9, 59, tzinfo=UTC)),
        captures=captures, identification=identification, activation_code="Ab3$xyZ9k.mn",
    )


def test_no_enrollment_without_identification():
    with pytest.raises(ValidationError) as err:
        _enrollment(None)
    assert err.value.code == "not_identified"


def test_operator_evidence_follows_oidc4ia():
    ident = Identification(route=IdentificationRoute.OPERATOR, verified_at=datetime(2026, 11, 23, 10, 0, 5),
                           operator_id="op-1")
    payload = _enrollment(ident).to_payload()
    verification = payload["verified_claims"]["verification"]
    assert verification["trust_framework"] == "it_spid"
    (evidence,) = verification["evidence"]
    assert evidence["type"] == "document"
    assert [c["check_method"] for c in evidence["check_details"]] == ["vpip", "pvp"]
    assert evidence["document_details"]["issuer"] == {"name": "Comune di Roma", "country_code": "IT"}
    assert verification["time"] == "2026-11-23T10:00:05Z", "date-times always carry seconds"
    assert len(payload["attachments"]) == 5 and len(evidence["attachments"]) == 5
    assert payload["verified_claims"]["claims"]["tax_number"]["value"] == CF


def test_cns_evidence_records_the_card():
    ident = Identification(route=IdentificationRoute.CNS, verified_at=datetime(2026, 11, 23, 10, 0, 5),
                           card_certificate_der=b"cert", challenge=b"c", signature=b"s")
    kinds = [e["type"] for e in _enrollment(ident).to_payload()["verified_claims"]["verification"]["evidence"]]
    assert kinds == ["electronic_record", "document"]


def test_personal_values_never_show_in_repr():
    enrollment = _enrollment(Identification(route=IdentificationRoute.OPERATOR, verified_at=datetime(2026, 1, 1)))
    text = " ".join(repr(x) for x in (enrollment, enrollment.citizen, enrollment.contact, enrollment.document))
    for secret in (CF, "BIANCHI", "GIULIA", "giulia@example.it", "3331234567", "CA12345AB", "Ab3$xyZ9k.mn"):
        assert secret not in text
