"""The journey with a real PC/SC reader: pcscd + vpcd + the emulated card, through the shell."""

from __future__ import annotations

import threading
import time

import pytest

from hardware.card.pcsc import PcscCardReader
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from pcsc_harness import VPCD_READER
from shell_helpers import OPERATOR_PIN, make_shell, tap, walk_to_identification


@pytest.fixture
def shell(tmp_path, pcsc_stack):
    pcsc_stack.remove()
    shell = make_shell(tmp_path, card_reader=PcscCardReader(reader=VPCD_READER, ca_certs=[pcsc_stack.ca_path]))
    try:
        yield shell
    finally:
        shell.close()
        shell.hw.close()
        pcsc_stack.remove()


def pump_until(shell, predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"stuck at {shell.journey.session.screen} ({shell.journey.session.error})"
        shell.settle()
        time.sleep(0.01)
    shell.settle()


def insert_card(shell, stack, profile: str):
    card = stack.insert(profile)
    s = shell.journey.session
    pump_until(shell, lambda: s.screen is not Screen.INSERT_CARD or s.error)
    return card


def walk_to_insert_card(shell) -> None:
    tap(shell, Intent.START)
    for _ in range(5):
        if shell.journey.session.screen is Screen.INSERT_CARD:
            return
        tap(shell, Intent.NEXT)
    raise AssertionError(f"stuck at {shell.journey.session.screen}")


def test_the_real_card_greets_the_citizen_and_the_pin_route_seals(shell, pcsc_stack):
    walk_to_insert_card(shell)
    insert_card(shell, pcsc_stack, "ts-cns")
    s = shell.journey.session
    assert s.screen is Screen.CARD_DATA and s.error == ""
    assert (s.citizen.codice_fiscale, s.citizen.given_name, s.citizen.surname) == ("BNCGLI85C52H501R", "GIULIA", "BIANCHI")
    assert s.citizen.source == "card" and s.has_card_certificate
    tap(shell, Intent.NEXT)
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "pin")
    assert s.screen is Screen.PIN and s.pin_tries_left == 3, "the citizen sees the tries left before typing"
    tap(shell, Intent.SET_FIELD, "12345678", "pin")
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.RECEIPT, s.error
    assert len(shell.hw.printer.receipts) == 1


def wait_for_card_report(shell) -> None:
    deadline = time.monotonic() + 10
    while shell.events.empty():
        assert time.monotonic() < deadline, "the insertion never reached the shell"
        time.sleep(0.005)


def test_the_card_data_screen_follows_the_insertion_in_one_turn(shell, pcsc_stack):
    """The card was read and checked as it arrived: no "please wait" frame, no trip through the worker
    (here busy with something else, as with a printer check)."""
    walk_to_insert_card(shell)
    gate = threading.Event()
    shell._on_worker(lambda: gate.wait(10))
    try:
        pcsc_stack.insert("ts-cns")
        wait_for_card_report(shell)
        shell.pump()  # one turn of the UI loop
        s = shell.journey.session
        assert s.screen is Screen.CARD_DATA and not s.is_busy and s.error == ""
        assert s.citizen.codice_fiscale == "BNCGLI85C52H501R"
    finally:
        gate.set()
    shell.settle()
    assert s.screen is Screen.CARD_DATA


@pytest.mark.parametrize("profile,error", [
    ("cf-mismatch", "card_certificate_invalid"), ("unknown-ca", "card_certificate_invalid"),
    ("truncated-dati", "card_data_inconsistent"),
])
def test_a_card_whose_checks_fail_never_lets_the_journey_proceed(shell, pcsc_stack, profile, error):
    walk_to_insert_card(shell)
    pcsc_stack.insert(profile)
    wait_for_card_report(shell)
    shell.pump()
    s = shell.journey.session
    assert s.screen is Screen.INSERT_CARD and s.citizen is None
    shell.settle()  # the worker asks the card again, and is told what is wrong with it
    assert s.screen is Screen.INSERT_CARD and s.error == error and s.citizen is None
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.INSERT_CARD and s.citizen is None


def test_wrong_pins_count_down_and_the_last_try_is_never_sent(shell, pcsc_stack):
    walk_to_insert_card(shell)
    card = insert_card(shell, pcsc_stack, "ts-cns")
    tap(shell, Intent.NEXT)
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "pin")
    s = shell.journey.session
    seen = [s.pin_tries_left]
    for _ in range(3):
        tap(shell, Intent.SET_FIELD, "99999999", "pin")
        tap(shell, Intent.NEXT)
        seen.append(s.pin_tries_left)
    assert seen == [3, 2, 1, 1]
    assert s.error == "pin_last_try" and s.screen is Screen.PIN
    assert card.tries_left == 1 and not card.is_blocked, "the kiosk never spends the last try"


@pytest.mark.parametrize("profile,error", [
    ("not-a-cns", "card_unknown"), ("truncated-dati", "card_data_inconsistent"),
    ("garbage-cert", "card_certificate_invalid"), ("expired-cert", "card_certificate_invalid"),
    ("unknown-ca", "card_certificate_invalid"), ("cf-mismatch", "card_certificate_invalid"),
    ("sw-6f00", "card_unreadable"), ("sw-6a82", "card_unknown"), ("sw-6982", "card_unreadable"),
])
def test_a_bad_card_gives_a_clear_message_and_manual_entry_remains(shell, pcsc_stack, profile, error):
    walk_to_insert_card(shell)
    insert_card(shell, pcsc_stack, profile)
    s = shell.journey.session
    assert s.screen is Screen.INSERT_CARD and s.error == error and s.citizen is None
    from kiosk.ui.i18n import Translator

    for language in ("it", "en"):
        text = Translator(language).message(error)
        assert text != error and "card_" not in text
    tap(shell, Intent.MANUAL_ENTRY)
    assert s.screen is Screen.MANUAL_ENTRY


def test_the_operator_logs_in_with_their_own_cns(shell, pcsc_stack):
    walk_to_insert_card(shell)
    insert_card(shell, pcsc_stack, "ts-cns")
    tap(shell, Intent.NEXT)
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "operator")
    pcsc_stack.remove()
    pcsc_stack.insert("cns-operator")
    s = shell.journey.session
    pump_until(shell, lambda: shell.hw.card_reader.is_card_present)
    tap(shell, Intent.SET_FIELD, OPERATOR_PIN, "operator_pin")
    tap(shell, Intent.NEXT)
    assert s.operator_id.startswith("op-") and s.error == ""


def test_a_cie_asks_for_its_can_and_the_chip_fills_in_the_names(shell, pcsc_stack):
    walk_to_insert_card(shell)
    card = pcsc_stack.insert("cie")
    s = shell.journey.session
    pump_until(shell, lambda: s.screen is not Screen.INSERT_CARD or s.error)
    assert s.screen is Screen.CIE_CAN and s.error == ""
    tap(shell, Intent.SET_FIELD, "12345", "can")
    tap(shell, Intent.NEXT)
    assert s.error == "can_format" and card.pace.failed_attempts == 0, "a short CAN never reaches the card"
    tap(shell, Intent.SET_FIELD, "111111", "can")
    tap(shell, Intent.NEXT)
    pump_until(shell, lambda: not s.is_busy)
    assert s.screen is Screen.CIE_CAN and s.error == "wrong_can"
    assert card.pace.failed_attempts == 1, "one try per tap: never retried by itself"
    assert "can" not in s.fields, "the CAN is not kept"
    tap(shell, Intent.SET_FIELD, "123456", "can")
    tap(shell, Intent.NEXT)
    pump_until(shell, lambda: not s.is_busy)
    assert s.screen is Screen.MANUAL_ENTRY, s.error
    assert (s.fields["surname"], s.fields["given_name"]) == ("BIANCHI", "GIULIA")
    tap(shell, Intent.SET_FIELD, "BNCGLI85C52H501R", "codice_fiscale")
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.DOCUMENT_TYPE and s.citizen.codice_fiscale == "BNCGLI85C52H501R"
