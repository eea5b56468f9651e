"""The shell with the panel and the printer's faults: help button, status LED, tamper, paper."""

from __future__ import annotations

import logging

import pytest

from hardware.errors import PanelError
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen

from shell_helpers import identify_by_operator, make_shell, tap


@pytest.fixture
def shell(tmp_path):
    shell = make_shell(tmp_path)
    shell.leds = []
    set_status = shell.hw.panel.set_status
    shell.hw.panel.set_status = lambda state: (shell.leds.append(state), set_status(state))
    yield shell
    shell.close()
    shell.hw.close()
    shell.store.close()


def test_help_button_calls_staff_like_the_screen_help(shell):
    tap(shell, Intent.START)
    shell.hw.panel.press("help")
    shell.hw.panel.release("help")
    shell.settle()
    assert shell.journey.session.overlay == "help"
    assert shell.hw.panel.states("help_led").count(True) >= 1


def test_status_led_ready_then_busy_then_ready(shell):
    shell.settle()
    assert shell.leds[-1] == "ready" and shell.hw.panel.pin("status_led_green").state
    tap(shell, Intent.START)
    assert shell.leds[-1] == "busy"
    tap(shell, Intent.CANCEL)
    tap(shell, Intent.CONFIRM_CANCEL)
    assert shell.journey.session.screen is Screen.WELCOME and shell.leds[-1] == "ready"


def test_paper_near_end_raises_a_technician_alert_and_the_receipt_still_prints(shell, caplog):
    shell.hw.printer.set_paper("near_end")
    with caplog.at_level(logging.WARNING, logger="kiosk.shell"):
        identify_by_operator(shell)
    s = shell.journey.session
    assert s.print_status == "printed" and len(shell.hw.printer.receipts) == 1
    assert shell.printer_alert == "paper_near_end" and shell.leds[-1] == "attention"
    alerts = [r for r in caplog.records if "ALERT" in r.getMessage()]
    assert alerts and alerts[0].alert == "paper_near_end"
    assert all(s.reference not in r.getMessage() and not hasattr(r, "reference") for r in alerts)


def test_paper_out_mid_receipt_is_reprinted_whole_when_paper_returns(shell):
    printer = shell.hw.printer
    printer.fail_after(300)
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.screen is Screen.RECEIPT and s.print_status == "failed" and s.print_error == "paper_out"
    assert len(printer.partial) == 1 and printer.receipts == []
    assert shell.printer_alert == "paper_out" and shell.leds[-1] == "attention"
    assert shell.check_printer() == [], "no paper yet: nothing printed, nothing lost"
    assert shell.store.pending_print()[0][0] == s.enrollment_id
    printer.set_paper("ok")
    shell.printer_check_s = 0
    shell._next_printer_check = 0
    shell.settle()
    assert len(printer.receipts) == 1 and len(printer.receipts[0]) > 300
    assert s.reference.encode() in printer.receipts[0]
    assert shell.store.pending_print() == [] and shell.printer_alert == ""


def test_printer_unplugged_mid_journey_keeps_the_receipt_for_later(shell):
    shell.hw.printer.unplug()
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.print_status == "failed" and s.print_error == "printer_offline"
    assert shell.printer_alert == "printer_offline"
    shell.hw.printer.plug()
    assert shell.check_printer() == [s.enrollment_id]
    assert len(shell.hw.printer.receipts) == 1


def test_cover_open_keeps_the_receipt_for_later(shell):
    shell.hw.printer.open_cover()
    identify_by_operator(shell)
    s = shell.journey.session
    assert s.print_status == "failed" and shell.printer_alert == "cover_open"
    assert shell.store.pending_print()[0][0] == s.enrollment_id
    shell.hw.printer.close_cover()
    assert shell.check_printer() == [s.enrollment_id]


def test_tamper_wipes_the_session_and_locks_until_a_technician_clears_it(shell, caplog):
    tap(shell, Intent.START)
    shell.journey.session.fields["email"] = "someone@example.it"
    with caplog.at_level(logging.WARNING, logger="kiosk.shell"):
        shell.hw.panel.press("tamper")
        shell.settle()
    s = shell.journey.session
    assert s.screen is Screen.OUT_OF_SERVICE and s.frozen_reason == "tamper" and not s.fields
    assert shell.leds[-1] == "attention"
    assert any("enclosure opened" in r.getMessage() for r in caplog.records)
    tap(shell, Intent.START)
    assert shell.journey.session.screen is Screen.OUT_OF_SERVICE, "citizens cannot resume it"
    assert not shell.clear_tamper(), "refused while the door is open"
    shell.hw.panel.release("tamper")
    assert shell.clear_tamper()
    shell.settle()
    assert shell.journey.session.screen is Screen.WELCOME and shell.leds[-1] == "ready"


def test_a_broken_status_led_never_stops_a_citizen(shell):
    def broken(state):
        raise PanelError("status_led_green pin GPIO23 is busy")

    shell.hw.panel.set_status = broken
    identify_by_operator(shell)
    assert shell.journey.session.print_status == "printed"
