"""The kiosk's coordinator against a real receiver over mutual TLS on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kiosk.domain.ids import reference
from kiosk.receiver.certs import fingerprint, issue
from kiosk.receiver.server import ReceiverServer
from kiosk.receiver.storage import PacketStore
from kiosk.store import Store

from receiver_helpers import TOKEN, https_client, prepare, server_tls
from sync_helpers import commit_sample, coordinator


@pytest.fixture
def world(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    with ReceiverServer(data_dir, tls=server_tls(certs), operator_token=TOKEN) as server, \
            Store.open(tmp_path / "kiosk" / "kiosk.db") as store:
        yield server, store, data_dir, key, certs


def test_delivers_over_mutual_tls_purges_and_follows_the_outcome(world):
    server, store, data_dir, key, certs = world
    ids = [commit_sample(store, data_dir, key) for _ in range(6)]
    sync = coordinator(store, server.url, certs, pinned_sha256=fingerprint(certs.server.cert.read_bytes()))
    try:
        report = sync.deliver_due()
        assert sorted(report.delivered) == sorted(ids) and not report.failed
        assert all(not store.entry(i).has_packet and store.entry(i).status == "delivered" for i in ids)
        with PacketStore(data_dir / "receiver.db") as received:
            assert received.count() == 6
        with https_client(server, certs) as operator:
            operator.post(f"/v1/packets/{ids[0]}/decision", json={"decision": "accept"},
                          headers={"Authorization": f"Bearer {TOKEN}"})
            operator.post(f"/v1/packets/{ids[1]}/decision", json={"decision": "reject", "reasons": ["face_mismatch"]},
                          headers={"Authorization": f"Bearer {TOKEN}"})
        assert sync.reconcile(poll_s=0) == 2
        assert store.entry(ids[0]).status == "accepted"
        assert (store.entry(ids[1]).status, store.reasons(ids[1])) == ("rejected", ["face_mismatch"])
        assert sync.lookup_status(reference(ids[1])) == {"status": "rejected", "reasons": ["face_mismatch"]}
        # no provisioning configured: accepted stays the furthest stage
        assert sync.lookup_status(reference(ids[0])) == {"status": "accepted", "reasons": []}
        assert sync.lookup_status(reference(ids[2]).lower()) == {"status": "received", "reasons": []}
        assert sync.lookup_status("AAAA-BBBB-CCCC") == {"status": "unknown", "reasons": []}
    finally:
        sync.close()


def test_status_lookup_offline_and_queued_here(world):
    server, store, data_dir, key, certs = world
    enrollment_id = commit_sample(store, data_dir, key)
    sync = coordinator(store, server.url, certs)
    try:
        assert sync.lookup_status(reference(enrollment_id)) == {"status": "unknown", "reasons": [],
                                                                 "is_queued_here": True}
        server.stop()
        assert sync.lookup_status(reference(enrollment_id)) == {"status": "offline", "reasons": []}
        report = sync.deliver_due()
        assert report.failed[enrollment_id].startswith(("transport:", "http_503"))
        entry = store.entry(enrollment_id)
        assert entry.has_packet and entry.attempts == 1 and entry.next_attempt_at > datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "backoff stored in the row"
    finally:
        sync.close()


@pytest.mark.parametrize("which", ["other_self_signed", "expired", "not_yet_valid"])
def test_a_wrong_or_expired_receiver_certificate_is_never_trusted(tmp_path, which):
    data_dir, key, certs = prepare(tmp_path)
    now = datetime.now(UTC)
    dates = {"other_self_signed": {}, "expired": {"not_before": now - timedelta(days=30),
                                                  "not_after": now - timedelta(days=1)},
             "not_yet_valid": {"not_before": now + timedelta(days=1), "not_after": now + timedelta(days=30)}}[which]
    if which == "other_self_signed":  # the kiosk pins the genuine receiver's; an impostor answers
        served = issue(tmp_path / "impostor", name="receiver", is_server=True)
    else:  # the kiosk pins exactly the certificate served, but it is out of its validity period
        served = issue(tmp_path / "dated", name="receiver", is_server=True, **dates)
        certs = type(certs)(server=served, client_ca=certs.client_ca, client=certs.client)
    from kiosk.receiver.server import ServerTls

    tls = ServerTls(served.cert, served.key, certs.client_ca.cert)
    with ReceiverServer(data_dir, tls=tls) as server, Store.open(tmp_path / "k.db") as store:
        enrollment_id = commit_sample(store, data_dir, key)
        sync = coordinator(store, server.url, certs)
        try:
            report = sync.deliver_due()
            assert enrollment_id in report.failed and report.failed[enrollment_id].startswith(("tls_", "transport:"))
            assert store.entry(enrollment_id).has_packet and store.entry(enrollment_id).status == "queued"
            assert sync.lookup_status(reference(enrollment_id))["status"] == "offline"
        finally:
            sync.close()
        with PacketStore(data_dir / "receiver.db") as received:
            assert received.count() == 0


def test_the_pinned_fingerprint_must_match_too(world, tmp_path):
    server, store, data_dir, key, certs = world
    enrollment_id = commit_sample(store, data_dir, key)
    sync = coordinator(store, server.url, certs, pinned_sha256="0" * 64)
    try:
        assert sync.deliver_due().failed[enrollment_id] == "tls_untrusted"
        assert store.entry(enrollment_id).has_packet
    finally:
        sync.close()


def test_document_expired_comes_back_as_a_reason(world):
    server, store, data_dir, key, certs = world
    enrollment_id = commit_sample(store, data_dir, key, document_expiry=date.today() - timedelta(days=3))
    sync = coordinator(store, server.url, certs)
    try:
        sync.deliver_due()
        sync.reconcile(poll_s=0)
        assert (store.entry(enrollment_id).status, store.reasons(enrollment_id)) == ("rejected", ["document_expired"])
    finally:
        sync.close()
