"""The verification link of a contact the kiosk could not verify is durable: queued with the packet,
sent after a crash (kill -9) at any point between the acknowledgement and the send, exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kiosk.domain.sample import sample_enrollment
from kiosk.receiver.intake import Intake
from kiosk.receiver.links import LinkSender
from kiosk.receiver.messages import FileMessenger
from kiosk.receiver.otp import Verifier
from kiosk.receiver.keys import database_path
from kiosk.receiver.server import ReceiverServer
from receiver_helpers import KIOSK, prepare, sealed, wait_for

TESTS = Path(__file__).parent


def _crashing_receiver(data_dir: Path, mode: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    child = subprocess.Popen([sys.executable, str(TESTS / "link_crash_worker.py"), str(data_dir), mode],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    return child, child.stdout.readline().strip()


def _links(data_dir: Path) -> list[dict]:
    return FileMessenger(data_dir).messages()


def _deliver_offline_enrollment(url: str, data_dir: Path, key) -> str:
    enrollment_id, packet = sealed(data_dir, key, sample_enrollment(kiosk_id=KIOSK))  # offline: 2 links due
    response = httpx.put(f"{url}/v1/packets/{enrollment_id}", content=packet, timeout=60,
                         headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, "acknowledged: from now on the links must not be lost"
    return enrollment_id


def _restart_and_collect(data_dir: Path, enrollment_id: str) -> list[dict]:
    """Start the receiver again; once it sent what was due: the messages, after checking nothing is left."""
    with ReceiverServer(data_dir) as server:
        messages = wait_for(lambda: len(_links(data_dir)) >= 2 and _links(data_dir), what="the links after restart")
        with Intake(data_dir) as intake:
            wait_for(lambda: not any(intake.store.pending_jobs(kind)
                                     for kind in ("verify_link:email", "verify_link:mobile")),
                     what="the link jobs marked done")
        links = [re.search(r"(/v1/verify/\S+)", m["body"]).group(1) for m in messages]
        for link in links:  # the citizen, at home, opens both
            assert httpx.get(f"{server.url}{link}", timeout=30).json()["verified"] is True
        assert server._httpd.intake.store.contacts(enrollment_id) == {"email": "confirmed", "mobile": "confirmed"}
    with Intake(data_dir) as intake:  # a further restart sends nothing more
        verifier = Verifier(database_path(data_dir), FileMessenger(data_dir))
        try:
            assert LinkSender(intake, verifier).run_due() == {}
        finally:
            verifier.close()
    return _links(data_dir)


@pytest.mark.parametrize("mode", ["hang", "die"])
def test_a_kill_between_commit_and_send_loses_no_link_and_sends_none_twice(tmp_path, mode):
    """``hang``: killed after the commit, before anything was sent; ``die``: killed after sending the
    first link, before its job was marked done."""
    data_dir, key, _ = prepare(tmp_path)
    child, url = _crashing_receiver(data_dir, mode)
    try:
        enrollment_id = _deliver_offline_enrollment(url, data_dir, key)
        assert child.stdout.readline().strip() == ("sending" if mode == "hang" else "sent")
        if mode == "hang":
            child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert len(_links(data_dir)) == (0 if mode == "hang" else 1)
    messages = _restart_and_collect(data_dir, enrollment_id)
    assert len(messages) == 2, "one link per contact to verify, none lost, none twice"
    assert {m["to"] for m in messages} == {"giulia.bianchi@example.it"}
    assert len({m["id"] for m in messages}) == 2


# -- the address a link goes to: sealed at intake, never in clear ---------------------------------

def _offline(data_dir: Path, key, email: str) -> tuple[str, bytes]:
    from dataclasses import replace

    from kiosk.domain.sample import SAMPLE_CONTACT

    return sealed(data_dir, key, sample_enrollment(kiosk_id=KIOSK, contact=replace(SAMPLE_CONTACT, email=email)))


def _send_due(data_dir: Path) -> dict[str, str]:
    with Intake(data_dir) as intake:
        verifier = Verifier(database_path(data_dir), FileMessenger(data_dir))
        try:
            return LinkSender(intake, verifier).run_due()
        finally:
            verifier.close()


def _raw_jobs(data_dir: Path) -> dict[tuple[str, str], bytes | None]:
    import sqlite3

    with sqlite3.connect(database_path(data_dir)) as db:
        return {(e, k): s for e, k, s in db.execute("SELECT enrollment_id, kind, sealed_address FROM jobs")}


@pytest.mark.parametrize("workers", [0, 1])
def test_the_link_jobs_hold_the_address_sealed_and_send_it_without_the_packet(tmp_path, workers):
    """Intake seals the address into each job (in its worker processes too): no file of the receiver's
    data directory holds it in clear, and the links go to it even once the packet cannot be read."""
    data_dir, key, _ = prepare(tmp_path)
    email = "mario.rossi.links@example.it"
    enrollment_id, packet = _offline(data_dir, key, email)
    with Intake(data_dir, workers=workers) as intake:
        intake.receive(enrollment_id, packet)
    jobs = _raw_jobs(data_dir)
    assert set(jobs) == {(enrollment_id, "verify_link:email"), (enrollment_id, "verify_link:mobile")}
    assert all(value and email.encode() not in value for value in jobs.values())
    assert jobs[enrollment_id, "verify_link:email"] != jobs[enrollment_id, "verify_link:mobile"], "one value per job"
    for path in data_dir.rglob("*"):  # receiver.db, its WAL, the packet files
        if path.is_file():
            content = path.read_bytes()
            assert email.encode() not in content and email.encode("utf-16-le") not in content, path.name
    for packet_file in (data_dir / "packets").iterdir():  # the links need nothing but their job rows
        packet_file.unlink()

    assert _send_due(data_dir) == {f"{enrollment_id}:email": "sent", f"{enrollment_id}:mobile": "sent"}
    messages = _links(data_dir)
    assert [m["to"] for m in messages] == [email, email]
    assert "/v1/verify/" in messages[0]["body"]
    assert all(value is None for value in _raw_jobs(data_dir).values()), "a sent link's address is dropped"
    assert _send_due(data_dir) == {}


def test_jobs_queued_before_sealed_addresses_open_the_packet_instead(tmp_path):
    """A database from before: its ``jobs`` table has no ``sealed_address``. The store adds the column,
    and those rows' links still go out, to the address read from the stored packet."""
    import sqlite3

    data_dir, key, _ = prepare(tmp_path)
    enrollment_id, packet = _offline(data_dir, key, "anna.verdi.old@example.it")
    with Intake(data_dir) as intake:
        intake.receive(enrollment_id, packet)
    with sqlite3.connect(database_path(data_dir)) as db:  # as the table was before this column existed
        db.execute("ALTER TABLE jobs DROP COLUMN sealed_address")
    assert _send_due(data_dir) == {f"{enrollment_id}:email": "sent", f"{enrollment_id}:mobile": "sent"}
    assert [m["to"] for m in _links(data_dir)] == ["anna.verdi.old@example.it"] * 2
    with sqlite3.connect(database_path(data_dir)) as db:
        assert "sealed_address" in {row[1] for row in db.execute("PRAGMA table_info(jobs)")}


def test_a_tampered_or_copied_sealed_address_sends_nothing(tmp_path):
    """A value altered in place, or copied from another enrollment's row, does not open: that job is
    skipped (as for a packet that no longer opens), nothing goes to anyone, the other links go out."""
    import sqlite3

    data_dir, key, _ = prepare(tmp_path)
    first, first_packet = _offline(data_dir, key, "primo@example.it")
    second, second_packet = _offline(data_dir, key, "secondo@example.it")
    with Intake(data_dir) as intake:
        intake.receive(first, first_packet)
        intake.receive(second, second_packet)
    jobs = _raw_jobs(data_dir)
    flipped = bytearray(jobs[first, "verify_link:mobile"])
    flipped[-3] ^= 0x01
    with sqlite3.connect(database_path(data_dir)) as db:
        db.execute("UPDATE jobs SET sealed_address = ? WHERE enrollment_id = ? AND kind = ?",
                   (bytes(flipped), first, "verify_link:mobile"))
        db.execute("UPDATE jobs SET sealed_address = ? WHERE enrollment_id = ? AND kind = ?",  # to send it elsewhere
                   (jobs[first, "verify_link:email"], second, "verify_link:email"))
        db.execute("UPDATE jobs SET sealed_address = ? WHERE enrollment_id = ? AND kind = ?",  # another channel's
                   (jobs[second, "verify_link:email"], second, "verify_link:mobile"))

    assert _send_due(data_dir) == {f"{first}:email": "sent", f"{first}:mobile": "skipped",
                                   f"{second}:email": "skipped", f"{second}:mobile": "skipped"}
    assert [m["to"] for m in _links(data_dir)] == ["primo@example.it"]
    assert _send_due(data_dir) == {}, "a skipped job is done: not tried again"


def test_the_messenger_sends_each_id_once_among_many_messages(tmp_path):
    """Hundreds of messages: a second send under an id already used (the first, a middle one, the last,
    one from an outbox written before files were named by id) sends nothing; every message is listed
    once, oldest first."""
    messenger = FileMessenger(tmp_path)
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o700)
    (outbox / "00000000000000000001-0123456789abcdef.json").write_text(json.dumps(
        {"id": "0123456789abcdef", "channel": "email", "to": "old@example.it", "subject": "s", "body": "old",
         "sent_at": "20260101T000000"}), encoding="utf-8")
    ids = [f"{n:016x}" for n in range(1, 401)]
    for n, message_id in enumerate(ids):
        assert messenger.send(channel="email", to=f"c{n}@example.it", subject="s", body=f"message {n}",
                              message_id=message_id) == message_id
    for message_id in (ids[0], ids[200], ids[-1], "0123456789abcdef"):
        assert FileMessenger(tmp_path).send(channel="email", to="other@example.it", subject="s", body="again",
                                            message_id=message_id) == message_id
    messages = FileMessenger(tmp_path).messages()
    assert [m["id"] for m in messages] == ["0123456789abcdef", *ids]
    assert [m["body"] for m in messages][1:4] == ["message 0", "message 1", "message 2"]
    assert not any(m["to"] == "other@example.it" for m in messages)
    assert len(FileMessenger(tmp_path).send(channel="email", to="x@example.it", subject="s", body="new")) == 16
    assert FileMessenger(tmp_path).messages()[-1]["body"] == "new"
    assert not [p for p in outbox.iterdir() if p.suffix != ".json"], "no temporary file left"
    with pytest.raises(ValueError):
        messenger.send(channel="email", to="x@example.it", subject="s", body="b", message_id="../escape")
