"""``kiosk housekeeping`` and ``kiosk sync --forever``: what the timer and the sync service run."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from kiosk.appliance.housekeeping import run_housekeeping, trim_log
from kiosk.appliance.syncloop import sync_forever
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.store import Store


def _config(tmp_path, monkeypatch):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    return load_config(None)


def _commit(store, enrollment_id):
    store.commit_packet(enrollment_id=enrollment_id, reference="R-" + enrollment_id, packet=b"sealed",
                        digest="d" * 64, print_code="AbC2#x")


def test_housekeeping_forgets_only_long_settled_rows(tmp_path, monkeypatch):
    config = _config(tmp_path, monkeypatch)
    with Store.open(config.db_path) as store:
        for eid in ("settled", "queued", "unprinted"):
            _commit(store, eid)
        store.mark_printed("settled")
        store.mark_delivered("settled", status="activated")
        store.mark_delivered("unprinted", status="accepted")  # receipt never printed: keep for the reprint
    later = datetime.now(timezone.utc) + timedelta(days=91)
    report = run_housekeeping(config, now=later)
    assert report.pruned == 1 and report.is_healthy and report.free_bytes > 0
    with Store.open(config.db_path) as store:
        assert {e.enrollment_id for e in store.entries()} == {"queued", "unprinted"}
    assert run_housekeeping(config, now=datetime.now(timezone.utc)).pruned == 0


def test_trim_log_keeps_the_newest_whole_lines(tmp_path):
    log = tmp_path / "kiosk.log"
    log.write_text("".join(f'{{"n": {i}}}\n' for i in range(5000)))
    removed = trim_log(log, max_bytes=10_000, keep_bytes=2_000)
    lines = log.read_text().splitlines()
    assert removed > 0 and lines[-1] == '{"n": 4999}' and all(line.startswith("{") for line in lines)
    assert log.stat().st_size <= 2_000
    assert trim_log(log, max_bytes=10_000) == 0


def test_housekeeping_command(tmp_path, monkeypatch, capsys):
    _config(tmp_path, monkeypatch)
    assert main(["housekeeping"]) == 0
    assert "database ok" in capsys.readouterr().out


def test_sync_forever_keeps_going_after_a_failed_round():
    class Coordinator:
        rounds = 0

        def deliver_due(self):
            self.rounds += 1
            if self.rounds == 1:
                raise OSError("network down")
            if self.rounds == 3:
                stop.set()
            return type("R", (), {"delivered": [], "failed": []})()

    stop = threading.Event()
    coordinator = Coordinator()
    thread = threading.Thread(target=lambda: sync_forever(coordinator, interval_s=0.01, stop=stop))
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and coordinator.rounds == 3


def test_sync_forever_goes_straight_on_while_rounds_come_back_full():
    """``kiosk sync --forever`` draining a backlog: a full round is followed by the next at once,
    not after the interval (an hour here)."""
    from kiosk.sync.coordinator import ROUND_LIMIT

    class Coordinator:
        rounds = 0

        def deliver_due(self):
            self.rounds += 1
            if self.rounds == 3:
                stop.set()
                return type("R", (), {"delivered": [], "failed": []})()
            return type("R", (), {"delivered": ["x"] * ROUND_LIMIT, "failed": []})()

    stop = threading.Event()
    coordinator = Coordinator()
    thread = threading.Thread(target=lambda: sync_forever(coordinator, interval_s=3600, stop=stop), daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and coordinator.rounds == 3
