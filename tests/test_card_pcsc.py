"""The pyscard backend against the real PC/SC stack: pcscd -f, vpcd, and the card emulator.

These tests share one pcscd (session fixture ``pcsc_stack``) and run serially.
"""

from __future__ import annotations

import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hardware.card.pcsc import CardIsCie, PcscCardReader
from hardware.card.session import CieRead
from hardware.errors import (
    CardDataInvalid, CardError, CardNotSupported, CardRemoved, CardStatusError, CertificateInvalid, NoCard,
    PinRequired, ReaderUnavailable,
)
from pcsc_harness import VPCD_READER


class Recorder:
    def __init__(self, reader: PcscCardReader) -> None:
        self.inserted: list = []
        self.removed = 0
        self.changed = threading.Condition()
        reader.when_card_inserted = self._on_inserted
        reader.when_card_removed = self._on_removed

    def _on_inserted(self, identity) -> None:
        with self.changed:
            self.inserted.append(identity)
            self.changed.notify_all()

    def _on_removed(self, _none) -> None:
        with self.changed:
            self.removed += 1
            self.changed.notify_all()

    def wait(self, predicate, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "no card event in time"


@pytest.fixture
def reader(pcsc_stack):
    pcsc_stack.remove()
    reader = PcscCardReader(reader=VPCD_READER, ca_certs=[pcsc_stack.ca_path])
    reader.events = Recorder(reader)
    reader.start()
    try:
        yield reader
    finally:
        reader.close()
        pcsc_stack.remove()


def insert(stack, reader, profile, **kwargs):
    before = len(reader.events.inserted)
    card = stack.insert(profile, **kwargs)
    reader.events.wait(lambda: len(reader.events.inserted) > before)
    return card


def test_inserted_ts_cns_is_read_at_once_and_announced_with_its_identity(pcsc_stack, reader):
    insert(pcsc_stack, reader, "ts-cns")
    identity = reader.events.inserted[-1]
    assert identity is not None and identity.card_type == "TS-CNS"
    assert identity.codice_fiscale == "BNCGLI85C52H501R" and identity.given_name == "GIULIA"
    assert reader.read_identity() is identity and reader.last_apdu_count == 0, "the insertion read is reused"
    assert reader.is_card_present
    pcsc_stack.remove()
    reader.events.wait(lambda: reader.events.removed == 1)
    assert not reader.is_card_present
    with pytest.raises(CardRemoved):
        reader.read_identity()


def test_the_checked_insertion_read_is_ready_at_once_and_only_while_the_card_is_in(pcsc_stack, reader):
    assert reader.ready_identity() is None, "no card"
    card = insert(pcsc_stack, reader, "ts-cns")
    before = card.apdus
    identity = reader.ready_identity()
    assert identity is reader.events.inserted[-1] and identity.codice_fiscale == "BNCGLI85C52H501R"
    assert card.apdus == before, "no APDU"
    pcsc_stack.remove()
    reader.events.wait(lambda: reader.events.removed == 1)
    assert reader.ready_identity() is None


@pytest.mark.parametrize("profile", ["cf-mismatch", "unknown-ca", "truncated-dati", "cie"])
def test_a_card_that_fails_its_checks_has_no_ready_identity(pcsc_stack, reader, profile):
    insert(pcsc_stack, reader, profile)
    assert reader.ready_identity() is None
    with pytest.raises(CardError):
        reader.read_identity()


def test_a_missing_reader_fails_fast_with_a_clear_message(pcsc_stack):
    reader = PcscCardReader(reader="Lettore Che Non Esiste")
    with pytest.raises(ReaderUnavailable, match="no smart-card reader matching 'Lettore Che Non Esiste'"):
        reader.start()


def test_no_card_is_no_card(reader):
    assert not reader.is_card_present
    with pytest.raises(NoCard):
        reader.pin_tries_left()


def test_pin_tries_count_down_and_a_good_pin_lets_the_card_sign(pcsc_stack, reader):
    card = insert(pcsc_stack, reader, "ts-cns")
    assert reader.pin_tries_left() == 3
    result = reader.verify_pin("11112222")
    assert (result.ok, result.tries_left) == (False, 2) and card.tries_left == 2
    with pytest.raises(PinRequired):
        reader.sign(b"challenge")
    assert reader.verify_pin("12345678").ok and card.tries_left == 3
    signature = reader.sign(b"fresh challenge")
    cert = x509.load_der_x509_certificate(reader.certificate())
    cert.public_key().verify(signature, b"fresh challenge", padding.PKCS1v15(), hashes.SHA256())


def test_a_blocked_card_is_never_sent_a_pin(pcsc_stack, reader):
    card = insert(pcsc_stack, reader, "blocked")
    assert reader.pin_tries_left() == 0
    before = card.apdus
    result = reader.verify_pin("12345678")
    assert result.is_blocked and not result.ok
    assert card.apdus == before + 1, "only the tries query reached the card"


@pytest.mark.parametrize("profile,error,detail", [
    ("not-a-cns", CardNotSupported, ""),
    ("truncated-dati", CardDataInvalid, ""),
    ("malformed-dati", CardDataInvalid, ""),
    ("garbage-cert", CertificateInvalid, "garbage"),
    ("expired-cert", CertificateInvalid, "expired"),
    ("unknown-ca", CertificateInvalid, "unknown_ca"),
    ("cf-mismatch", CertificateInvalid, "mismatch"),
    ("sw-6f00", CardStatusError, "6F00"),
    ("sw-6a82", CardNotSupported, "6A82"),
    ("sw-6982", PinRequired, "6982"),
])
def test_broken_cards_are_announced_unreadable_and_say_why(pcsc_stack, reader, profile, error, detail):
    insert(pcsc_stack, reader, profile)
    assert reader.events.inserted[-1] is None, "inserted, but no identity"
    with pytest.raises(error) as err:
        reader.read_identity()
    if isinstance(err.value, CertificateInvalid):
        assert err.value.reason == detail
    else:
        assert detail in str(err.value)
    assert "BIANCHI" not in str(err.value) and "BNCGLI" not in str(err.value)


def test_card_pulled_out_mid_read(pcsc_stack, reader):
    pcsc_stack.insert("ts-cns", pull_after=3)  # answers 3 APDUs of the insertion read, then gone
    reader.events.wait(lambda: reader.events.removed >= 1 or reader.events.inserted)
    reader.events.wait(lambda: not reader.is_card_present)
    with pytest.raises(NoCard):
        reader.read_identity()
    insert(pcsc_stack, reader, "ts-cns")  # put back: read normally
    assert reader.read_identity().codice_fiscale == "BNCGLI85C52H501R"


def test_cie_is_recognised_by_its_applets_nis_and_genuine_chip(pcsc_stack, reader):
    insert(pcsc_stack, reader, "cie")
    assert reader.events.inserted[-1] is None
    result = reader.read_card()
    assert isinstance(result, CieRead) and result.nis == "123456789012" and result.is_genuine
    with pytest.raises(CardIsCie, match="CIE"):
        reader.read_identity()
    insert(pcsc_stack, reader, "cie-cloned")
    assert not reader.read_card().is_genuine


def test_reader_recovers_when_pcscd_is_killed_and_restarted(pcsc_stack, reader):
    if pcsc_stack.process is None:
        pytest.skip("pcscd was started by someone else; this test only restarts its own")
    insert(pcsc_stack, reader, "ts-cns")
    inserted = len(reader.events.inserted)
    pcsc_stack.kill_pcscd()
    reader.events.wait(lambda: reader.events.removed >= 1)
    with pytest.raises(CardError):
        reader.pin_tries_left()
    pcsc_stack.start_pcscd()  # the emulator reconnects to the new vpcd by itself
    reader.events.wait(lambda: len(reader.events.inserted) > inserted, timeout=20)
    assert reader.events.inserted[-1].codice_fiscale == "BNCGLI85C52H501R"
    assert reader.pin_tries_left() == 3


def test_another_program_resetting_the_card_is_survived(pcsc_stack, reader):
    from smartcard import scard

    insert(pcsc_stack, reader, "ts-cns")
    assert reader.verify_pin("12345678").ok
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hresult, hcard, _ = scard.SCardConnect(context, VPCD_READER, scard.SCARD_SHARE_SHARED,
                                           scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    assert hresult == scard.SCARD_S_SUCCESS
    scard.SCardDisconnect(hcard, scard.SCARD_RESET_CARD)  # e.g. a technician's pkcs15-tool
    scard.SCardReleaseContext(context)
    assert reader.pin_tries_left() == 3, "still the same card, reconnected"
    with pytest.raises(PinRequired):
        reader.sign(b"after the reset the PIN must be given again")
