"""The verification link of a contact the kiosk could not verify is durable: queued with the packet,
sent after a crash (kill -9) at any point between the acknowledgement and the send, exactly once."""

from __future__ import annotations

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
