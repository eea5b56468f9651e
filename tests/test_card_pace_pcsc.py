"""The CIE's travel-document applet through the real PC/SC stack: pcscd -f, vpcd, the emulated CIE.

PACE with the CAN, secure messaging, DG1 and DG2, and the faults: a wrong CAN (one try, no retry),
the card pulled out in the middle of PACE, a response whose MAC was tampered with.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hardware.card.emulator import profiles
from hardware.card.pcsc import PcscCardReader
from hardware.errors import CanFormatInvalid, NoCard, PaceFailed
from pcsc_harness import VPCD_READER


@pytest.fixture
def reader(pcsc_stack):
    pcsc_stack.remove()
    reader = PcscCardReader(reader=VPCD_READER)
    reader.start()
    try:
        yield reader
    finally:
        reader.close()
        pcsc_stack.remove()


def test_the_right_can_reads_dg1_and_a_face_that_decodes(pcsc_stack, reader):
    card = pcsc_stack.insert(profiles.cie_card())
    document = reader.read_travel_document("123456")
    mrz = document.mrz
    assert (mrz.surname, mrz.given_names, mrz.sex, mrz.nationality) == ("BIANCHI", "GIULIA", "F", "ITA")
    assert (mrz.birth_date, mrz.expiry_date) == (dt.date(1985, 3, 12), dt.date(2036, 1, 10))
    assert mrz.document_number == profiles.CIE_DOCUMENT_NUMBER and mrz.document_code == "C"
    image = document.face.decode()
    assert document.face.format == "JPEG" and image.size == (240, 320)
    assert "BIANCHI" not in repr(document) and "GIULIA" not in repr(document)
    # EF.CardAccess, MSE, 4 x General Authenticate, SELECT, DG1, DG2 in two (short, then extended)
    assert reader.last_apdu_count == card.apdus <= 11
    assert reader.read_travel_document("123456").mrz.surname == "BIANCHI", "a second read starts afresh"


def test_a_wrong_can_is_refused_once_and_nothing_more_is_sent(pcsc_stack, reader):
    card = pcsc_stack.insert(profiles.cie_card())
    with pytest.raises(PaceFailed) as caught:
        reader.read_travel_document("654321")
    assert caught.value.reason == "wrong_can" and "6 digits" in str(caught.value)
    assert card.pace.failed_attempts == 1, "never retried by itself"
    assert card.apdus == 6, "EF.CardAccess, MSE:Set AT, 4 General Authenticate: then nothing"
    with pytest.raises(CanFormatInvalid):
        reader.read_travel_document("12345")
    assert card.apdus == 6, "a malformed CAN never reaches the card"


def test_a_card_pulled_out_in_the_middle_of_pace_says_so(pcsc_stack, reader):
    pcsc_stack.insert(profiles.cie_card(), pull_after=3)  # EF.CardAccess, MSE, first GA: then gone
    with pytest.raises(NoCard, match="removed|no card"):
        reader.read_travel_document("123456")


def test_a_response_with_a_tampered_mac_is_refused(pcsc_stack, reader):
    card = profiles.cie_card()
    card.pace.corrupt_mac_at = 2  # the answer to READ BINARY DG1 (1: SELECT the applet)
    pcsc_stack.insert(card)
    with pytest.raises(PaceFailed) as caught:
        reader.read_travel_document("123456")
    assert caught.value.reason == "secure_messaging" and "MAC" in str(caught.value)


def test_kiosk_card_read_with_the_can_reports_dg1_and_the_face(tmp_path, pcsc_stack):
    import json

    from test_card_cli_pcsc import _config, _kiosk

    pcsc_stack.insert("cie")
    try:
        config = str(_config(tmp_path, pcsc_stack))
        result = _kiosk("--config", config, "card", "read", "--can", "123456", "--json", cwd=tmp_path)
        text = _kiosk("--config", config, "card", "read", "--can", "123456", cwd=tmp_path)
        wrong = _kiosk("--config", config, "card", "read", "--can", "111111", cwd=tmp_path)
    finally:
        pcsc_stack.remove()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["surname"], report["given_names"], report["birth_date"], report["sex"]) == (
        "BIANCHI", "GIULIA", "1985-03-12", "F")
    assert (report["document_number"], report["expiry_date"], report["nationality"]) == (
        profiles.CIE_DOCUMENT_NUMBER, "2036-01-10", "ITA")
    assert report["face"]["format"] == "JPEG" and report["face"]["bytes"] > 1000
    assert (report["face"]["width"], report["face"]["height"]) == (240, 320)
    assert report["elapsed_ms"] > 0 and 9 <= report["apdus"] <= 11
    assert "BIANCHI" not in result.stderr
    assert text.returncode == 0 and "GIULIA BIANCHI" in text.stdout and "JPEG" in text.stdout
    assert not list(tmp_path.rglob("*.jp*g")), "the face image is never written anywhere"
    assert wrong.returncode != 0 and "wrong_can" in wrong.stderr and "Traceback" not in wrong.stderr
    assert "BIANCHI" not in wrong.stdout + wrong.stderr
