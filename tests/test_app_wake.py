"""A device report wakes the kiosk's sleeping loop at once (a card read shows without an idle tick)."""

from __future__ import annotations

import threading
import time

import pygame

from hardware.card.simcard import SimCard
from kiosk.app import KioskApp
from kiosk.config import load_config
from shell_helpers import make_shell


def test_a_card_inserted_while_the_loop_sleeps_wakes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    shell = make_shell(tmp_path)
    app = KioskApp.create(shell, load_config(None), headless=True)
    try:
        pygame.event.clear()
        timer = threading.Timer(0.05, lambda: shell.hw.card_reader.insert(SimCard.sample()))  # a device thread
        timer.start()
        started = time.monotonic()
        events = app.waiter.wait(30.0)  # what run_forever does between turns, with a long timer
        waited = time.monotonic() - started
        timer.join()
        assert events and waited < 20.0, "the loop slept through the card"
        app.step(events)
        assert shell.journey.session.is_card_present
    finally:
        app.close()
        shell.close()
        shell.hw.close()
        shell.store.close()


def test_the_loop_sleeps_until_the_next_timer_and_wakes_on_the_touchscreen(tmp_path, monkeypatch):
    """On KMS/DRM and the dummy driver SDL's wait polls every millisecond: the loop blocks in select() on
    the input devices instead, for as long as the journey's next timer allows."""
    import os
    from datetime import timedelta

    from kiosk.journey.events import Intent, UserIntent
    from kiosk.wait import LoopWaiter

    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    shell = make_shell(tmp_path)
    app = KioskApp.create(shell, load_config(None), headless=True)
    try:
        rules = shell.journey.rules
        assert app.waiter.is_select  # the dummy driver has no native wait
        assert app.wait_s() == 2.0  # the welcome screen: no timer, the longest sleep
        shell.post(UserIntent(Intent.CHOOSE, "status"))  # a journey screen: the inactivity warning is due
        now = shell.clock()
        shell.journey.session.last_input_at = now - timedelta(seconds=rules.inactivity_warning_s - 0.5)
        assert 0.0 < shell.journey.seconds_to_next_tick(now) <= 0.5 and app.wait_s() <= 0.5
        s = shell.journey.session
        s.overlay, s.warning_started_at = "inactivity", now - timedelta(seconds=3.25)
        assert abs(shell.journey.seconds_to_next_tick(now) - 0.75) < 1e-6  # the countdown's next whole second
        fifo = tmp_path / "event0"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # keeps the FIFO open, like a device node
        waiter = LoopWaiter(driver="kmsdrm", devices=str(tmp_path / "event*"))
        try:
            timer = threading.Timer(0.05, lambda: os.write(writer, bytes(24)))  # a finger on the touchscreen
            timer.start()
            started = time.monotonic()
            waiter.wait(30.0)
            timer.join()
            assert time.monotonic() - started < 20.0, "a touch did not wake the loop"
        finally:
            waiter.close()
            os.close(writer)
    finally:
        app.close()
        shell.close()
        shell.hw.close()
        shell.store.close()
