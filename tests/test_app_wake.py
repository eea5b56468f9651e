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
        event = pygame.event.wait(3000)  # what run_forever does between turns (250 ms there)
        waited = time.monotonic() - started
        timer.join()
        assert event.type != pygame.NOEVENT and waited < 1.0, "the loop slept through the card"
        app.step([event])
        assert shell.journey.session.is_card_present
    finally:
        app.close()
        shell.close()
        shell.hw.close()
        shell.store.close()
