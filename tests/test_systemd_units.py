"""The systemd units: hardened below the exposure threshold, and the kiosk's sd_notify / watchdog side."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pygame
import pytest

from kiosk.appliance.health import HealthWatch, is_blank
from kiosk.appliance.sdnotify import Notifier

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "systemd"
MAX_EXPOSURE = 2.0


def _analyzer() -> str:
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze is missing: ./scripts/bootstrap installs the Debian package 'systemd'"
    return path


def _exposure(unit: Path) -> float:
    out = subprocess.run(
        [_analyzer(), "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=60,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out.stdout + out.stderr)
    assert match, f"no exposure level for {unit.name}: {out.stdout[-500:]} {out.stderr[-500:]}"
    return float(match.group(1))


SERVICES = sorted(UNITS.glob("*.service"))


def test_the_appliance_ships_kiosk_sync_and_housekeeping_units():
    names = {p.name for p in UNITS.iterdir()}
    assert {"sportello-kiosk.service", "sportello-sync.service", "sportello-housekeeping.service",
            "sportello-housekeeping.timer", "sportello-reboot.path", "sportello-reboot.service",
            "60-sportello.rules"} <= names


@pytest.mark.parametrize("unit", SERVICES, ids=[p.name for p in SERVICES])
def test_every_service_is_hardened_below_the_exposure_threshold(unit):
    assert _exposure(unit) <= MAX_EXPOSURE


def test_the_analyzer_flags_an_unhardened_unit(tmp_path):
    bare = tmp_path / "bare.service"
    bare.write_text("[Service]\nExecStart=/bin/true\n")
    assert _exposure(bare) > 9.0


def test_the_kiosk_unit_is_a_notify_service_with_a_watchdog_on_kms():
    text = (UNITS / "sportello-kiosk.service").read_text()
    assert re.search(r"^Type=notify$", text, re.M)
    assert re.search(r"^WatchdogSec=\d+", text, re.M)
    assert "SDL_VIDEODRIVER=kmsdrm" in text
    assert "ExecStart=/opt/sportello/venv/bin/kiosk run" in text
    assert "ExecStart=/opt/sportello/venv/bin/kiosk sync --forever" in (UNITS / "sportello-sync.service").read_text()
    timer = (UNITS / "sportello-housekeeping.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer


def test_units_pass_systemd_analyze_verify_syntax(tmp_path):
    out = subprocess.run([_analyzer(), "verify", *map(str, sorted(p for p in UNITS.iterdir() if p.suffix != ".rules"))],
                         capture_output=True, text=True, timeout=60)
    problems = [line for line in (out.stdout + out.stderr).splitlines()
                if line.strip() and "is not executable" not in line and "No such file" not in line]
    assert not problems, problems


# -- sd_notify against a real AF_UNIX datagram socket ------------------------------------------------

@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield path, sock
    sock.close()


def _received(sock) -> list[str]:
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    finally:
        sock.setblocking(True)
    return messages


def test_ready_and_watchdog_datagrams_reach_the_socket(notify_socket):
    path, sock = notify_socket
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "20000000"})
    assert notifier.watchdog_s == 20.0
    assert notifier.ready("welcome screen up")
    assert sock.recv(4096).decode() == "READY=1\nSTATUS=welcome screen up"
    assert notifier.watchdog(now=100.0)
    assert sock.recv(4096).decode() == "WATCHDOG=1"
    assert not notifier.watchdog(now=101.0), "pinged again long before a quarter of WatchdogSec"
    assert notifier.watchdog(now=106.0)


def test_abstract_namespace_socket(tmp_path):
    name = f"sportello-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        assert Notifier(environ={"NOTIFY_SOCKET": "@" + name}).stopping()
        assert sock.recv(4096) == b"STOPPING=1"
    finally:
        sock.close()


def test_outside_systemd_nothing_is_sent_and_nothing_fails():
    notifier = Notifier(environ={})
    assert not notifier.is_enabled and not notifier.ready() and not notifier.watchdog()


def test_a_watchdog_meant_for_another_pid_is_ignored(notify_socket):
    path, _sock = notify_socket
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert notifier.watchdog_s == 0 and not notifier.watchdog()


# -- the health watch: pings only while the kiosk is healthy -----------------------------------------

class _Device:
    def __init__(self, kind, started=True):
        self.kind, self.is_started = kind, started


def _screen(blank: bool):
    surface = pygame.Surface((320, 200))
    surface.fill((20, 40, 90))
    if not blank:
        pygame.draw.rect(surface, (250, 250, 250), (40, 40, 120, 60))
    return surface


def test_health_watch_pings_while_healthy_and_stops_on_a_blank_screen(notify_socket):
    path, sock = notify_socket
    watch = HealthWatch(Notifier(environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "8000000"}),
                        blank_grace_s=10, check_every_s=0)
    watch.ready()
    assert is_blank(_screen(True)) and not is_blank(_screen(False))
    devices = [_Device("card reader"), _Device("camera")]
    assert watch.beat(surface=_screen(False), devices=devices, is_busy=False, now=10.0)
    assert watch.beat(surface=_screen(True), devices=devices, is_busy=False, now=13.0), "a blank frame is tolerated"
    assert not watch.beat(surface=_screen(True), devices=devices, is_busy=False, now=24.0)
    assert watch.problem == "screen_blank"
    assert not watch.beat(surface=_screen(True), devices=devices, is_busy=False, now=40.0)
    assert watch.beat(surface=_screen(False), devices=devices, is_busy=False, now=50.0)
    messages = _received(sock)
    assert messages[0].startswith("READY=1")
    assert "STATUS=unhealthy: screen_blank" in messages and messages.count("WATCHDOG=1") == 3


def test_health_watch_stops_on_a_stopped_device_or_a_stuck_effect(notify_socket):
    path, _sock = notify_socket
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "8000000"})
    watch = HealthWatch(notifier, stuck_effect_s=60, check_every_s=0)
    assert not watch.beat(surface=None, devices=[_Device("card reader", started=False)], is_busy=False, now=10.0)
    assert watch.problem == "card_reader_stopped"
    assert watch.beat(surface=None, devices=[], is_busy=True, now=20.0)
    assert not watch.beat(surface=None, devices=[], is_busy=True, now=81.0)
    assert watch.problem == "effect_stuck"
