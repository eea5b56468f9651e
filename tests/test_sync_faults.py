"""Delivery through a fault-injecting proxy: every committed packet arrives exactly once, none is lost,
garbage never drops or corrupts one, a wrong certificate is never trusted."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import pytest
import stamina

from kiosk.receiver.certs import issue
from kiosk.receiver.server import ReceiverServer
from kiosk.receiver.storage import PacketStore
from kiosk.store import Store

from fault_proxy import MODES, FaultProxy
from receiver_helpers import prepare
from sync_helpers import commit_sample, coordinator


@pytest.fixture(autouse=True)
def quick_retries():
    stamina.set_testing(True, attempts=2)  # in-attempt retries still happen, without the waits
    yield
    stamina.set_testing(False)


def proxy_for(tmp_path, upstream, certs, faults, connection_faults=lambda: "pass", retry_after="1"):
    impostor = issue(tmp_path / "impostor", name="receiver", is_server=True)
    return FaultProxy(upstream_port=upstream.port, cert=certs.server.cert, key=certs.server.key,
                      client_ca=certs.client_ca.cert, wrong_cert=impostor.cert, wrong_key=impostor.key,
                      faults=faults, connection_faults=connection_faults, hang_s=1.5, retry_after=retry_after)


def drain(sync, store, ids, *, rounds=80):
    """Delivery rounds, each pretending the backoff has elapsed, until the outbox is empty."""
    for n in range(rounds):
        sync.deliver_due(now=datetime.now(UTC) + timedelta(days=2 * n + 2))
        if not any(store.entry(i).has_packet for i in ids):
            return n + 1
    raise AssertionError("the outbox did not drain")


def test_every_packet_exactly_once_under_the_fault_matrix(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    rng = random.Random(6)
    request_modes = [m for m in MODES if m != "wrong_cert"]
    # at first every fault in turn (so that each is surely exercised), then a random mix with passes
    script = iter(request_modes * 2)
    lock_rng = __import__("threading").Lock()

    def faults(method, path):
        if method != "PUT":
            return "pass"
        with lock_rng:
            return next(script, None) or rng.choice(request_modes + ["pass"] * 4)

    def connection_faults():
        with lock_rng:
            return "wrong_cert" if rng.random() < 0.15 else "pass"

    with ReceiverServer(data_dir) as upstream, proxy_for(tmp_path, upstream, certs, faults, connection_faults) \
            as proxy, Store.open(tmp_path / "kiosk.db") as store:
        ids = [commit_sample(store, data_dir, key) for _ in range(40)]
        digests = {i: hashlib.sha256(store.packet(i)).hexdigest() for i in ids}
        sync = coordinator(store, proxy.url, certs, timeout_s=1.0)
        try:
            drain(sync, store, ids)
        finally:
            sync.close()
        with PacketStore(data_dir / "receiver.db") as received:
            assert received.count() == len(ids), "each packet held once"
            assert {i: received.get(i).digest for i in ids} == digests, "and exactly the bytes the kiosk sealed"
        assert all(store.entry(i).status == "delivered" and not store.entry(i).has_packet for i in ids)
        seen = set(proxy.history)
        assert set(MODES) <= seen, f"not every fault was exercised: {set(MODES) - seen}"
        assert "wrong_cert_trusted" not in seen


def test_garbage_never_drops_or_corrupts_a_packet(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    garbage = iter(["garbage", "garbage_digest"] * 1000)
    with ReceiverServer(data_dir) as upstream, \
            proxy_for(tmp_path, upstream, certs, lambda m, p: next(garbage) if m == "PUT" else "pass") as proxy, \
            Store.open(tmp_path / "kiosk.db") as store:
        ids = [commit_sample(store, data_dir, key) for _ in range(5)]
        before = {i: store.packet(i) for i in ids}
        sync = coordinator(store, proxy.url, certs, timeout_s=1.0)
        try:
            for n in range(4):
                report = sync.deliver_due(now=datetime.now(UTC) + timedelta(days=n + 1))
                assert not report.delivered and set(report.failed.values()) == {"bad_response"}
        finally:
            sync.close()
        for i in ids:
            entry = store.entry(i)
            assert entry.status == "queued" and entry.has_packet and store.packet(i) == before[i]
            assert entry.attempts == 4


def test_retry_after_is_honoured_and_stored_in_the_row(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    with ReceiverServer(data_dir) as upstream, \
            proxy_for(tmp_path, upstream, certs, lambda m, p: "429", retry_after="7200") as proxy, \
            Store.open(tmp_path / "kiosk.db") as store:
        enrollment_id = commit_sample(store, data_dir, key)
        sync = coordinator(store, proxy.url, certs, timeout_s=1.0)
        try:
            now = datetime.now(UTC)
            assert sync.deliver_due(now=now).failed == {enrollment_id: "http_429"}
        finally:
            sync.close()
        entry = store.entry(enrollment_id)
        waited = datetime.strptime(entry.next_attempt_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - now
        assert waited >= timedelta(seconds=7199), "the receiver asked for two hours"
        assert store.due(now=(now + timedelta(seconds=3600)).strftime("%Y-%m-%dT%H:%M:%SZ")) == []


def test_no_personal_data_in_the_kiosk_or_receiver_logs(tmp_path):
    import logging

    from kiosk.domain.ids import reference
    from kiosk.domain.sample import SAMPLE_CITIZEN, SAMPLE_CONTACT, SAMPLE_DOCUMENT_NUMBER
    from kiosk.logs import JsonFormatter
    from kiosk.receiver.messages import FileMessenger

    log_file = tmp_path / "all.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        data_dir, key, certs = prepare(tmp_path)
        modes = iter(["500", "garbage", "commit_drop", "429", "reset"] * 3)
        with ReceiverServer(data_dir) as upstream, \
                proxy_for(tmp_path, upstream, certs, lambda m, p: next(modes, "pass") if m == "PUT" else "pass") \
                as proxy, Store.open(tmp_path / "kiosk.db") as store:
            ids = [commit_sample(store, data_dir, key) for _ in range(3)]
            sync = coordinator(store, proxy.url, certs, timeout_s=1.0)
            try:
                drain(sync, store, ids)
                sync.reconcile(poll_s=0)
                otp_id = sync.send_otp("email", SAMPLE_CONTACT.email)
                code = FileMessenger(data_dir).messages()[-1]["body"].split("è ")[1][:6]
                assert sync.check_otp(otp_id, code) is True
                assert sync.send_otp("mobile", SAMPLE_CONTACT.mobile)
                assert sync.lookup_status(reference(ids[0]))["status"] == "received"
            finally:
                sync.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "packet delivered" in text and "message sent" in text, "the log was written"
    c = SAMPLE_CITIZEN
    for secret in (c.codice_fiscale, c.surname, c.given_name, c.birth_date.isoformat(), SAMPLE_CONTACT.email,
                   SAMPLE_CONTACT.mobile, SAMPLE_CONTACT.mobile[3:], SAMPLE_DOCUMENT_NUMBER):
        assert secret.lower() not in text.lower(), "personal data in the logs"
    import re

    assert not re.search(rf"(?<![0-9a-f]){code}(?![0-9a-f])", text), "the one-time code in the logs"
