"""The receiver over mutual TLS: status lifecycle, operator decisions, reference lookup, OpenAPI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta

import httpx
import pytest

from kiosk.domain.ids import reference
from kiosk.domain.sample import SAMPLE_CITIZEN, sample_enrollment
from kiosk.domain.citizen import replace
from kiosk.receiver.certs import issue
from kiosk.receiver.server import ROUTES, ReceiverServer, openapi_document
from kiosk.receiver.storage import PacketStore

from receiver_helpers import TOKEN, client_context, https_client, prepare, sealed, server_tls, wait_for

accepted_calls: list[str] = []


@pytest.fixture
def world(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    accepted_calls.clear()
    with ReceiverServer(data_dir, tls=server_tls(certs), operator_token=TOKEN,
                        on_accepted=(accepted_calls.append,)) as server:
        with https_client(server, certs) as client:
            yield server, client, data_dir, key, certs


def put(client, enrollment_id, packet):
    return client.put(f"/v1/packets/{enrollment_id}", content=packet,
                      headers={"Content-Type": "application/octet-stream"})


def decide(client, enrollment_id, decision, reasons=(), token=TOKEN):
    return client.post(f"/v1/packets/{enrollment_id}/decision", json={"decision": decision, "reasons": list(reasons)},
                       headers={"Authorization": f"Bearer {token}"} if token else {})


def test_lifecycle_received_accepted_activated_with_a_durable_job(world):
    server, client, data_dir, key, _ = world
    enrollment_id, packet = sealed(data_dir, key)
    assert put(client, enrollment_id, packet).status_code == 201
    status = client.get(f"/v1/status/{reference(enrollment_id)}").json()
    assert (status["status"], status["reasons"], status["enrollment_id"]) == ("received", [], enrollment_id)
    response = decide(client, enrollment_id, "accept")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert accepted_calls == [enrollment_id]
    assert decide(client, enrollment_id, "accept").status_code == 200, "idempotent"
    with PacketStore(data_dir / "receiver.db") as store:
        jobs = store.pending_jobs("accepted")
        assert [j.enrollment_id for j in jobs] == [enrollment_id], "one durable job for the next step"
        from kiosk.receiver.decisions import Decisions

        Decisions(store).mark_activated(enrollment_id)
    assert client.get(f"/v1/packets/{enrollment_id}/status").json()["status"] == "activated"
    # a final status does not move back
    conflict = decide(client, enrollment_id, "reject", ["other"])
    assert conflict.status_code == 409 and conflict.json()["error"] == "bad_transition"


def test_rejection_needs_known_reasons_and_is_readable_by_reference(world):
    _, client, data_dir, key, _ = world
    enrollment_id, packet = sealed(data_dir, key)
    put(client, enrollment_id, packet)
    assert decide(client, enrollment_id, "reject").status_code == 400
    assert decide(client, enrollment_id, "reject", ["because I said so"]).status_code == 400
    response = decide(client, enrollment_id, "reject", ["face_mismatch"])
    assert response.json()["status"] == "rejected"
    by_reference = client.get(f"/v1/status/{reference(enrollment_id).lower()}").json()
    assert (by_reference["status"], by_reference["reasons"]) == ("rejected", ["face_mismatch"])
    assert decide(client, enrollment_id, "accept").status_code == 409
    assert client.get("/v1/status/0000-0000-0000").status_code == 404
    assert client.get("/v1/status/not-a-reference").status_code == 400


def test_operator_api_needs_the_token(world):
    _, client, data_dir, key, _ = world
    enrollment_id, packet = sealed(data_dir, key)
    put(client, enrollment_id, packet)
    assert decide(client, enrollment_id, "accept", token=None).status_code == 401
    assert decide(client, enrollment_id, "accept", token="wrong").status_code == 401
    assert client.get(f"/v1/packets/{enrollment_id}/status").json()["status"] == "received"


@pytest.mark.parametrize("change, reason", [
    (dict(document_expiry=date.today() - timedelta(days=1)), "document_expired"),
    (dict(citizen=replace(SAMPLE_CITIZEN, birth_date=date.today() - timedelta(days=17 * 365))), "underage"),
    (dict(citizen=replace(SAMPLE_CITIZEN, codice_fiscale="RSSMRA80A01H501U")), "codice_fiscale_invalid"),
])
def test_automatic_checks_reject_with_actionable_reasons(world, change, reason):
    _, client, data_dir, key, _ = world
    enrollment_id, packet = sealed(data_dir, key, sample_enrollment(kiosk_id="comune-roma-01", **change))
    assert put(client, enrollment_id, packet).status_code == 201, "stored: the kiosk may forget it"
    body = client.get(f"/v1/packets/{enrollment_id}/status").json()
    assert body["status"] == "rejected" and reason in body["reasons"]


def test_tls_kiosk_routes_need_a_client_certificate_from_our_ca(world, tmp_path):
    server, _, data_dir, key, certs = world
    enrollment_id, packet = sealed(data_dir, key)
    with https_client(server, certs, with_client_cert=False) as anonymous:
        assert anonymous.get("/healthz").status_code == 200, "public: health checks"
        refused = put(anonymous, enrollment_id, packet)
        assert refused.status_code == 403 and refused.json()["error"] == "client_certificate_required"
        assert anonymous.get(f"/v1/packets/{enrollment_id}/status").status_code == 403
        assert anonymous.post("/v1/otp", json={"channel": "email", "address": "a@example.it"}).status_code == 403
    stranger = issue(tmp_path / "stranger", name="stranger", is_server=False)  # self-signed, not our CA
    context = client_context(certs, with_client_cert=False)
    context.load_cert_chain(stranger.cert, stranger.key)
    with pytest.raises(httpx.TransportError):  # a certificate that does not verify: refused in the handshake
        httpx.get(f"{server.url}/healthz", verify=context, timeout=5)
    with pytest.raises(httpx.TransportError):  # plain HTTP to the TLS port
        httpx.get(server.url.replace("https", "http") + "/healthz", timeout=5)
    with PacketStore(data_dir / "receiver.db") as store:
        assert store.count() == 0


def test_one_time_codes_are_sent_and_checked(world):
    _, client, data_dir, _, _ = world
    from kiosk.receiver.messages import FileMessenger

    sent = client.post("/v1/otp", json={"channel": "email", "address": "giulia.bianchi@example.it"})
    assert sent.status_code == 201
    otp_id = sent.json()["otp_id"]
    (message,) = FileMessenger(data_dir).messages()
    assert message["to"] == "giulia.bianchi@example.it" and message["channel"] == "email"
    code = re.search(r"\b(\d{6})\b", message["body"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(f"/v1/otp/{otp_id}/verify", json={"code": wrong}).json() == {"verified": False, "tries_left": 4}
    assert client.post(f"/v1/otp/{otp_id}/verify", json={"code": code}).json() == {"verified": True, "tries_left": 0}
    assert client.post(f"/v1/otp/{otp_id}/verify", json={"code": code}).json()["verified"] is False, "once only"
    assert client.post("/v1/otp", json={"channel": "email", "address": "not an address"}).status_code == 400
    assert client.post("/v1/otp", json={"channel": "fax", "address": "1"}).status_code == 400
    sms = client.post("/v1/otp", json={"channel": "mobile", "address": "333 123 4567"})
    assert sms.status_code == 201 and FileMessenger(data_dir).messages()[-1]["to"] == "+393331234567"


def test_five_wrong_codes_use_up_a_code(world):
    _, client, data_dir, _, _ = world
    from kiosk.receiver.messages import FileMessenger

    otp_id = client.post("/v1/otp", json={"channel": "email", "address": "g@example.it"}).json()["otp_id"]
    code = re.search(r"\b(\d{6})\b", FileMessenger(data_dir).messages()[-1]["body"]).group(1)
    wrong = "99999" + ("8" if code[-1] != "8" else "7")
    answers = [client.post(f"/v1/otp/{otp_id}/verify", json={"code": wrong}) for _ in range(5)]
    assert [a.json()["tries_left"] for a in answers[:4]] == [4, 3, 2, 1]
    burnt = client.post(f"/v1/otp/{otp_id}/verify", json={"code": code})
    assert burnt.status_code == 429 and burnt.json()["verified"] is False and burnt.json()["error"] == "code_burnt"
    assert 1 <= int(burnt.headers["Retry-After"]) <= 60, "a new code once the cool-down is over"


def test_unverified_contacts_get_a_link_that_confirms_them_later(world):
    server, client, data_dir, key, certs = world
    from kiosk.receiver.messages import FileMessenger

    enrollment = sample_enrollment(kiosk_id="comune-roma-01")  # sealed offline: nothing verified
    enrollment_id, packet = sealed(data_dir, key, enrollment)
    put(client, enrollment_id, packet)
    put(client, enrollment_id, packet)  # a retry sends no second email
    # sent from the durable queue, just after the acknowledgement
    messages = wait_for(lambda: len(FileMessenger(data_dir).messages()) >= 2 and FileMessenger(data_dir).messages())
    assert len(messages) == 2 and {m["to"] for m in messages} == {"giulia.bianchi@example.it"}
    link = re.search(r"(https://\S+/v1/verify/\S+)", messages[0]["body"]).group(1)
    with https_client(server, certs, with_client_cert=False) as browser:  # the citizen, at home
        response = browser.get(link.replace(server.url, ""))
        assert response.status_code == 200 and response.json()["verified"] is True
        assert browser.get("/v1/verify/not-a-token").status_code == 404
    assert server._httpd.verifier.is_confirmed(enrollment_id, response.json()["channel"])


def test_openapi_document_lists_every_route_and_is_served(world):
    _, client, _, _, _ = world
    document = openapi_document()
    served = client.get("/openapi.json").json()
    assert served == document
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    routed = {(r.method, r.template) for r in ROUTES}
    assert documented == routed
    for path, ops in document["paths"].items():
        for op in ops.values():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"\{([a-z_]+)\}", path)), path


def test_cli_decide_and_show(tmp_path):
    data_dir, key, certs = prepare(tmp_path)
    with ReceiverServer(data_dir, tls=server_tls(certs)) as server, https_client(server, certs) as client:
        enrollment_id, packet = sealed(data_dir, key)
        put(client, enrollment_id, packet)
    kiosk = [sys.executable, "-m", "kiosk", "receiver"]
    result = subprocess.run(kiosk + ["decide", enrollment_id, "reject", "--reason", "document_unreadable",
                                     "--data", str(data_dir)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "rejected (document_unreadable)" in result.stdout
    bad = subprocess.run(kiosk + ["decide", enrollment_id, "accept", "--data", str(data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "cannot go from rejected to accepted" in bad.stderr
    shown = subprocess.run(kiosk + ["show", enrollment_id, "--json", "--data", str(data_dir)],
                           capture_output=True, text=True, timeout=60)
    payload = json.loads(shown.stdout)
    assert payload["verified_claims"]["verification"]["trust_framework"] == "it_spid"


def test_an_unconfirmed_contact_blocks_acceptance_until_the_citizen_opens_the_link(world, tmp_path):
    server, client, data_dir, key, certs = world
    from kiosk.receiver.messages import FileMessenger

    offline = sample_enrollment(kiosk_id="comune-roma-01")  # sealed offline: email and mobile "to verify"
    enrollment_id, packet = sealed(data_dir, key, offline)
    assert put(client, enrollment_id, packet).status_code == 201
    status = client.get(f"/v1/packets/{enrollment_id}/status").json()
    assert status["contacts"] == {"email": "to_verify", "mobile": "to_verify"}
    refused = decide(client, enrollment_id, "accept")
    assert refused.status_code == 409 and refused.json()["error"] == "contact_unverified"
    assert "email" in refused.json()["detail"] and "mobile" in refused.json()["detail"]
    assert client.get(f"/v1/packets/{enrollment_id}/status").json()["status"] == "received"
    assert accepted_calls == [], "nothing provisioned, no activation email to an unconfirmed address"
    kiosk = [sys.executable, "-m", "kiosk", "receiver"]
    shown = subprocess.run(kiosk + ["show", enrollment_id, "--json", "--data", str(data_dir)],
                           capture_output=True, text=True, timeout=60)
    assert json.loads(shown.stdout)["receiver"]["contacts"] == {"email": "to_verify", "mobile": "to_verify"}
    cli = subprocess.run(kiosk + ["decide", enrollment_id, "accept", "--data", str(data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and "not confirmed yet: email, mobile" in cli.stderr
    assert "--reason contact_unverified" in cli.stderr

    messages = wait_for(lambda: len(FileMessenger(data_dir).messages()) == 2 and FileMessenger(data_dir).messages())
    links = [re.search(r"https://\S+(/v1/verify/\S+)", m["body"]).group(1) for m in messages]
    with https_client(server, certs, with_client_cert=False) as browser:  # the citizen, at home
        assert browser.get(links[0]).status_code == 200
        assert decide(client, enrollment_id, "accept").status_code == 409, "one of two confirmed is not enough"
        assert browser.get(links[1]).status_code == 200
    assert client.get(f"/v1/packets/{enrollment_id}/status").json()["contacts"] == {
        "email": "confirmed", "mobile": "confirmed"}
    accepted = decide(client, enrollment_id, "accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted_calls == [enrollment_id]
    text = subprocess.run(kiosk + ["show", enrollment_id, "--data", str(data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert "status accepted; contacts: email confirmed by link; mobile confirmed by link" in text.stdout


def test_a_contact_the_citizen_never_confirms_can_be_rejected_with_that_reason(world):
    _, client, data_dir, key, _ = world
    enrollment_id, packet = sealed(data_dir, key, sample_enrollment(kiosk_id="comune-roma-01"))
    put(client, enrollment_id, packet)
    rejected = decide(client, enrollment_id, "reject", ["contact_unverified"])
    assert rejected.status_code == 200 and rejected.json()["reasons"] == ["contact_unverified"]


def test_contacts_verified_at_the_kiosk_need_no_link(world):
    _, client, data_dir, key, _ = world
    from kiosk.receiver.messages import FileMessenger

    enrollment_id, packet = sealed(data_dir, key)  # verified online with one-time codes
    put(client, enrollment_id, packet)
    assert client.get(f"/v1/packets/{enrollment_id}/status").json()["contacts"] == {}
    assert FileMessenger(data_dir).messages() == []
    assert decide(client, enrollment_id, "accept").status_code == 200
