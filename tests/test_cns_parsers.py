"""TS-CNS data parsers and the card command sequences, on bytes (no PC/SC): examples and random input."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.card import apdu, cns
from hardware.card.emulator import profiles
from hardware.card.emulator.card import EmulatedCard
from hardware.card.session import CardSession
from hardware.card.trust import TrustStore
from hardware.errors import CardDataInvalid, CardError, CertificateInvalid

SAMPLE = profiles.CITIZEN.dati_personali()


@pytest.fixture(scope="module")
def ca():
    return profiles.make_ca()


def test_dati_personali_round_trip_gives_every_field():
    raw = cns.encode_dati_personali(SAMPLE) + b"\x00" * 40  # padding after the declared length
    dati = cns.parse_dati_personali(raw)
    assert dati.codice_fiscale == "BNCGLI85C52H501R" and dati.surname == "BIANCHI" and dati.given_name == "GIULIA"
    assert dati.date("birth_date") == dt.date(1985, 3, 12) and dati.sex == "F"
    assert dati.residence_address == "VIA ROMA 1"
    assert "BIANCHI" not in repr(dati), "personal data never in a repr"


@pytest.mark.parametrize("mangle", [
    lambda raw: raw[:30],  # truncated
    lambda raw: b"00ZZZZ" + raw[6:],  # length not hex
    lambda raw: raw[:6] + b"Q1" + raw[8:],  # field length not hex
    lambda raw: b"%06X" % (len(raw) + 100) + raw[6:],  # declares more than there is
    lambda raw: raw.replace(b"BIANCHI", b"BIA\x01CHI"),  # control character
])
def test_malformed_dati_personali_is_refused_clearly(mangle):
    with pytest.raises(CardDataInvalid):
        cns.parse_dati_personali(mangle(cns.encode_dati_personali(SAMPLE)))


@pytest.mark.parametrize("code,ok", [("BNCGLI85C52H501R", True), ("VRDLCU78S07F205R", True),
                                     ("BNCGLI85C52H501X", False), ("BNCGLI85C52H50", False)])
def test_codice_fiscale_check_character(code, ok):
    assert cns.is_codice_fiscale_valid(code) is ok


def test_cns_atr_is_recognised_and_others_are_not():
    atr = cns.parse_cns_atr(profiles.TS_CNS_ATR)
    assert atr is not None and atr.version == 0x10 and atr.mask_manufacturer == 0x09 and atr.pin_reference == 0x90
    assert cns.parse_cns_atr(profiles.CNS_ATR).pin_reference == 0x10
    assert cns.parse_cns_atr(profiles.OTHER_ATR) is None and cns.parse_cns_atr(profiles.CIE_ATR) is None


def test_der_size_comes_from_the_header():
    assert cns.der_size(bytes.fromhex("308203AB")) == 4 + 0x3AB
    assert cns.der_size(bytes.fromhex("3081F0")) == 3 + 0xF0
    for bad in (b"", b"\x31\x82\x01\x00", b"\x30\x80", b"\x30\x84\xff\xff\xff\xff"):
        with pytest.raises(CertificateInvalid):
            cns.der_size(bad)


@given(st.binary(max_size=600))
@settings(max_examples=300, deadline=None)
def test_dati_personali_parser_never_crashes_on_random_bytes(data):
    try:
        dati = cns.parse_dati_personali(data)
    except CardDataInvalid:
        return
    assert set(dati.fields) == set(cns.DATI_PERSONALI_FIELDS)


@given(st.dictionaries(st.sampled_from(cns.DATI_PERSONALI_FIELDS),
                       st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)))
@settings(max_examples=200, deadline=None)
def test_dati_personali_round_trips_any_text(values):
    parsed = cns.parse_dati_personali(cns.encode_dati_personali(values))
    assert parsed.fields == {name: values.get(name, "").strip() for name in cns.DATI_PERSONALI_FIELDS}


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_atr_and_id_carta_parsers_never_crash(data):
    cns.parse_cns_atr(data)
    cns.historical_bytes(data)
    try:
        assert cns.parse_id_carta(data)
    except CardDataInvalid:
        pass


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_certificate_parsers_never_crash_on_random_bytes(data):
    for parse in (cns.der_size, cns.certificate_der, cns.parse_certificate):
        try:
            parse(data)
        except CertificateInvalid:
            pass
    try:
        cns.parse_certificate(b"\x30\x82\x01\x00" + data)
    except CertificateInvalid:
        pass


@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_a_card_answering_random_bytes_only_raises_card_errors(answers):
    replies = iter(answers * 50)
    session = CardSession(lambda _command: next(replies), profiles.TS_CNS_ATR)
    for operation in (session.read_cns, session.pin_tries_left, lambda: session.verify_pin("12345678")):
        try:
            operation()
        except CardError:
            pass


def test_emulated_ts_cns_reads_in_few_apdus(ca):
    card = profiles.build("TS-CNS", ca)
    session = CardSession(card.process, card.atr)
    read = session.read_cns(trust=lambda info: TrustStore([ca[1]]).check(info.certificate))
    assert read.identity.codice_fiscale == "BNCGLI85C52H501R" and read.identity.card_type == "TS-CNS"
    assert read.identity.birth_date == dt.date(1985, 3, 12)
    assert read.certificate.codice_fiscale == "BNCGLI85C52H501R"
    assert session.apdu_count <= 10, "two selects and reads, plus the certificate in 256-byte chunks"


def test_certificate_in_the_infocamere_container_is_found(ca):
    card = profiles.build("cns-infocamere", ca)
    read = CardSession(card.process, card.atr).read_cns()
    assert read.certificate_path == "3F00/2FFF/8228" and read.identity.card_type == "TS-CNS"


@pytest.mark.parametrize("profile,reason", [("garbage-cert", "garbage"), ("expired-cert", "expired"),
                                            ("unknown-ca", "unknown_ca"), ("cf-mismatch", "mismatch")])
def test_bad_certificates_are_refused_with_their_reason(ca, profile, reason):
    card = profiles.build(profile, ca)
    with pytest.raises(CertificateInvalid) as err:
        CardSession(card.process, card.atr).read_cns(trust=lambda info: TrustStore([ca[1]]).check(info.certificate))
    assert err.value.reason == reason


def test_emulator_answers_malformed_commands_with_status_words():
    card = EmulatedCard(atr=profiles.OTHER_ATR)
    assert card.process(b"\x00")[-2:] == b"\x67\x00"
    assert card.process(b"\x00\xa4\x08\x0c\x05\x11")[-2:] == b"\x67\x00"  # Lc disagrees with the data
    assert card.process(b"\x00\xff\x00\x00")[-2:] == b"\x6d\x00"
    assert apdu.split_response(card.process(apdu.select_path("3F00/1100/1102")))[1] == apdu.SW_FILE_NOT_FOUND
