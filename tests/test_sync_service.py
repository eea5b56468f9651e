"""Sync inside the kiosk: one-time codes through the receiver, the freeze rules on screen and for
technicians, and one delivering writer per database."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.screens import Screen
from kiosk.receiver.messages import FileMessenger
from kiosk.receiver.server import ReceiverServer
from kiosk.store import Store
from kiosk.sync.service import FreezeRules, SyncService, WriterBusy, writer_lock
from kiosk.ui.i18n import Translator

from receiver_helpers import prepare, server_tls
from shell_helpers import make_shell
from sync_helpers import commit_sample, coordinator


@pytest.fixture
def receiver(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    with ReceiverServer(data_dir, tls=server_tls(certs)) as server:
        yield server, data_dir, key, certs


def test_shell_sends_and_checks_one_time_codes_through_the_receiver(tmp_path, receiver):
    server, data_dir, _, certs = receiver
    shell = make_shell(tmp_path)
    try:
        assert shell.execute(fx.SendOtp("email", "giulia.bianchi@example.it")) == ev.OtpSent("email", False), \
            "no receiver: the journey goes on and the packet says 'to verify'"
        shell.sync = coordinator(shell.store, server.url, certs)
        assert shell.execute(fx.SendOtp("email", "giulia.bianchi@example.it")) == ev.OtpSent("email", True)
        code = re.search(r"\b(\d{6})\b", FileMessenger(data_dir).messages()[-1]["body"]).group(1)
        wrong = "123456" if code != "123456" else "654321"
        assert shell.execute(fx.CheckOtp("email", wrong)) == ev.OtpChecked("email", False)
        assert shell.execute(fx.CheckOtp("email", code)) == ev.OtpChecked("email", True)
        server.stop()
        assert shell.execute(fx.SendOtp("mobile", "+393331234567")) == ev.OtpSent("mobile", False), "offline"
    finally:
        if shell.sync is not None:
            shell.sync.close()
        shell.close()
        shell.store.close()


def test_freeze_rules_stop_new_enrollments_and_say_why(tmp_path, receiver):
    server, data_dir, key, certs = receiver
    shell = make_shell(tmp_path)
    sync = coordinator(shell.store, "https://127.0.0.1:9", certs, timeout_s=0.5)  # nobody there: offline
    try:
        for _ in range(3):
            commit_sample(shell.store, data_dir, key)
        service = SyncService(sync, rules=FreezeRules(max_backlog=3, max_age_days=7), post=shell.events.put)
        service.run_once()
        shell.settle()
        session = shell.journey.session
        assert (session.screen, session.frozen_reason) == (Screen.OUT_OF_SERVICE, "frozen_backlog")
        for language in ("it", "en"):
            text = Translator(language).message("frozen_backlog")
            assert text != Translator(language).message("no_such_key"), f"{language}: the reason, in words"
        # the receiver is back: the backlog drains and the kiosk takes enrollments again
        sync.close()
        sync = coordinator(shell.store, server.url, certs)
        service.coordinator = sync
        sync.deliver_due(now=datetime.now(UTC) + timedelta(hours=1))  # their backoff has elapsed
        service.run_once()
        shell.settle()
        assert shell.journey.session.screen is Screen.WELCOME and not shell.journey.session.frozen_reason
        assert shell.journey.session.is_online
    finally:
        sync.close()
        shell.close()
        shell.store.close()


def test_freeze_by_age(tmp_path):
    with Store.open(tmp_path / "k.db") as store:
        store.commit_packet(enrollment_id="A" * 26, reference="AAAA-AAAA-AAAA", packet=b"x", digest="d",
                            print_code="Ab3$xy")
        rules = FreezeRules(max_backlog=100, max_age_days=2)
        assert rules.reason(store) == ""
        assert rules.reason(store, now=datetime.now(UTC) + timedelta(days=3)) == "frozen_age"


def test_kiosk_queue_tells_technicians(tmp_path):
    env = {"SPORTELLO_KIOSK__DATA_DIR": str(tmp_path / "var"), "SPORTELLO_SYNC__FREEZE_BACKLOG": "1",
           "PATH": "/usr/bin:/bin"}
    with Store.open(tmp_path / "var" / "kiosk.db") as store:
        store.commit_packet(enrollment_id="B" * 26, reference="BBBB-BBBB-BBBB", packet=b"x", digest="d",
                            print_code="Ab3$xy")
    result = subprocess.run([sys.executable, "-m", "kiosk", "queue"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "FROZEN (frozen_backlog)" in result.stdout and "backlog 1 undelivered (limit 1)" in result.stdout


def test_one_delivering_writer_per_database(tmp_path):
    db = tmp_path / "kiosk.db"
    with writer_lock(db):
        with pytest.raises(WriterBusy):
            with writer_lock(db):
                pass
        env = {"SPORTELLO_KIOSK__DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
        result = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--url", "http://127.0.0.1:9"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 2 and "delivers by itself" in result.stderr
    with writer_lock(db):  # released: free again
        pass


def test_a_backlog_drains_round_after_round_without_waiting_the_interval(tmp_path, receiver):
    """Back online after days: the kiosk does not deliver one round's worth per interval (30 s by
    default) but goes straight on while rounds come back full; then it waits for the interval."""
    import time

    server, data_dir, key, certs = receiver
    with Store.open(tmp_path / "kiosk.db") as store:
        for _ in range(8):
            commit_sample(store, data_dir, key)
        sync = coordinator(store, server.url, certs)
        events = []
        service = SyncService(sync, rules=FreezeRules(max_backlog=100, max_age_days=7), post=events.append,
                              interval_s=3600, round_limit=3)
        try:
            service.start()
            deadline = time.monotonic() + 120  # an upper bound far below the hour-long interval
            while store.backlog()[0] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.backlog()[0] == 0, "the whole backlog, in consecutive rounds"
            assert ev.NetworkChanged(True) in events
        finally:
            service.stop()
            sync.close()
