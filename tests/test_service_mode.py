"""The on-screen service mode, the screen saver, quiet hours and the panel's presence sensor and buzzer,
driven through real pygame events (SDL dummy) and gpiozero's MockFactory pins."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

import pygame
import pytest

from hardware.card.simcard import SimCard
from kiosk import sealing
from kiosk.app import KioskApp, build_shell
from kiosk.appliance.health import is_blank
from kiosk.appliance.loop import CORNER, LONG_PRESS_S, Appliance
from kiosk.appliance.service import ServiceMode
from kiosk.appliance.technician import TechnicianLogin, hash_pin
from kiosk.appliance.update_lock import SessionLock
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.devices import Hardware
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen

from shell_helpers import identify_by_operator, tap

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
PIN = "24681357"
TECHNICIAN = SimCard.sample_operator()  # a CNS whose holder the config lists as a technician


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPORTELLO_SERVICE__TECHNICIAN_PIN_HASH", hash_pin(PIN, log2_n=12))
    monkeypatch.setenv("SPORTELLO_SERVICE__TECHNICIAN_CARDS", json.dumps([TECHNICIAN.identity.codice_fiscale]))
    monkeypatch.setenv("SPORTELLO_SERVICE__LOCKOUT_AFTER", "3")
    monkeypatch.setenv("SPORTELLO_SERVICE__USB_EXPORT_DIR", str(tmp_path / "usb"))
    monkeypatch.setenv("SPORTELLO_SERVICE__QUIET_HOURS", "22:00-07:00")
    monkeypatch.setenv("SPORTELLO_PANEL__PRESENCE_SENSOR", "5")
    monkeypatch.setenv("SPORTELLO_PANEL__BUZZER", "18")
    monkeypatch.setenv("SPORTELLO_METRICS__PORT", "0")
    monkeypatch.setenv("SPORTELLO_JOURNEY__DEFAULT_LANGUAGE", "en")  # service screens in English (Italian: test_service_i18n)
    return load_config(None)


class Rig:
    """A whole kiosk on simulated hardware: shell, headless UI, the appliance around it."""

    def __init__(self, config, tmp_path, *, wall=lambda: datetime(2026, 11, 23, 10, 0)) -> None:
        self.config = config
        from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk

        self.receiver_dir = tmp_path / "receiver"
        init_data_dir(self.receiver_dir)
        key = sealing.load_or_create_signing_key(config.keys_dir / "kiosk.key")
        trust_kiosk(self.receiver_dir, config.kiosk.id, sealing.public_key_pem(key.public_key()))
        self.hw = Hardware.from_config(config)
        self.hw.start()
        self.shell = build_shell(config, self.hw, receiver_public_key=public_key_path(self.receiver_dir))
        self.shell.operators.add(TECHNICIAN.identity.codice_fiscale)
        self.app = KioskApp.create(self.shell, config, headless=True)
        self.clock = Clock()
        self.wall = wall
        (tmp_path / "run").mkdir(exist_ok=True)
        self.service = ServiceMode(shell=self.shell, config=config, reboot_flag=tmp_path / "run" / "reboot-requested")
        self.update_lock = tmp_path / "run" / "update.lock"
        self.appliance = Appliance(self.app, config, service=self.service, clock=self.clock, wall=lambda: self.wall(),
                                   session_lock=SessionLock(self.update_lock))

    def turn(self, events=()) -> None:
        self.appliance.step(list(events))
        self.shell.settle()

    def touch(self, pos, *, hold: float = 0.0) -> None:
        self.turn([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
        self.clock.t += hold
        self.turn([pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])

    def press(self, name: str) -> None:
        rect = self.appliance.service_screen.layout()[name]
        self.touch(rect.center)

    def type_pin(self, pin: str) -> None:
        for digit in pin:
            self.press(digit)
        self.press("ok")

    def close(self) -> None:
        self.app.close()
        self.shell.close()
        self.hw.close()
        self.shell.store.close()


@pytest.fixture
def rig(config, tmp_path):
    rig = Rig(config, tmp_path)
    yield rig
    rig.close()


def test_tamper_lock_is_lifted_only_by_a_technician_login_in_service_mode(rig, tmp_path):
    rig.hw.panel.press("tamper")
    rig.turn()
    assert rig.app.screen is Screen.OUT_OF_SERVICE
    rig.hw.panel.release("tamper")  # the door is shut again, but the kiosk stays locked
    for _ in range(3):
        rig.turn()
    assert rig.app.screen is Screen.OUT_OF_SERVICE
    rig.touch((640, 400))  # any touch on a locked kiosk asks for the technician
    assert rig.service.state.is_open and not rig.service.state.is_logged_in
    rig.type_pin("11111111")
    assert "Wrong PIN: 2 tries" in rig.service.state.message
    rig.press("exit")  # leaving the login does not unlock anything
    assert rig.app.screen is Screen.OUT_OF_SERVICE and not rig.service.state.is_open
    rig.touch((640, 400))
    rig.type_pin(PIN)
    assert rig.service.state.is_logged_in and rig.service.state.page == "devices"
    assert any("LOCKED (tamper)" in line for line in rig.service.state.lines)
    rig.appliance.service_screen.draw(rig.app.ui.surface)
    pygame.image.save(rig.app.ui.surface, tmp_path / "service-devices.png")
    rig.press("resume")
    assert "cleared" in rig.service.state.message
    rig.press("exit")
    assert rig.app.screen is Screen.WELCOME


def test_resume_refused_while_the_enclosure_is_open(rig):
    rig.hw.panel.press("tamper")
    rig.turn()
    rig.touch((10, 700))
    rig.type_pin(PIN)
    rig.press("resume")
    assert "still open" in rig.service.state.message
    assert rig.shell.journey.session.frozen_reason == "tamper"


def test_wrong_pins_lock_the_login_and_the_lockout_survives_a_restart(rig, config, capsys):
    rig.service.open(rig.clock())
    for _ in range(3):
        rig.type_pin("99999999")
    assert rig.service.state.message.startswith("Locked until")
    rig.type_pin(PIN)  # even the right PIN is refused while locked
    assert not rig.service.state.is_logged_in
    again = TechnicianLogin.from_config(config)  # a reboot: a fresh process reads the persisted state
    assert again.attempt(PIN).reason == "locked"
    state = (config.kiosk.data_dir / "service-lockout.json").read_text()
    assert PIN not in state and set(json.loads(state)) == {"failures", "locked_until"}
    assert main(["technician", "unlock"]) == 0
    assert TechnicianLogin.from_config(config).attempt(PIN).ok


def test_long_press_in_the_corner_opens_service_mode_and_short_taps_do_nothing(rig):
    rig.touch((CORNER // 2, CORNER // 2), hold=0.3)
    assert not rig.service.state.is_open and rig.app.screen is Screen.WELCOME
    rig.touch((CORNER // 2, CORNER // 2), hold=LONG_PRESS_S + 0.1)
    assert rig.service.state.is_open


def test_technician_card_login_and_refusals(rig):
    rig.service.open(rig.clock())
    rig.hw.card_reader.insert(SimCard.sample())  # a citizen's card is not a technician's
    for digit in "12345":
        rig.press(digit)
    rig.press("card")
    assert rig.service.state.message == "This card is not a technician's card"
    rig.hw.card_reader.remove()
    rig.hw.card_reader.insert(SimCard.sample_operator(tries_left=1))
    for digit in "87654321":
        rig.press(digit)
    rig.press("card")
    assert "one PIN try left" in rig.service.state.message and not rig.service.state.is_logged_in
    rig.hw.card_reader.remove()
    rig.hw.card_reader.insert(TECHNICIAN)
    for digit in "87654321":
        rig.press(digit)
    rig.press("card")
    assert rig.service.state.is_logged_in


def _login(rig) -> None:
    rig.service.open(rig.clock())
    rig.type_pin(PIN)
    assert rig.service.state.is_logged_in


def test_device_tests_printer_card_leds_and_camera_view(rig, tmp_path):
    import numpy as np

    _login(rig)
    before = len(rig.hw.printer.receipts)
    rig.press("test_page")
    assert rig.service.state.message == "Test page printed" and len(rig.hw.printer.receipts) == before + 1
    rig.hw.card_reader.insert(SimCard.sample())
    rig.press("read_card")
    assert rig.service.state.message.startswith("Card read: TS-CNS ****")
    assert "BNCGLI85C52H501R" not in rig.service.state.message
    green_before = len(rig.hw.panel.states("status_led_green"))
    rig.press("test_leds")
    assert len(rig.hw.panel.states("status_led_red")) > 1 and len(rig.hw.panel.states("status_led_green")) > green_before
    stripes = np.zeros((480, 640, 3), np.uint8)
    stripes[:, :, 0] = 255  # a red scene
    rig.hw.camera.show(stripes)
    rig.press("live_view")
    rig.turn()
    surface = rig.app.ui.surface
    w, h = surface.get_size()
    assert tuple(surface.get_at((w // 2, h // 2)))[:3] == (255, 0, 0)
    pygame.image.save(surface, tmp_path / "service-live-view.png")


def _enroll(rig) -> str:
    identify_by_operator(rig.shell)
    for _ in range(50):
        rig.shell.settle()
        if rig.shell.journey.session.screen in (Screen.RECEIPT, Screen.THANK_YOU):
            break
    return rig.shell.last_committed.enrollment_id


def test_queue_and_forced_sync_to_a_real_receiver(rig):
    from kiosk.receiver.server import ReceiverServer

    enrollment_id = _enroll(rig)
    assert rig.shell.store.entry(enrollment_id).status == "queued"
    with ReceiverServer(rig.receiver_dir) as server:
        rig.service.config = rig.config.model_copy(
            update={"receiver": rig.config.receiver.model_copy(update={"url": server.url})})
        _login(rig)
        rig.press("page:queue")
        assert rig.service.state.lines[0].startswith("1 packet(s) waiting")
        assert any(enrollment_id[:12] in line for line in rig.service.state.lines)
        rig.press("sync")
        rig.service._sync_thread.join(30)
    assert rig.service.state.message == "Sync: 1 delivered, 0 still queued"
    assert rig.shell.store.entry(enrollment_id).status != "queued"


def _queue_sample_packets(rig, count: int) -> list[str]:
    """``count`` sealed packets in the outbox, each waiting out a long backoff (as after days offline)."""
    import hashlib
    from datetime import UTC

    from kiosk.domain.ids import reference
    from kiosk.domain.sample import sample_enrollment
    from kiosk.payload import encode
    from kiosk.receiver.keys import public_key_path

    key = sealing.load_or_create_signing_key(rig.config.keys_dir / "kiosk.key")
    recipient = sealing.load_recipient(public_key_path(rig.receiver_dir))
    ids = []
    for _ in range(count):
        enrollment = sample_enrollment(kiosk_id=rig.config.kiosk.id)
        packet = sealing.seal(encode(enrollment.to_payload(raw_attachments=True)), recipient=recipient, signing_key=key,
                              kiosk_id=rig.config.kiosk.id, enrollment_id=enrollment.enrollment_id,
                              created_at=datetime.now(UTC))
        rig.shell.store.commit_packet(enrollment_id=enrollment.enrollment_id, reference=reference(enrollment.enrollment_id),
                                      packet=packet, digest=hashlib.sha256(packet).hexdigest(), print_code="Ab3$xy")
        rig.shell.store.mark_printed(enrollment.enrollment_id)
        rig.shell.store.mark_attempt_failed(enrollment.enrollment_id, error="transport:ConnectError",
                                            next_attempt_at="2099-01-01T00:00:00Z")
        ids.append(enrollment.enrollment_id)
    return ids


def test_forced_sync_of_a_backlog_with_the_receiver_down_gives_up_soon_and_keeps_everything(rig, tmp_path):
    """The technician's "sync now" with no receiver answering: it says so within seconds (not one
    timeout after another for each packet), and every packet is still queued, then delivered."""
    import socket

    from kiosk.receiver.server import ReceiverServer

    ids = _queue_sample_packets(rig, 20)
    with socket.socket() as spare:  # a port nobody listens on
        spare.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{spare.getsockname()[1]}"
    rig.service.config = rig.config.model_copy(update={"receiver": rig.config.receiver.model_copy(update={"url": dead})})
    _login(rig)
    rig.press("page:queue")
    rig.press("sync")
    rig.service._sync_thread.join(60)
    assert not rig.service._sync_thread.is_alive()
    assert rig.service.state.message == "Sync: 0 delivered, 20 still queued"
    assert all(rig.shell.store.entry(i).status == "queued" and rig.shell.store.entry(i).has_packet for i in ids)
    tried = [i for i in ids if rig.shell.store.entry(i).attempts > 1]
    assert 0 < len(tried) < len(ids)  # it stopped trying once the receiver was plainly out of reach
    with ReceiverServer(rig.receiver_dir) as server:  # back online: one press delivers the whole backlog
        rig.service.config = rig.config.model_copy(
            update={"receiver": rig.config.receiver.model_copy(update={"url": server.url})})
        rig.press("sync")
        rig.service._sync_thread.join(60)
        assert rig.service.state.message == "Sync: 20 delivered, 0 still queued"
    assert all(not rig.shell.store.entry(i).has_packet for i in ids)
    import sqlite3

    with sqlite3.connect(rig.receiver_dir / "receiver.db") as held:
        assert held.execute("SELECT COUNT(*) FROM packets").fetchone()[0] == 20  # each once


def test_usb_export_for_a_never_online_kiosk_and_the_receiver_import(rig, tmp_path):
    from kiosk.appliance.usb_export import import_packets
    from kiosk.receiver.intake import Intake

    enrollment_id = _enroll(rig)
    _login(rig)
    rig.press("page:queue")
    rig.press("export_usb")
    assert rig.service.state.message == "no USB stick mounted at " + str(tmp_path / "usb")
    (tmp_path / "usb").mkdir()
    rig.press("export_usb")
    assert rig.service.state.message.startswith("Exported 1 packet(s) to sportello-")
    exported = next((tmp_path / "usb").iterdir())
    assert (exported / f"{enrollment_id}.packet").read_bytes() == rig.shell.store.packet(enrollment_id)
    entry = rig.shell.store.entry(enrollment_id)
    assert entry.status == "exported" and entry.has_packet  # kept until the receiver acknowledges it
    assert rig.shell.store.backlog()[0] == 0
    with Intake(rig.receiver_dir) as intake:
        assert import_packets(intake, exported) == {enrollment_id: "accepted"}
    assert main(["receiver", "import", str(exported), "--data", str(rig.receiver_dir)]) == 0  # again: idempotent


def test_config_page_hides_the_pin_hash_and_reboot_asks_root_through_the_flag(rig, tmp_path):
    _login(rig)
    rig.press("page:config")
    lines = "\n".join(rig.service.state.lines)
    assert "service.technician_pin_hash = (set)" in lines and "scrypt$" not in lines
    rig.press("reboot")
    assert rig.service.state.message == "Rebooting..." and (tmp_path / "run" / "reboot-requested").is_file()
    rig.service.reboot_flag = tmp_path / "missing" / "reboot-requested"
    rig.press("reboot")
    assert rig.service.state.message.startswith("Reboot refused")
    text = (ROOT / "systemd" / "sportello-reboot.path").read_text()
    assert "PathExists=/run/sportello/reboot-requested" in text


# -- screen saver, presence sensor, quiet hours, buzzer ---------------------------------------------

def test_screen_saver_after_inactivity_woken_by_touch_without_pressing_anything(rig, tmp_path):
    rig.turn()
    rig.clock.t += rig.config.service.screen_saver_after_s + 1
    rig.turn()
    rig.turn()
    assert rig.appliance.is_saver_on
    surface = rig.app.ui.surface
    pygame.image.save(surface, tmp_path / "saver.png")
    assert not is_blank(surface), "the saver must not look like a dead screen to the watchdog"
    start = rig.app.ui.element_rect("start") if "start" in rig.app.ui.element_ids() else None
    rig.touch(start.center if start else (1000, 740))  # a touch where "Inizia" sits only wakes the screen
    assert not rig.appliance.is_saver_on and rig.app.screen is Screen.WELCOME


def test_presence_sensor_wakes_the_screen_outside_quiet_hours(rig):
    rig.clock.t += rig.config.service.screen_saver_after_s + 1
    rig.turn()
    assert rig.appliance.is_saver_on
    rig.hw.panel.press("presence")
    rig.turn()
    assert not rig.appliance.is_saver_on


def test_in_quiet_hours_the_screen_sleeps_soon_and_presence_does_not_wake_it(config, tmp_path):
    rig = Rig(config, tmp_path, wall=lambda: datetime(2026, 11, 23, 23, 30))
    try:
        rig.turn()
        rig.clock.t += 16
        rig.turn()
        assert rig.appliance.is_saver_on
        rig.hw.panel.press("presence")
        rig.turn()
        assert rig.appliance.is_saver_on
        rig.touch((640, 400))
        assert not rig.appliance.is_saver_on  # a citizen can still use the kiosk
    finally:
        rig.close()


def test_help_button_sounds_the_configured_buzzer(rig):
    rig.hw.panel.press("help")
    rig.turn()
    assert True in rig.hw.panel.states("buzzer")
    assert rig.hw.panel.pins.buzzer == 18 and rig.hw.panel.pins.presence_sensor == 5


def test_set_pin_prints_a_scrypt_hash_that_the_login_accepts(monkeypatch, capsys, tmp_path):
    import io

    from kiosk.appliance.technician import check_pin

    monkeypatch.setattr("sys.stdin", io.StringIO("13572468\n"))
    assert main(["technician", "set-pin", "--pin-stdin"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith('technician_pin_hash = "scrypt$15$8$1$')
    stored = line.split('"')[1]
    assert check_pin("13572468", stored) and not check_pin("13572469", stored)
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    assert main(["technician", "set-pin", "--pin-stdin"]) == 2  # too short: one clear error


def _updater_can_lock(path) -> bool:
    """What ``scripts/install`` does before it replaces anything, as a real separate process."""
    return subprocess.run(["flock", "--exclusive", "--nonblock", str(path), "true"]).returncode == 0


def test_a_citizen_mid_session_holds_the_update_lock_so_the_updater_waits(rig):
    rig.turn()
    assert rig.app.screen is Screen.WELCOME and _updater_can_lock(rig.update_lock)  # idle: an update may go
    rig.touch(rig.app.ui.element_rect("start").center)
    assert rig.app.screen is not Screen.WELCOME
    assert not _updater_can_lock(rig.update_lock)  # mid-session: the updater cannot take it
    rig.turn()
    assert not _updater_can_lock(rig.update_lock)
    tap(rig.shell, Intent.CANCEL)
    tap(rig.shell, Intent.CONFIRM_CANCEL)
    rig.turn()
    assert rig.app.screen is Screen.WELCOME and _updater_can_lock(rig.update_lock)
    rig.touch((CORNER // 2, CORNER // 2), hold=LONG_PRESS_S + 0.1)  # a technician at work counts too
    assert rig.service.state.is_open and not _updater_can_lock(rig.update_lock)
    rig.press("exit")
    rig.turn()
    assert _updater_can_lock(rig.update_lock)


def test_while_the_updater_holds_the_lock_no_session_starts_and_the_welcome_screen_says_why(rig, tmp_path):
    rig.turn()
    rig.app.ui.screenshot(tmp_path / "welcome.png")
    start = rig.app.ui.element_rect("start").center
    updater = subprocess.Popen(["flock", "--exclusive", str(rig.update_lock), "-c", "echo locked; read _"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert updater.stdout.readline().strip() == "locked"
        rig.turn()
        rig.touch(start)
        rig.turn()
        assert rig.app.screen is Screen.WELCOME and rig.appliance.is_updating
        shot = rig.app.ui.screenshot(tmp_path / "updating.png")
        assert pygame.image.load(str(shot)).get_at((640, 400)) != pygame.image.load(
            str(tmp_path / "welcome.png")).get_at((640, 400))
    finally:
        updater.stdin.close()
        updater.wait()  # stdin closed: the updater is done and lets go
    rig.turn()
    assert not rig.appliance.is_updating
    rig.touch(start)
    assert rig.app.screen is not Screen.WELCOME  # the update is over: the next citizen starts
    assert not _updater_can_lock(rig.update_lock)


@pytest.mark.parametrize("lang", ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh"))
def test_the_updating_notice_is_translated_and_fits_its_box_in_every_language(lang):
    from kiosk.appliance.service_screen import UPDATING, UpdatingNotice

    pygame.init()
    size = (800, 480)  # the smallest supported touch screen
    surface = pygame.Surface(size)
    notice = UpdatingNotice(size)
    notice.draw(surface, language=lang)
    text = notice.text(lang)
    assert text and (text != UPDATING or lang == "it")
    box_w, box_h = size[0] - size[0] // 5 - 48, size[1] // 3
    lines = notice.lines(text, box_w, language=lang)
    font = notice.font(lang)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # every word, in reading order
    assert all(font.size(line)[0] <= box_w for line in lines)
    assert len(lines) * font.get_linesize() <= box_h


def test_the_updating_notice_shapes_arabic():
    """Arabic letters joined (their contextual forms), not drawn one by one as isolated letters."""
    from kiosk.appliance.service_screen import UpdatingNotice

    pygame.init()
    notice = UpdatingNotice((800, 480))
    font = notice.font("ar")
    word = max(notice.text("ar").split(), key=len)
    shaped = font.render(word, True, (0, 0, 0)).get_width()
    isolated = sum(font.render(c, True, (0, 0, 0)).get_width() for c in word)
    assert shaped < isolated
