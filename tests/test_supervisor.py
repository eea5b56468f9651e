"""``kiosk run``'s supervisor on a real headless UI: READY=1 after the welcome screen, watchdog pings only
while healthy, metrics served on 127.0.0.1."""

from __future__ import annotations

import socket

import httpx
import pytest

from kiosk.app import KioskApp
from kiosk.appliance.runner import supervise
from kiosk.appliance.sdnotify import Notifier
from kiosk.config import load_config
from kiosk.journey.screens import Screen

from shell_helpers import make_shell


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPORTELLO_METRICS__PORT", "0")
    config = load_config(None)
    shell = make_shell(tmp_path)
    app = KioskApp.create(shell, config, headless=True)
    yield app, config
    app.close()
    shell.close()
    shell.hw.close()
    shell.store.close()


@pytest.fixture
def notify(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(2)
    yield Notifier(environ={"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "400000"}), sock
    sock.close()


def _drain(sock) -> list[bytes]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096))
    except BlockingIOError:
        return out
    finally:
        sock.setblocking(True)


def test_ready_after_welcome_then_pings_and_metrics(app, notify):
    import time

    app, config = app
    notifier, sock = notify
    assert app.screen is Screen.WELCOME
    supervisor = supervise(app, config=config, notifier=notifier)
    supervisor.watch.check_every_s = 0
    try:
        assert sock.recv(4096).startswith(b"READY=1")
        for _ in range(3):
            app.step([])
            assert supervisor.beat()
            time.sleep(0.12)
        assert _drain(sock).count(b"WATCHDOG=1") == 3
        text = httpx.get(f"http://127.0.0.1:{supervisor.metrics.port}/metrics", timeout=5).text
        assert "sportello_healthy 1.0" in text and "sportello_backlog_packets 0.0" in text
        app.shell.hw.camera.close()  # a device drops out: the pings stop, systemd will restart the kiosk
        time.sleep(0.12)
        app.step([])
        assert not supervisor.beat()
        assert supervisor.watch.problem == "camera_stopped"
        assert b"WATCHDOG=1" not in _drain(sock)
        assert "sportello_healthy 0.0" in httpx.get(f"http://127.0.0.1:{supervisor.metrics.port}/metrics").text
    finally:
        supervisor.metrics.close()


def test_a_blank_screen_stops_the_pings(app, notify):
    import time

    app, config = app
    notifier, sock = notify
    supervisor = supervise(app, config=None, notifier=notifier)
    supervisor.watch.check_every_s = 0
    supervisor.watch.blank_grace_s = 0.1
    app.ui.surface.fill((0, 0, 0))  # what a crashed renderer leaves: nothing drawn
    assert supervisor.beat()  # first sight of a blank screen: still within the grace
    time.sleep(0.15)
    assert not supervisor.beat() and supervisor.watch.problem == "screen_blank"
    app.ui.draw(force=True)  # the renderer draws again (it draws only when something changed)
    time.sleep(0.11)
    assert supervisor.beat() and not supervisor.watch.problem
