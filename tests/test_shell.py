"""The shell on simulated devices: commit before print, reprint after a crash, faults with clear outcomes."""

from __future__ import annotations

import sqlite3

import pytest

from hardware.card.simcard import SimCard
from kiosk.errors import StoreError
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.store import Store

from shell_helpers import OPERATOR_PIN, identify_by_operator, make_shell, running_shell, tap, walk_to_identification


@pytest.fixture
def shell(tmp_path):
    with running_shell(tmp_path) as shell:
        yield shell


def _rows(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT enrollment_id, printed_at FROM outbox").fetchall()


def test_receipt_prints_only_after_the_commit_is_durable(shell):
    seen_at_print = []
    printer = shell.hw.printer
    original = printer.print_bytes

    def print_bytes(data):
        seen_at_print.append(_rows(shell.store.path))  # a separate connection: only committed rows
        original(data)

    printer.print_bytes = print_bytes
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.screen is Screen.RECEIPT and s.print_status == "printed"
    assert len(printer.receipts) == 1
    assert seen_at_print == [[(s.enrollment_id, None)]]
    assert _rows(shell.store.path)[0][1] is not None, "printing is recorded"
    assert shell.store.pending_print() == []


def test_failed_commit_prints_nothing_and_can_be_retried(shell, monkeypatch):
    real_commit = shell.store.commit_packet

    def full_disk(**kwargs):
        raise StoreError("committing the enrollment failed (disk_full)")

    monkeypatch.setattr(shell.store, "commit_packet", full_disk)
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.screen is Screen.SEALING and s.error == "disk_full"
    assert shell.hw.printer.receipts == [] and _rows(shell.store.path) == []
    monkeypatch.setattr(shell.store, "commit_packet", real_commit)
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.RECEIPT and len(shell.hw.printer.receipts) == 1


def test_crash_between_commit_and_print_is_reported_and_reprinted_once(tmp_path):
    first = make_shell(tmp_path)
    first.hw.printer.unplug()  # the kiosk "dies" before the receipt comes out
    identify_by_operator(first)
    committed = first.last_committed
    assert first.journey.session.print_status == "failed"
    first.close()
    first.hw.close()
    first.store.close()

    second = make_shell(tmp_path)
    try:
        pending = second.store.pending_print()
        assert [p[0] for p in pending] == [committed.enrollment_id]
        assert pending[0][2] == committed.activation_first_half
        assert second.reprint_pending() == [committed.enrollment_id]
        assert len(second.hw.printer.receipts) == 1
        assert second.reprint_pending() == [] and len(second.hw.printer.receipts) == 1, "never printed twice"
        assert len(_rows(second.store.path)) == 1, "one enrollment, one row"
    finally:
        second.close()
        second.hw.close()
        second.store.close()


def test_paper_out_shows_the_receipt_on_screen_and_keeps_it_for_reprint(shell):
    shell.hw.printer.set_paper("out")
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.screen is Screen.RECEIPT and s.print_status == "failed" and s.print_error == "paper_out"
    assert s.reference and s.activation_first_half
    assert shell.store.pending_print()[0][0] == s.enrollment_id


def test_pin_route_through_the_simulated_card(shell):
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "pin")
    s = shell.journey.session
    assert s.pin_tries_left == 3
    tap(shell, Intent.SET_FIELD, "12345678", "pin")
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.RECEIPT and len(shell.hw.printer.receipts) == 1


def test_wrong_pins_stop_before_the_card_blocks(shell):
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "pin")
    s = shell.journey.session
    for _ in range(4):
        tap(shell, Intent.SET_FIELD, "00000", "pin")
        tap(shell, Intent.NEXT)
    assert s.error == "pin_last_try" and s.pin_tries_left == 1
    assert shell.hw.card_reader.pin_tries_left() == 1, "the card is never blocked by the kiosk"


def test_unknown_operator_card_is_refused(shell):
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "operator")
    # the citizen's own card is still in the reader: it is not an operator's
    tap(shell, Intent.SET_FIELD, "12345678", "operator_pin")
    tap(shell, Intent.NEXT)
    s = shell.journey.session
    assert s.error == "operator_unknown" and not s.operator_id


def test_card_pulled_before_reading_keeps_the_journey_going(shell):
    tap(shell, Intent.START)
    tap(shell, Intent.NEXT)
    reader = shell.hw.card_reader
    reader.insert(SimCard.sample())
    reader.remove()
    shell.settle()
    s = shell.journey.session
    assert s.screen is Screen.INSERT_CARD and s.error in ("card_removed", "card_needed")
    tap(shell, Intent.MANUAL_ENTRY)
    assert s.screen is Screen.MANUAL_ENTRY


def test_unplugged_camera_gives_a_message_not_a_crash(shell):
    tap(shell, Intent.START)
    tap(shell, Intent.NEXT)
    shell.hw.card_reader.insert(SimCard.sample())
    shell.settle()
    tap(shell, Intent.NEXT)
    tap(shell, Intent.CHOOSE, "idcard")
    shell.hw.camera.unplug()
    tap(shell, Intent.CAPTURE)
    s = shell.journey.session
    assert s.screen is Screen.DOCUMENT_FRONT and s.error == "camera_missing" and not s.is_busy


def test_the_kiosk_cannot_read_what_it_sealed(shell):
    identify_by_operator(shell)
    packet = shell.store.packet(shell.last_committed.enrollment_id)
    assert packet and b"BIANCHI" not in packet and b"BNCGLI85C52H501R" not in packet
    assert OPERATOR_PIN.encode() not in packet


def test_store_reports_its_migrations(tmp_path):
    with Store.open(tmp_path / "k.db") as store:
        assert store.applied_migrations() == ["m001_outbox", "m002_status_reasons", "m003_receipt_language"]
