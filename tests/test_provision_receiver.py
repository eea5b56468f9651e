"""What follows an operator's acceptance inside the running receiver: its provisioning thread, the
status the kiosk reads, ``kiosk receiver jobs``, a duplicate identity, and the retention of rejections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from provision_helpers import citizen_named, provisioning_settings, unique_surname
from provision_helpers import ra, scim_server, smtp  # noqa: F401 - fixtures
from receiver_helpers import TOKEN as OPERATOR_TOKEN
from receiver_helpers import VERIFIED_CONTACT, https_client, prepare, sealed, server_tls
from scim_fixtures import TOKEN

from kiosk.domain.sample import sample_enrollment
from kiosk.receiver import inspect as receiver_inspect
from kiosk.receiver.decisions import Decisions
from kiosk.receiver.intake import Intake
from kiosk.receiver.provision.scim import ENROLLMENT_SCHEMA
from kiosk.receiver.provision.worker import ProvisioningWorker
from kiosk.receiver.server import ReceiverServer
from kiosk.receiver.storage import PacketNotFound, PacketPurged
from kiosk.store import Store
from sync_helpers import coordinator


def new_citizen_enrollment():
    return sample_enrollment(citizen=citizen_named(unique_surname()), contact=VERIFIED_CONTACT)


def test_the_running_receiver_follows_an_acceptance_through_to_the_email(tmp_path, ra, smtp, scim_server):
    data_dir, key, certs = prepare(tmp_path)
    enrollment = new_citizen_enrollment()
    enrollment_id, packet = sealed(data_dir, key, enrollment)
    with ReceiverServer(data_dir, tls=server_tls(certs), operator_token=OPERATOR_TOKEN,
                        provisioning=provisioning_settings(ra, smtp, scim_server.url)) as server, \
            https_client(server, certs) as client:
        assert client.put(f"/v1/packets/{enrollment_id}", content=packet,
                          headers={"Content-Type": "application/octet-stream"}).status_code == 201
        status = client.get(f"/v1/packets/{enrollment_id}/status").json()
        assert (status["status"], status["stage"], status["email_sent"]) == ("received", "received", False)
        decision = client.post(f"/v1/packets/{enrollment_id}/decision", json={"decision": "accept"},
                               headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        assert decision.status_code == 200, decision.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"/v1/packets/{enrollment_id}/status").json()
            if status["stage"] == "email_sent":
                break
            time.sleep(0.1)
        by_reference = client.get(f"/v1/status/{status['reference']}").json()
        with Store.open(tmp_path / "kiosk.db") as store:  # the kiosk's status check asks the same receiver
            sync = coordinator(store, server.url, certs)
            try:
                looked_up = sync.lookup_status(status["reference"].lower())
            finally:
                sync.close()
    assert looked_up == {"status": "email_sent", "reasons": []}
    assert status["status"] == "accepted" and status["stage"] == "email_sent"
    assert status["provisioned"] is True and status["email_sent"] is True
    assert by_reference["stage"] == "email_sent"
    assert len(smtp.mailbox.messages) == 1
    assert [u for u in scim_server.users() if u[ENROLLMENT_SCHEMA]["enrollmentId"] == enrollment_id]


def test_a_citizen_who_already_has_an_identity_is_told_to_use_it(tmp_path, ra, smtp, scim_server):
    data_dir, key, _ = prepare(tmp_path)
    citizen = citizen_named(unique_surname())
    first, second = (sample_enrollment(citizen=citizen, contact=VERIFIED_CONTACT),
                     sample_enrollment(citizen=citizen, contact=VERIFIED_CONTACT))
    with Intake(data_dir) as intake:
        for enrollment in (first, second):
            intake.receive(*sealed(data_dir, key, enrollment))
            Decisions(intake.store).decide(enrollment.enrollment_id, "accept")
    with ProvisioningWorker(data_dir, provisioning_settings(ra, smtp, scim_server.url)) as worker:
        outcomes = worker.run_due()
        assert sorted(outcomes.values()) == ["cancelled", "done"]
        (later,) = [enrollment_id for enrollment_id, outcome in outcomes.items() if outcome == "cancelled"]
        progress = worker.progress(later)
    assert progress["status"] == "rejected" and progress["reasons"] == ["duplicate_identity"]
    assert len(smtp.mailbox.messages) == 1


def test_rejected_sealed_data_is_deleted_after_the_retention(tmp_path, ra, smtp):
    data_dir, key, _ = prepare(tmp_path)
    with Intake(data_dir) as intake:
        enrollment_id, packet = sealed(data_dir, key, new_citizen_enrollment())
        intake.receive(enrollment_id, packet)
        Decisions(intake.store).decide(enrollment_id, "reject", reasons=["document_unreadable"])
    (stored,) = (data_dir / "packets").iterdir()
    witness = tmp_path / "witness"  # a second name for the file's blocks: what a disk would keep
    os.link(stored, witness)
    assert witness.read_bytes() == packet
    now = datetime.now(UTC)
    with ProvisioningWorker(data_dir, provisioning_settings(ra, smtp, "", rejected_retention=timedelta(days=30)),
                            clock=lambda: now + timedelta(days=29)) as worker:
        assert worker.purge_rejected() == 0
        assert receiver_inspect.show(data_dir, enrollment_id)["enrollment_id"] == enrollment_id
        worker.clock = lambda: now + timedelta(days=30, minutes=1)
        assert worker.purge_rejected() == 1
        assert worker.progress(enrollment_id)["reasons"] == ["document_unreadable"], "the reasons stay"
        assert worker.run_due() == {}
    with pytest.raises(PacketPurged):
        receiver_inspect.show(data_dir, enrollment_id)
    assert issubclass(PacketPurged, PacketNotFound)
    assert packet[-64:] not in (data_dir / "receiver.db").read_bytes()
    assert not list((data_dir / "packets").iterdir()), "the sealed packet's file is gone too"
    assert witness.read_bytes() == bytes(len(packet)), "overwritten with zeros before it was unlinked"


def test_cli_jobs_runs_lists_and_retries(tmp_path, ra, smtp, scim_server):
    data_dir, key, _ = prepare(tmp_path)
    with Intake(data_dir) as intake:
        enrollment_id, packet = sealed(data_dir, key, new_citizen_enrollment())
        intake.receive(enrollment_id, packet)
    config = tmp_path / "receiver.toml"
    config.write_text(f"""
[kiosk]
name = "Comune di Esempio"
[provisioning]
ra_key = "{ra[1]}"
ra_certificate = "{ra[2]}"
issuer_code = "c_h501"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
smtp_starttls = "require"
smtp_ca_file = "{smtp.cert_path}"
mail_from = "spid@comune.example"
""")

    def kiosk(*args):
        return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "receiver", *args,
                               "--data", str(data_dir)], capture_output=True, text=True, timeout=120)

    assert kiosk("decide", enrollment_id, "accept").returncode == 0
    smtp.mailbox.reply = "550 5.1.1 mailbox unavailable"
    run = kiosk("jobs", "--run", "--scim-url", scim_server.url, "--scim-token", TOKEN)
    assert run.returncode == 0, run.stderr
    assert f"{enrollment_id}: failed" in run.stdout
    listed = json.loads(kiosk("jobs", "--json").stdout)
    assert [(j["enrollment_id"], j["stage"], j["failed_stage"], j["last_error"]) for j in listed] == [
        (enrollment_id, "failed", "mail", "smtp_550")]
    assert listed[0]["scim_user_id"], "provisioned before the email failed"
    smtp.mailbox.reply = "250 OK"
    assert kiosk("jobs", "--retry", enrollment_id).returncode == 0
    run = kiosk("jobs", "--run", "--scim-url", scim_server.url, "--scim-token", TOKEN)
    assert f"{enrollment_id}: done" in run.stdout, run.stderr
    assert len(smtp.mailbox.messages) == 1
    for line in (run.stdout + run.stderr).splitlines():
        assert "BIANCHI" not in line.upper() or "GIULIA" not in line.upper()


def test_an_activated_identity_becomes_active_at_the_idp(tmp_path, ra, smtp, scim_server):
    data_dir, key, _ = prepare(tmp_path)
    with Intake(data_dir) as intake:
        enrollment_id, packet = sealed(data_dir, key, new_citizen_enrollment())
        intake.receive(enrollment_id, packet)
        Decisions(intake.store).decide(enrollment_id, "accept")
    with ProvisioningWorker(data_dir, provisioning_settings(ra, smtp, scim_server.url)) as worker:
        assert worker.run_due() == {enrollment_id: "done"}
        (user,) = [u for u in scim_server.users() if u[ENROLLMENT_SCHEMA]["enrollmentId"] == enrollment_id]
        assert user["active"] is False, "inactive until the citizen completes the activation"
        assert worker.sync_activations() == []
        Decisions(worker.intake.store).mark_activated(enrollment_id)
        worker.run_due()
        assert worker.sync_activations() == [], "told once"
        assert worker.progress(enrollment_id)["stage"] == "activated"
    (user,) = [u for u in scim_server.users() if u[ENROLLMENT_SCHEMA]["enrollmentId"] == enrollment_id]
    assert user["active"] is True
