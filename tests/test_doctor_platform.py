"""What `kiosk doctor` says about the parts only a Raspberry Pi has (display driver, lgpio, picamera2, udev),
checked on this machine: the simulated parts are named as such, the Pi parts that cannot run here fail with
the reason, and inside the kiosk's process the SDL driver actually in use is reported."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.appliance import doctor
from kiosk.appliance.doctor_platform import check_display, check_udev
from kiosk.cli import main

from test_service_mode import Rig, _login, config  # noqa: F401 - config is a fixture


def _doctor_json(capsys) -> dict:
    main(["doctor", "--json", "--timeout", "1"])
    return {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}


def test_the_desk_setup_names_its_simulated_parts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    checks = _doctor_json(capsys)
    assert set(checks) == set(doctor.CHECK_NAMES)
    assert checks["gpio"]["data"]["pin_factory"] == "MockFactory" and "MockFactory (simulated)" in checks["gpio"]["detail"]
    assert checks["camera"]["data"]["backend"] == "SimCamera" and "(simulated)" in checks["camera"]["detail"]
    assert checks["display"]["status"] == "ok" and checks["display"]["data"]["sdl_driver"] is None  # another process


def test_an_appliance_config_with_the_pi_backends_says_what_is_missing_here(tmp_path, monkeypatch, capsys):
    """On this machine (no Raspberry Pi OS packages) each Pi part fails with its own reason."""
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPORTELLO_DISPLAY__FULLSCREEN", "true")
    monkeypatch.setenv("SPORTELLO_HARDWARE__CAMERA", "picamera2")
    monkeypatch.setenv("SPORTELLO_HARDWARE__PANEL", "gpiozero")
    monkeypatch.setenv("SDL_VIDEODRIVER", "kmsdrm")
    checks = _doctor_json(capsys)
    camera, gpio = checks["camera"], checks["gpio"]
    assert camera["status"] == "fail" and camera["data"]["backend"] == "PiCamera"
    assert "picamera2 is not installed: apt install python3-picamera2" in camera["detail"]
    assert gpio["status"] == "fail" and "GPIO unavailable (lgpio)" in gpio["detail"]
    assert checks["display"]["data"]["requested"] == "kmsdrm"
    if not Path("/etc/udev/rules.d/60-sportello.rules").exists():
        assert checks["udev"]["status"] == "fail" and "run scripts/install" in checks["udev"]["detail"]


def test_simulated_parts_on_an_appliance_fail(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPORTELLO_DISPLAY__FULLSCREEN", "true")
    checks = _doctor_json(capsys)
    assert checks["camera"]["status"] == "fail" and "simulated camera (SimCamera) on an appliance" in checks["camera"]["detail"]
    assert checks["gpio"]["status"] == "fail" and "simulated pins (MockFactory) on an appliance" in checks["gpio"]["detail"]


def test_display_without_the_kiosk_checks_kmsdrm_and_the_drm_device(tmp_path, monkeypatch):
    dev = tmp_path / "dev"
    (dev / "dri").mkdir(parents=True)
    monkeypatch.setenv("SDL_VIDEODRIVER", "kmsdrm")
    missing = check_display(is_appliance=True, in_kiosk=False, dev=dev)
    assert missing.status == "fail" and "no DRM device" in missing.detail
    (dev / "dri" / "card1").write_bytes(b"")
    found = check_display(is_appliance=True, in_kiosk=False, dev=dev)
    assert found.status == "ok" and "kmsdrm requested; DRM devices card1" in found.detail
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    assert check_display(is_appliance=True, in_kiosk=False, dev=dev).status == "warn"


def test_service_mode_doctor_page_reports_the_sdl_driver_in_use(config, tmp_path):  # noqa: F811
    rig = Rig(config, tmp_path)
    try:
        _login(rig)
        rig.press("page:doctor")
        lines = rig.service.state.lines
        display = next(line for line in lines if " display " in line)
        assert "SDL video driver in use: dummy" in display  # the kiosk's own driver (kmsdrm on a Pi)
        assert any(" gpio " in line and "pin factory MockFactory" in line for line in lines)
        assert any(" camera " in line and "camera backend SimCamera" in line for line in lines)
    finally:
        rig.close()


def test_udev_rules_and_device_access(tmp_path):
    rules = tmp_path / "60-sportello.rules"
    dev = tmp_path / "dev"
    (dev / "dri").mkdir(parents=True)
    for node in ("dri/card0", "gpiochip0", "video0"):
        (dev / node).write_bytes(b"")
    assert check_udev(is_appliance=True, rules=rules, dev=dev).status == "fail"  # no rules
    assert check_udev(is_appliance=False, rules=rules, dev=dev).status == "warn"
    rules.write_text("# installed\n")
    ok = check_udev(is_appliance=True, rules=rules, dev=dev)
    assert ok.status == "ok" and set(ok.data["nodes"]) == {str(dev / n) for n in ("dri/card0", "gpiochip0", "video0")}
