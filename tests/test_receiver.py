"""The reference receiver over real HTTP on 127.0.0.1, its data directory and its inspection."""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import socket
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
import pytest

from kiosk.domain.sample import sample_enrollment
from kiosk.receiver.inspect import show, verdict
from kiosk.receiver.keys import init_data_dir, load_trusted_kiosks, public_key_path, trust_kiosk
from kiosk.receiver.server import ReceiverServer
from kiosk.receiver.storage import PacketNotFound, PacketStore
from kiosk.sealing import (
    load_or_create_signing_key,
    load_recipient,
    public_key_pem,
    seal,
)

KIOSK = "comune-roma-01"
ENROLLMENT = "01JH8Z3Q4V5W6X7Y8Z9A0B1C2D"
MARKER = "MARKER-RSSMRA80A01H501U"
MAX_BODY = 64 * 1024


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "receiver-data"


@pytest.fixture
def kiosk_key(tmp_path, data_dir):
    key = load_or_create_signing_key(tmp_path / "kiosk" / "signing.key")
    init_data_dir(data_dir)
    trust_kiosk(data_dir, KIOSK, public_key_pem(key))
    return key


@pytest.fixture
def server(data_dir, kiosk_key):
    with ReceiverServer(data_dir, max_body=MAX_BODY) as running:
        yield running


@pytest.fixture
def client(server):
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as http:
        yield http


def payload(enrollment_id=ENROLLMENT, **extra):
    return json.dumps({"enrollment_id": enrollment_id, "fiscalNumber": MARKER, **extra}).encode()


def make_packet(data_dir, kiosk_key, *, enrollment_id=ENROLLMENT, plaintext=None, kiosk_id=KIOSK):
    return seal(
        plaintext if plaintext is not None else payload(enrollment_id),
        recipient=load_recipient(public_key_path(data_dir)),
        signing_key=kiosk_key,
        kiosk_id=kiosk_id,
        enrollment_id=enrollment_id,
        created_at=datetime.now(timezone.utc),
    )


def put(client, packet, enrollment_id=ENROLLMENT):
    return client.put(
        f"/v1/packets/{enrollment_id}",
        content=packet,
        headers={"Content-Type": "application/octet-stream"},
    )


def test_init_data_dir_is_idempotent(data_dir):
    key_id = init_data_dir(data_dir)
    private = data_dir / "keys" / "receiver.key"
    first = private.read_bytes()
    assert init_data_dir(data_dir) == key_id
    assert private.read_bytes() == first
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "keys").stat().st_mode) == 0o700
    assert (data_dir / "keys" / "receiver.pub").exists()
    assert (data_dir / "trusted_kiosks").is_dir()


def test_trust_kiosk_checks_its_input(data_dir, kiosk_key):
    assert set(load_trusted_kiosks(data_dir)) == {KIOSK}
    with pytest.raises(ValueError):
        trust_kiosk(data_dir, "../escape", public_key_pem(kiosk_key))
    with pytest.raises(ValueError):
        trust_kiosk(data_dir, "kiosk-2", b"not a key")


def test_healthz(client, server):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "key_id": server.key_id}


def test_put_then_idempotent_retry(client, data_dir, kiosk_key):
    packet = make_packet(data_dir, kiosk_key)
    first = put(client, packet)
    assert first.status_code == 201
    body = first.json()
    assert body["enrollment_id"] == ENROLLMENT and body["status"] == "received"
    assert len(body["digest"]) == 64
    again = put(client, packet)
    assert again.status_code == 200
    assert again.json() == body
    with PacketStore(data_dir / "receiver.db") as store:
        count = store._db.execute("SELECT count(*) FROM packets").fetchone()[0]
    assert count == 1


def test_different_bytes_under_same_id_conflict(client, data_dir, kiosk_key):
    assert put(client, make_packet(data_dir, kiosk_key)).status_code == 201
    resealed = make_packet(data_dir, kiosk_key)  # same content, fresh HPKE randomness
    response = put(client, resealed)
    assert response.status_code == 409
    assert response.json() == {"error": "conflict"}


def test_bad_signature_is_422(client, data_dir, kiosk_key):
    packet = bytearray(make_packet(data_dir, kiosk_key))
    packet[-1] ^= 0xFF
    response = put(client, bytes(packet))
    assert response.status_code == 422
    assert response.json() == {"error": "bad_signature"}
    assert client.get(f"/v1/packets/{ENROLLMENT}/status").status_code == 404


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("garbage", "bad_format"),
        ("unknown_kiosk", "unknown_kiosk"),
        ("url_mismatch", "enrollment_mismatch"),
        ("payload_mismatch", "enrollment_mismatch"),
        ("not_json", "invalid_payload"),
    ],
)
def test_verification_failures_are_422(client, data_dir, kiosk_key, tmp_path, case, code):
    other_id = "01JH8Z3Q4V5W6X7Y8Z9A0B1C2E"
    url_id = ENROLLMENT
    if case == "garbage":
        packet = b"SPKT1" + b"\x00" * 100
    elif case == "unknown_kiosk":
        packet = make_packet(data_dir, load_or_create_signing_key(tmp_path / "x.key"), kiosk_id="stranger")
    elif case == "url_mismatch":
        packet, url_id = make_packet(data_dir, kiosk_key), other_id
    elif case == "payload_mismatch":
        packet = make_packet(data_dir, kiosk_key, plaintext=payload(other_id))
    else:
        packet = make_packet(data_dir, kiosk_key, plaintext=b"\xff not json")
    response = put(client, packet, url_id)
    assert response.status_code == 422
    assert response.json() == {"error": code}


BAD_IDS = ["short", "x" * 41, "01JH8Z3Q4V5W6X7Y8Z9A0B1C2-", "01JH8Z3Q4V5W6X7Y8Z9A0B1C%C3%A8"]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_bad_enrollment_id_is_400(client, data_dir, kiosk_key, bad_id):
    response = put(client, make_packet(data_dir, kiosk_key), bad_id)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_enrollment_id"}


def test_oversize_body_is_413(client):
    response = put(client, b"\x00" * (MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json() == {"error": "too_large"}


def test_status(client, data_dir, kiosk_key):
    assert client.get(f"/v1/packets/{ENROLLMENT}/status").status_code == 404
    plaintext = json.dumps(sample_enrollment(enrollment_id=ENROLLMENT).to_payload()).encode()
    put(client, make_packet(data_dir, kiosk_key, plaintext=plaintext))
    response = client.get(f"/v1/packets/{ENROLLMENT}/status")
    assert response.status_code == 200
    body = response.json()
    assert (body["enrollment_id"], body["status"], body["reasons"]) == (ENROLLMENT, "received", [])
    assert body["reference"] == "7Y8Z-9A0B-1C2D"


def test_a_packet_failing_the_checks_is_kept_and_rejected(client, data_dir, kiosk_key):
    put(client, make_packet(data_dir, kiosk_key))  # opens fine, but holds no evidence record
    body = client.get(f"/v1/packets/{ENROLLMENT}/status").json()
    assert (body["status"], body["reasons"]) == ("rejected", ["evidence_incomplete"])


def test_unknown_route_is_404(client):
    assert client.get("/v1/nothing").status_code == 404


def test_database_holds_no_plaintext(client, server, data_dir, kiosk_key):
    photo = "QUJD" * 10_000  # a 40 KB "image"
    packet = make_packet(data_dir, kiosk_key, plaintext=payload(photo=photo))
    assert put(client, packet).status_code == 201
    with PacketStore(data_dir / "receiver.db") as store:
        assert store.packet_bytes(ENROLLMENT) == packet  # kept sealed, exactly as received
    server.stop()
    stored = b"".join(path.read_bytes() for path in sorted(data_dir.glob("receiver.db*")) + sorted(
        data_dir.glob("packets/*")))
    assert stored.startswith(b"SQLite format 3") and packet in stored  # the packet file, sealed
    assert MARKER.encode() not in stored
    assert photo[:64].encode() not in stored


def test_show_and_verdict_decrypt_on_demand(client, data_dir, kiosk_key):
    put(client, make_packet(data_dir, kiosk_key))
    assert show(data_dir, ENROLLMENT)["fiscalNumber"] == MARKER
    assert verdict(data_dir, ENROLLMENT) == {
        "signature_valid": True,
        "decrypted": True,
        "status": "rejected",  # a marker, not an enrollment: the automatic checks reject it
        "error": None,
    }
    with pytest.raises(PacketNotFound):
        show(data_dir, "01JH8Z3Q4V5W6X7Y8Z9A0B1C2E")


def test_verdict_when_the_kiosk_is_no_longer_trusted(client, data_dir, kiosk_key):
    put(client, make_packet(data_dir, kiosk_key))
    (data_dir / "trusted_kiosks" / f"{KIOSK}.pub").unlink()
    assert verdict(data_dir, ENROLLMENT)["error"] == "unknown_kiosk"


def test_logs_carry_no_ids_or_payload(client, data_dir, kiosk_key, caplog):
    caplog.set_level(logging.DEBUG)
    put(client, make_packet(data_dir, kiosk_key))
    client.get(f"/v1/packets/{ENROLLMENT}/status")
    put(client, b"garbage " + MARKER.encode(), ENROLLMENT)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("kiosk"))
    assert "PUT put_packet 201" in text
    assert MARKER not in text and ENROLLMENT not in text


def test_serve_forever_stops_cleanly_on_sigterm(data_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import sys; from kiosk.receiver.server import serve_forever; "
        "serve_forever(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]))"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(data_dir), str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_concurrent_puts_share_group_commits_and_each_gets_its_own_outcome(tmp_path):
    """Many request threads storing at once: every packet stored once, duplicates and conflicts told apart."""
    import threading

    from kiosk.receiver.storage import PacketStore, PutOutcome

    store = PacketStore(tmp_path / "receiver.db")
    outcomes: dict[tuple[str, int], PutOutcome] = {}
    start = threading.Barrier(12)

    def deliver(worker: int) -> None:
        start.wait()
        for n in range(10):
            enrollment_id = f"E{n:02d}W{worker % 6:02d}AAAAAAAAAAAA"  # workers w and w+6 deliver the same ids
            body = b"packet %d %d" % (n, worker % 6) if worker < 11 else b"other bytes"
            digest = hashlib.sha256(body).hexdigest()
            outcomes[enrollment_id, worker] = store.put(enrollment_id=enrollment_id, kiosk_id="k", digest=digest,
                                                        packet=body)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert store.count() == 60
        for n in range(10):
            for pair in range(5):
                enrollment_id = f"E{n:02d}W{pair:02d}AAAAAAAAAAAA"
                got = sorted(o.value for o in (outcomes[enrollment_id, pair], outcomes[enrollment_id, pair + 6]))
                assert got == ["created", "duplicate"], enrollment_id
                assert store.packet_bytes(enrollment_id) == b"packet %d %d" % (n, pair)
            last = f"E{n:02d}W05AAAAAAAAAAAA"
            assert sorted(o.value for o in (outcomes[last, 5], outcomes[last, 11])) == ["conflict", "created"]
    finally:
        store.close()


def test_intake_workers_verify_in_other_processes_with_the_same_outcomes(data_dir, kiosk_key):
    """``workers``: the CPU-bound checks run in a process pool; answers and refusals are the same."""
    from kiosk.receiver.intake import Intake
    from kiosk.errors import SealError
    from kiosk.receiver.storage import PutOutcome

    from receiver_helpers import sealed

    good = make_packet(data_dir, kiosk_key)
    tampered = bytearray(good)
    tampered[-10] ^= 0x01
    offline_id, offline = sealed(data_dir, kiosk_key, sample_enrollment(kiosk_id=KIOSK), kiosk_id=KIOSK)
    wakes: list[str] = []
    with Intake(data_dir, workers=2) as intake:
        intake.on_links_queued = lambda: wakes.append("links")
        assert intake.receive(ENROLLMENT, good).outcome is PutOutcome.CREATED
        assert intake.receive(ENROLLMENT, good).outcome is PutOutcome.DUPLICATE
        with pytest.raises(SealError) as refused:
            intake.receive("01JH8Z3Q4V5W6X7Y8Z9A0B1C2E", bytes(tampered))
        assert refused.value.code in ("bad_signature", "enrollment_mismatch", "malformed")
        assert intake.receive(offline_id, offline).outcome is PutOutcome.CREATED
        record = intake.status(offline_id)
        assert record.kiosk_id == KIOSK and record.status == "received"
        assert intake.store.contacts(offline_id) == {"email": "to_verify", "mobile": "to_verify"}
        queued = [(job.enrollment_id, job.kind) for kind in ("verify_link:email", "verify_link:mobile")
                  for job in intake.store.pending_jobs(kind)]
    assert queued == [(offline_id, "verify_link:email"), (offline_id, "verify_link:mobile")]
    assert wakes == ["links"], "the link sender is woken once, for the packet that has contacts to verify"
