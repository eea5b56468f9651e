"""The Prometheus exporter on 127.0.0.1, scraped over real HTTP while a real shell runs enrollments."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from kiosk.appliance.metrics import EnrollmentTracker, KioskMetrics, observe_shell
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen

from shell_helpers import identify_by_operator, running_shell, tap

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "config" / "prometheus" / "sportello-alerts.yml"
DASHBOARD = ROOT / "config" / "grafana" / "sportello-dashboard.json"


@pytest.fixture
def shell(tmp_path):
    with running_shell(tmp_path) as shell:
        yield shell


@pytest.fixture
def metrics(shell):
    metrics = KioskMetrics(db_path=shell.store.path)
    metrics.serve(0)
    yield metrics
    metrics.close()


def scrape(metrics) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{metrics.port}/metrics", timeout=5).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_exporter_listens_on_loopback_only(metrics):
    assert metrics._server.server_address[0] == "127.0.0.1"


def test_enrollments_backlog_faults_and_paper_as_a_fleet_sees_them(shell, metrics):
    tracker = EnrollmentTracker(metrics)
    fault_handler = metrics.fault_handler()
    import logging

    logging.getLogger("kiosk").addHandler(fault_handler)
    try:
        def turn():
            observe_shell(metrics, tracker, shell)

        turn()
        tap(shell, Intent.START)
        turn()
        tap(shell, Intent.CANCEL)
        tap(shell, Intent.CONFIRM_CANCEL)
        turn()
        assert shell.journey.session.screen is Screen.WELCOME
        shell.hw.printer.set_paper("out")
        identify_by_operator(shell)
        turn()
        for _ in range(50):
            shell.settle()
            turn()
            if shell.journey.session.screen in (Screen.RECEIPT, Screen.THANK_YOU):
                break
        turn()
    finally:
        logging.getLogger("kiosk").removeHandler(fault_handler)
    samples = scrape(metrics)
    assert samples["sportello_enrollments_started_total"] == 2
    assert samples["sportello_enrollments_completed_total"] == 1
    assert samples['sportello_enrollments_abandoned_total{step="checklist"}'] == 1
    assert samples["sportello_backlog_packets"] == 1
    assert samples["sportello_oldest_unsynced_age_seconds"] >= 0
    assert samples["sportello_last_good_sync_timestamp_seconds"] == 0
    assert samples['sportello_device_faults_total{device="printer"}'] >= 1
    assert samples['sportello_printer_paper{state="out"}'] == 1 and samples['sportello_printer_paper{state="ok"}'] == 0
    assert samples["sportello_outbox_up"] == 1 and samples["sportello_frozen"] == 0


def test_last_good_sync_follows_the_outbox(shell, metrics):
    shell.store.commit_packet(enrollment_id="e1", reference="R1", packet=b"x", digest="d", print_code="ab")
    shell.store.mark_delivered("e1")
    samples = scrape(metrics)
    assert samples["sportello_last_good_sync_timestamp_seconds"] > 1.7e9 and samples["sportello_backlog_packets"] == 0


def _exported_names(metrics) -> set[str]:
    return {re.split(r"[{ ]", line)[0] for line in httpx.get(f"http://127.0.0.1:{metrics.port}/metrics").text.splitlines()
            if line and not line.startswith("#")}


def _referenced(expr: str) -> set[str]:
    return set(re.findall(r"\bsportello_[a-z_]+\b", expr))


def test_every_metric_the_alert_rules_use_is_exported(metrics):
    rules = yaml.safe_load(ALERTS.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(exprs) >= 8 and all(rule.get("alert") for g in rules["groups"] for rule in g["rules"])
    used = set().union(*map(_referenced, exprs))
    assert used and used <= _exported_names(metrics), used - _exported_names(metrics)


def test_every_metric_the_dashboard_uses_is_exported(metrics):
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = set().union(*map(_referenced, exprs))
    exported = _exported_names(metrics)
    assert {"sportello_backlog_packets", "sportello_enrollments_abandoned_total"} <= used
    assert used <= exported, used - exported
