"""The durable provisioning queue end to end: a real scim2-server and a real aiosmtpd on 127.0.0.1,
the receiver's own store, restarts, and the receiver process killed with SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from provision_helpers import ACTIVATION_CODE, provisioning_settings, sample_enrollment, unique_surname
from provision_helpers import ra, scim_server, smtp  # noqa: F401 - fixtures
from scim_fixtures import TOKEN, free_port

from kiosk import sealing
from kiosk.errors import StoreError
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk
from kiosk.receiver.provision.scim import ENROLLMENT_SCHEMA
from kiosk.receiver.provision.token import open_token
from kiosk.receiver.provision.worker import ProvisioningWorker

HERE = Path(__file__).parent


@pytest.fixture
def receiver(tmp_path):
    data = tmp_path / "receiver"
    init_data_dir(data)
    key = sealing.load_or_create_signing_key(tmp_path / "kiosk.key")
    trust_kiosk(data, "demo-kiosk-01", sealing.public_key_pem(key))

    def deliver(*, status="accepted", language="it", sample=False):
        # The IdP holds one identity per codice fiscale: a citizen of their own per enrollment.
        enrollment = sample_enrollment(language=language, surname=None if sample else unique_surname())
        payload = enrollment.to_payload()
        packet = sealing.seal(json.dumps(payload).encode(), recipient=sealing.load_recipient(public_key_path(data)),
                              signing_key=key, kiosk_id="demo-kiosk-01", enrollment_id=enrollment.enrollment_id,
                              created_at=datetime.now(UTC))
        with Intake(data) as intake:
            intake.receive(enrollment.enrollment_id, packet)
            assert intake.status(enrollment.enrollment_id).status == "received", "the receiver's checks pass"
            if status != "received":
                intake.store.set_status(enrollment.enrollment_id, status, reasons=["document_expired"]
                                        if status == "rejected" else [])
        return enrollment.enrollment_id

    return data, deliver


def users_for(server, enrollment_id):
    return [u for u in server.users() if u.get(ENROLLMENT_SCHEMA, {}).get("enrollmentId") == enrollment_id]


def test_accepted_enrollment_is_provisioned_tokened_and_emailed_once(receiver, ra, smtp, scim_server):
    data, deliver = receiver
    enrollment_id = deliver(language="en", sample=True)
    tokens = {}
    with ProvisioningWorker(data, provisioning_settings(ra, smtp, scim_server.url),
                            on_token=lambda eid, token: tokens.setdefault(eid, token)) as worker:
        assert worker.enqueue(enrollment_id) and not worker.enqueue(enrollment_id)
        assert worker.progress(enrollment_id)["stage"] == "accepted"
        assert worker.run_due() == {enrollment_id: "done"}
        assert worker.run_due() == {}
        progress = worker.progress(enrollment_id)
    assert progress == {"status": "accepted", "stage": "email_sent", "reasons": [], "provisioned": True,
                        "email_sent": True}
    (user,) = users_for(scim_server, enrollment_id)
    (message,) = smtp.mailbox.messages
    assert smtp.mailbox.over_tls == [True] and message["Content-Language"] == "en"
    (attachment,) = list(message.iter_attachments())
    token = attachment.get_content().decode()
    assert token == tokens[enrollment_id]
    plain = message.get_body(("plain",)).get_content()
    emailed_half = next(line.strip() for line in plain.splitlines() if line.startswith("    "))
    data_back = open_token(token, ACTIVATION_CODE[:6] + emailed_half, trusted_issuers=(ra[0],))
    assert data_back["spidAttributes"]["fiscalNumber"] == "TINIT-BNCGLI85C52H501R"
    assert data_back["info"]["requestId"] == enrollment_id
    db = (data / "receiver.db").read_bytes()
    assert b"BNCGLI85C52H501R" not in db and ACTIVATION_CODE[6:].encode() not in db, "nothing personal in clear"


def test_without_scim_the_token_and_email_still_go(receiver, ra, smtp):
    data, deliver = receiver
    enrollment_id = deliver()
    with ProvisioningWorker(data, provisioning_settings(ra, smtp)) as worker:
        worker.enqueue(enrollment_id)
        assert worker.run_due() == {enrollment_id: "done"}
        assert worker.progress(enrollment_id)["provisioned"] is False
    assert len(smtp.mailbox.messages) == 1


def test_a_rejected_enrollment_is_never_provisioned(receiver, ra, smtp, scim_server):
    data, deliver = receiver
    rejected = deliver(status="rejected")
    later_rejected = deliver()
    with ProvisioningWorker(data, provisioning_settings(ra, smtp, scim_server.url)) as worker:
        with pytest.raises(StoreError):
            worker.enqueue(rejected)
        worker.enqueue(later_rejected)
        worker.intake.store.set_status(later_rejected, "rejected", reasons=["document_expired"])
        assert worker.run_due() == {later_rejected: "cancelled"}
        progress = worker.progress(later_rejected)
    assert progress["stage"] == "rejected" and progress["reasons"] == ["document_expired"]
    assert not users_for(scim_server, rejected) and not users_for(scim_server, later_rejected)
    assert not smtp.mailbox.messages


def test_faults_wait_with_backoff_in_the_database_and_survive_a_restart(receiver, ra, smtp, scim_server):
    data, deliver = receiver
    enrollment_id = deliver()
    moment = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    down = f"http://127.0.0.1:{free_port()}/v2"
    with ProvisioningWorker(data, provisioning_settings(ra, smtp, down), clock=lambda: moment, rng=random.Random(1)) as worker:
        worker.enqueue(enrollment_id)
        assert worker.run_due() == {enrollment_id: "network"}
        assert worker.run_due() == {}, "not due again before its backoff"
    with ProvisioningWorker(data, provisioning_settings(ra, smtp, scim_server.url), clock=lambda: moment) as worker:
        job = worker.jobs.get(enrollment_id)
        assert job.stage == "scim" and job.attempts == 1 and job.last_error == "network"
        wait = datetime.strptime(job.next_attempt_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - moment
        assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)  # the outbox's first backoff
        assert worker.run_due() == {}
        worker.clock = lambda: moment + timedelta(minutes=1)
        assert worker.run_due() == {enrollment_id: "done"}
    assert len(users_for(scim_server, enrollment_id)) == 1 and len(smtp.mailbox.messages) == 1


def test_a_refused_email_parks_the_job_until_an_operator_retries(receiver, ra, smtp):
    data, deliver = receiver
    enrollment_id = deliver()
    smtp.mailbox.reply = "550 5.1.1 mailbox unavailable"
    with ProvisioningWorker(data, provisioning_settings(ra, smtp)) as worker:
        worker.enqueue(enrollment_id)
        assert worker.run_due() == {enrollment_id: "failed"}
        job = worker.jobs.get(enrollment_id)
        assert (job.stage, job.failed_stage, job.last_error) == ("failed", "mail", "smtp_550")
        smtp.mailbox.reply = "250 OK"
        assert worker.jobs.retry(enrollment_id, now=worker.clock())
        assert worker.run_due() == {enrollment_id: "done"}
        assert worker.jobs.get(enrollment_id).message_id == smtp.mailbox.messages[0]["Message-ID"]


# -- the receiver killed with SIGKILL ----------------------------------------------------------
def _spawn(tmp_path, data, ra, smtp, scim_url=""):
    spec = {"data_dir": str(data), "ra_key": str(ra[1]), "ra_certificate": str(ra[2]), "smtp_port": smtp.port,
            "smtp_ca": str(smtp.cert_path), "scim_url": scim_url, "scim_token": TOKEN}
    path = tmp_path / "runner.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)])}
    return subprocess.Popen([sys.executable, str(HERE / "provision_runner.py"), str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _job(data, enrollment_id):
    from kiosk.receiver.keys import database_path
    from kiosk.receiver.provision.jobs import JobQueue

    queue = JobQueue(database_path(data))
    try:
        return queue.get(enrollment_id)
    finally:
        queue.close()


def test_killed_before_the_smtp_server_accepted_it_resends_with_the_same_message_id(tmp_path, receiver, ra, smtp):
    data, deliver = receiver
    enrollment_id = deliver()
    with ProvisioningWorker(data, provisioning_settings(ra, smtp)) as worker:
        worker.enqueue(enrollment_id)
    smtp.mailbox.stall_rcpt.set()  # the server holds the conversation before accepting anything
    process = _spawn(tmp_path, data, ra, smtp)
    assert smtp.mailbox.rcpt_seen.wait(30), "the worker reached the SMTP server"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    smtp.mailbox.stall_rcpt.clear()
    smtp.mailbox.release.set()
    time.sleep(0.2)
    assert not smtp.mailbox.messages, "nothing was accepted"
    stored = _job(data, enrollment_id)
    assert stored.stage == "mail" and stored.message_id

    process = _spawn(tmp_path, data, ra, smtp)
    assert process.wait(60) == 0, process.stderr.read().decode()[-2000:]
    (message,) = smtp.mailbox.messages
    assert message["Message-ID"] == stored.message_id
    assert _job(data, enrollment_id).stage == "done"

    process = _spawn(tmp_path, data, ra, smtp)  # killed after it was accepted (and recorded): never again
    assert process.wait(60) == 0
    assert len(smtp.mailbox.messages) == 1


def test_kill_at_random_points_one_user_and_one_message_id(tmp_path, receiver, ra, smtp, scim_server):
    data, deliver = receiver
    ids = [deliver() for _ in range(3)]
    with ProvisioningWorker(data, provisioning_settings(ra, smtp)) as worker:
        for enrollment_id in ids:
            worker.enqueue(enrollment_id)
    rng = random.Random(7)
    stages_killed = set()
    for _ in range(4):  # kill -9 the receiver just after it made progress, at a random instant
        before = [_job(data, e).stage for e in ids]
        process = _spawn(tmp_path, data, ra, smtp, scim_server.url)
        deadline = time.monotonic() + 60
        while [_job(data, e).stage for e in ids] == before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.08))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stages_killed.update(_job(data, e).stage for e in ids)
    process = _spawn(tmp_path, data, ra, smtp, scim_server.url)  # then it runs to the end
    assert process.wait(120) == 0, process.stderr.read().decode()[-2000:]
    assert all(_job(data, e).stage == "done" for e in ids)
    assert len(stages_killed) >= 2, "the kills landed in different steps"
    for enrollment_id in ids:
        assert len(users_for(scim_server, enrollment_id)) == 1
        stored = _job(data, enrollment_id).message_id
        copies = [m for m in smtp.mailbox.messages if m["Message-ID"] == stored]
        assert copies, "the email went out"
    assert {m["Message-ID"] for m in smtp.mailbox.messages} == {_job(data, e).message_id for e in ids}
