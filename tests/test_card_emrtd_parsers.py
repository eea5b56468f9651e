"""The travel-document parsers and secure messaging on bytes (no PC/SC): examples and random input."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.card import emrtd, pace, tlv
from hardware.card.ec import BRAINPOOL_P256R1 as CURVE
from hardware.card.emulator import profiles, travel
from hardware.card.emulator.pace_chip import ChipSession
from hardware.card.session import CardSession
from hardware.errors import CardDataInvalid, CardError, PaceFailed

MRZ = travel.td1_mrz(document_number="CA00000AA", surname="DE ROSSI", given_names="ANNA MARIA",
                     birth_yymmdd="040229", sex="F", expiry_yymmdd="340101")


def test_a_td1_mrz_gives_every_field_with_its_check_digits_verified():
    mrz = emrtd.parse_dg1(travel.dg1(MRZ))
    assert (mrz.document_code, mrz.issuing_state, mrz.document_number) == ("C", "ITA", "CA00000AA")
    assert (mrz.surname, mrz.given_names, mrz.sex, mrz.nationality) == ("DE ROSSI", "ANNA MARIA", "F", "ITA")
    assert (mrz.birth_date, mrz.expiry_date) == (dt.date(2004, 2, 29), dt.date(2034, 1, 1))
    assert "ROSSI" not in repr(mrz)


def test_an_icao_td3_sample_passport_mrz_parses():
    # the ICAO 9303 specimen passport (Anna Maria Eriksson, Utopia), as parsers' test suites quote it
    mrz = emrtd.parse_mrz("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    assert (mrz.surname, mrz.given_names, mrz.document_number) == ("ERIKSSON", "ANNA MARIA", "L898902C3")
    assert (mrz.birth_date, mrz.expiry_date, mrz.sex) == (dt.date(1974, 8, 12), dt.date(2012, 4, 15), "F")


@pytest.mark.parametrize("mangle", [
    lambda m: m[:5] + "X" + m[6:],  # document number no longer matches its check digit
    lambda m: m[:30] + "9" + m[31:],  # birth date changed
    lambda m: m[:38] + "9" + m[39:],  # expiry date changed
    lambda m: m[:60],  # two lines only
    lambda m: m.lower(),  # outside the alphabet
    lambda m: m[:30] + "991332" + travel._digit("991332") + m[37:],  # month 13
])
def test_a_broken_mrz_is_refused(mangle):
    with pytest.raises(CardDataInvalid):
        emrtd.parse_dg1(travel.dg1(mangle(MRZ)))


def test_dg2_gives_the_jpeg_and_refuses_what_is_not_an_image():
    image = travel.face_jpeg()
    face = emrtd.parse_dg2(travel.dg2(image))
    assert face.format == "JPEG" and face.data == image and (face.width, face.height) == (240, 320)
    assert face.decode().size == (240, 320)
    with pytest.raises(CardDataInvalid, match="neither JPEG"):
        emrtd.parse_dg2(travel.dg2(b"GIF89a" + b"\x00" * 50))
    with pytest.raises(CardDataInvalid, match="does not decode"):
        emrtd.parse_dg2(travel.dg2(image[:40])).decode()


def test_ber_tlv_lengths_and_nesting():
    assert tlv.find(tlv.encode(0x61, tlv.encode(0x5F1F, b"x" * 300)), 0x61, 0x5F1F) == b"x" * 300
    with pytest.raises(CardDataInvalid):
        tlv.parse(b"\x61\x82\x01\x00abc")  # declares 256 bytes, holds 3


def _session_pair():
    keys = pace.kdf(b"k", 1), pace.kdf(b"k", 2)
    return pace.SecureMessaging(*keys), ChipSession(*keys)


def test_secure_messaging_round_trips_and_refuses_a_changed_byte():
    terminal, chip = _session_pair()
    command = terminal.protect(0x00, 0xB0, 0x81, 0x00, le=0xDF)
    assert chip.open_command(command) == bytes.fromhex("00B08100DF")
    response = chip.seal_response(b"hello", 0x9000)
    assert terminal.unprotect(response, 0x9000) == (b"hello", 0x9000)
    big = terminal.protect(0x00, 0xB0, 0x00, 0xDF, le=4000)
    assert big[4] == 0 and chip.open_command(big) == bytes.fromhex("00B000DF000FA0"), "extended Le"
    spoiled = bytearray(chip.seal_response(b"hello", 0x9000))
    spoiled[3] ^= 0x40
    with pytest.raises(PaceFailed, match="MAC|malformed|padding") as caught:
        terminal.unprotect(bytes(spoiled), 0x9000)
    assert caught.value.reason == "secure_messaging"


def test_a_replayed_response_is_refused_by_the_counter():
    terminal, chip = _session_pair()
    chip.open_command(terminal.protect(0x00, 0xB0, 0x81, 0x00, le=0xDF))
    first = chip.seal_response(b"one", 0x9000)
    terminal.unprotect(first, 0x9000)
    chip.open_command(terminal.protect(0x00, 0xB0, 0x81, 0x00, le=0xDF))
    with pytest.raises(PaceFailed, match="MAC"):
        terminal.unprotect(first, 0x9000)


def test_the_whole_read_on_the_emulated_cie_without_pcsc():
    card = profiles.cie_card(can="000042")
    document = emrtd.read_travel_document(CardSession(card.process, card.atr).send, "000042")
    assert document.mrz.surname == "BIANCHI" and document.face.format == "JPEG"
    plain_dg1 = card.process(bytes.fromhex("00A4040C07A0000002471001")), card.process(bytes.fromhex("00B0810000"))
    assert plain_dg1[1][-2:] == b"\x69\x82", "DG1 is never readable without PACE"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_parsers(data):
    for parse in (tlv.parse, pace.parse_card_access, emrtd.parse_dg1, emrtd.parse_dg2, emrtd.parse_face_record,
                  CURVE.decode_point):
        try:
            parse(data)
        except CardDataInvalid:
            pass
    try:
        emrtd.parse_mrz(data.decode("latin-1"))
    except CardDataInvalid:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([0x9000, 0x6282, 0x6982]))
def test_random_protected_responses_are_refused_cleanly(data, sw):
    terminal, _ = _session_pair()
    with pytest.raises(PaceFailed):
        terminal.unprotect(data, sw)


@pytest.fixture(scope="module")
def cie():
    return profiles.cie_card()


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_the_emulated_cie_answers_any_bytes_with_a_status_word(cie, data):
    assert len(cie.process(data)) >= 2


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_pace_answers_give_a_card_error_not_a_crash(data):
    answers = iter([(b"", 0x9000), (data, 0x9000), (data, 0x9000), (data, 0x9000),
                    (data, 0x9000)])
    info, curve = pace.choose(pace.parse_card_access(travel.CARD_ACCESS))
    terminal = pace.PaceTerminal(lambda _c: next(answers), password_key=bytes(16), password_ref=2, info=info,
                                 curve=curve)
    with pytest.raises(CardError):
        terminal.establish()
