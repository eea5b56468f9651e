"""One-time codes are rate limited by the real receiver (429 + Retry-After), and the kiosk tells the
citizen in their language: wait N seconds for a new code, or, after too many, go on "to verify"."""

from __future__ import annotations

import re

import pytest

from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.events import Intent
from kiosk.journey.machine import JourneyRules
from kiosk.journey.screens import Screen
from kiosk.receiver.messages import FileMessenger
from kiosk.receiver.otp import OtpLimits
from kiosk.receiver.server import ReceiverServer
from kiosk.ui.i18n import Translator

from journey_helpers import FIELDS, Driver
from receiver_helpers import https_client, prepare, server_tls
from shell_helpers import make_shell
from sync_helpers import coordinator
from test_ui_screens import ARTIFACTS, check_layout, sample_session, show, ui, view_of, visible_text  # noqa: F401 - ui fixture

LANGUAGES = ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh")


@pytest.fixture
def receiver(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    limits = OtpLimits(cooldown_s=60, max_sends=3, window_s=3600, max_tries=3)
    with ReceiverServer(data_dir, tls=server_tls(certs), otp_limits=limits) as server:
        yield server, data_dir, certs


def last_code(data_dir) -> str:
    return re.search(r"\b(\d{6})\b", FileMessenger(data_dir).messages()[-1]["body"]).group(1)


def test_a_second_code_to_the_same_address_waits_for_the_cool_down(receiver):
    server, data_dir, certs = receiver
    with https_client(server, certs) as client:
        first = client.post("/v1/otp", json={"channel": "email", "address": "giulia.bianchi@example.it"})
        assert first.status_code == 201
        again = client.post("/v1/otp", json={"channel": "email", "address": "Giulia.Bianchi@example.it "})
        assert again.status_code == 429 and again.json()["error"] == "too_many_codes"
        assert 1 <= int(again.headers["Retry-After"]) <= 60
        assert len(FileMessenger(data_dir).messages()) == 1, "nothing sent while refused"
        other = client.post("/v1/otp", json={"channel": "mobile", "address": "333 123 4567"})
        assert other.status_code == 201, "another destination is not held up"


def test_a_session_gets_at_most_n_codes_per_window(tmp_path):
    data_dir, _, certs = prepare(tmp_path)
    limits = OtpLimits(cooldown_s=0, max_sends=3, window_s=3600)
    with ReceiverServer(data_dir, tls=server_tls(certs), otp_limits=limits) as server, \
            https_client(server, certs) as client:
        answers = [client.post("/v1/otp", json={"channel": "email", "address": f"giulia{i}@example.it",
                                                "session": "kiosk-session-1"}) for i in range(4)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429], "per session, whatever the address"
        assert 3000 < int(answers[-1].headers["Retry-After"]) <= 3600, "the window is an hour"
        same_address = [client.post("/v1/otp", json={"channel": "email", "address": "mario@example.it"})
                        for _ in range(4)]
        assert [a.status_code for a in same_address] == [201, 201, 201, 429], "per destination, whatever the session"
        assert client.post("/v1/otp", json={"channel": "email", "address": "x@example.it",
                                            "session": "kiosk-session-2"}).status_code == 201


def test_the_shell_reports_the_wait_and_a_burnt_code_from_the_real_receiver(tmp_path, receiver):
    server, data_dir, certs = receiver
    shell = make_shell(tmp_path)
    shell.sync = coordinator(shell.store, server.url, certs)
    try:
        assert shell.execute(fx.SendOtp("email", "giulia.bianchi@example.it")) == ev.OtpSent("email", True)
        code = last_code(data_dir)
        waited = shell.execute(fx.SendOtp("email", "giulia.bianchi@example.it"))
        assert waited.is_sent is False and 1 <= waited.retry_after_s <= 60
        wrong = "000000" if code != "000000" else "111111"
        assert shell.execute(fx.CheckOtp("email", wrong)) == ev.OtpChecked("email", False)
        assert shell.execute(fx.CheckOtp("email", wrong)) == ev.OtpChecked("email", False)
        assert shell.execute(fx.CheckOtp("email", wrong)) == ev.OtpChecked("email", False, is_burnt=True)
        assert shell.execute(fx.CheckOtp("email", code)) == ev.OtpChecked("email", False), "burnt: even the right one"
    finally:
        shell.sync.close()
        shell.close()
        shell.store.close()


def online_driver() -> Driver:
    d = Driver(JourneyRules(is_otp_enabled=True))
    d.send(ev.NetworkChanged(True))
    d.walk_to(Screen.EMAIL)
    d.type("email", FIELDS["email"])
    return d


def test_the_citizen_waits_a_little_for_a_new_code():
    d = online_driver()
    d.do(Intent.NEXT)
    d.send(ev.OtpSent("email", False, retry_after_s=45))
    assert (d.s.screen, d.s.error, d.s.otp_wait_s) == (Screen.EMAIL, "otp_wait", 45)
    assert d.do(Intent.NEXT) == [fx.SendOtp("email", FIELDS["email"])], "and asks again"
    d.send(ev.OtpSent("email", True))
    assert d.s.screen is Screen.EMAIL_CODE and not d.s.error


def test_too_many_codes_or_wrong_codes_go_on_to_verify_later():
    d = online_driver()
    d.do(Intent.NEXT)
    d.send(ev.OtpSent("email", False, retry_after_s=1800))  # nobody waits half an hour at a kiosk
    assert (d.s.screen, d.s.notice) == (Screen.MOBILE, "otp_too_many") and not d.s.is_email_verified
    d.type("mobile", FIELDS["mobile"])
    d.do(Intent.NEXT)
    d.send(ev.OtpSent("mobile", True))
    d.type("mobile_code", "123456")
    d.do(Intent.NEXT)
    d.send(ev.OtpChecked("mobile", False, is_burnt=True))
    assert (d.s.screen, d.s.notice) == (Screen.CONSENTS, "otp_too_many") and not d.s.is_mobile_verified


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_messages_are_translated_and_fit(ui, lang):
    translator = Translator(lang)
    for key in ("otp_wait", "otp_too_many"):
        assert translator.find(key), f"{lang}: {key} in words"
        assert not translator.missing, f"{lang} lacks {translator.missing}"
    session = sample_session(Screen.EMAIL, lang)
    session.error, session.otp_wait_s = "otp_wait", 45
    show(ui, view_of(session))
    ui.screenshot(ARTIFACTS / "otp" / lang / "otp_wait.png")
    check_layout(ui, f"{lang}/otp_wait")
    texts = " ".join(visible_text(e) for e in ui.elements() if e.alive())
    assert "{seconds}" not in texts
    if lang != "ar":  # Arabic: shaped right to left, digits of its own (the layout checks still apply)
        assert "45" in texts, f"{lang}: the wait, in seconds"
    session = sample_session(Screen.CONSENTS, lang)
    session.error, session.notice = "", "otp_too_many"
    show(ui, view_of(session))
    import html

    assert html.unescape(visible_text(ui.element("notice"))) == translator.message("otp_too_many")
    ui.screenshot(ARTIFACTS / "otp" / lang / "otp_too_many.png")
    check_layout(ui, f"{lang}/otp_too_many")


def _serve_from_cli(tmp_path, config_text: str, *extra: str):
    """``kiosk --config FILE receiver`` as its own process on a free port; (process, URL, its banner)."""
    import os
    import socket
    import subprocess
    import sys

    config = tmp_path / "receiver.toml"
    config.write_text(config_text, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "receiver", "--data", str(tmp_path / "receiver"),
         "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "SPORTELLO_CONFIG": ""})
    banner = process.stdout.readline()
    return process, f"http://127.0.0.1:{port}", banner


def test_the_configured_limits_are_what_the_receiver_enforces(tmp_path):
    """[intake] in the config: two codes per window, no cool-down, two tries; workers from the config."""
    import httpx

    from receiver_helpers import wait_for

    config = "[intake]\nworkers = 0\notp_cooldown_s = 0\notp_max_sends = 2\notp_window_s = 600\notp_max_tries = 2\n"
    process, url, banner = _serve_from_cli(tmp_path, config)
    try:
        assert "0 intake workers" in banner and "at most 2 per 600 s, 0 s apart" in banner

        def send(address: str):
            try:
                return httpx.post(f"{url}/v1/otp", json={"channel": "email", "address": address}, timeout=30)
            except httpx.TransportError:
                return None  # not listening yet

        first = wait_for(lambda: send("giulia.bianchi@example.it"), what="the receiver listening")
        assert first.status_code == 201
        assert send("giulia.bianchi@example.it").status_code == 201, "no cool-down configured"
        third = send("giulia.bianchi@example.it")
        assert third.status_code == 429 and third.json()["error"] == "too_many_codes", "2 per window configured"
        assert 1 <= int(third.headers["Retry-After"]) <= 600
        otp_id = send("mario.rossi@example.it").json()["otp_id"]
        for _ in range(2):
            wrong = httpx.post(f"{url}/v1/otp/{otp_id}/verify", json={"code": "000000"}, timeout=30)
        assert wrong.status_code == 429 and wrong.json()["error"] == "code_burnt", "burnt after the 2 tries configured"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_workers_flag_overrides_the_config(tmp_path):
    process, _, banner = _serve_from_cli(tmp_path, "[intake]\nworkers = 0\n", "--workers", "3")
    process.terminate()
    process.wait(timeout=30)
    assert "3 intake workers" in banner and "at most 5 per 3600 s, 60 s apart" in banner, "defaults otherwise"
