"""SCIM provisioning against a real scim2-server on 127.0.0.1, with and without a fault proxy in front."""

from __future__ import annotations

import json
import socket

import pytest
from provision_helpers import sample_payload
from provision_helpers import scim_server  # noqa: F401 - fixture
from scim_fixtures import TOKEN, FaultProxy, ScimServer

from kiosk.receiver.provision.scim import (
    ENROLLMENT_SCHEMA,
    ENTERPRISE_SCHEMA,
    ProvisioningError,
    ScimProvisioner,
    ScimRefused,
)


@pytest.fixture
def proxy(scim_server):
    proxy = FaultProxy(scim_server.url, hang_s=1.5).start()
    yield proxy
    proxy.stop()


def users_for(server: ScimServer, enrollment_id: str) -> list[dict]:
    return [u for u in server.users() if u.get(ENROLLMENT_SCHEMA, {}).get("enrollmentId") == enrollment_id]


def provision_until_done(provisioner: ScimProvisioner, payload: dict, *, attempts: int = 6):
    """What the durable queue does: try again after a transient failure."""
    errors = []
    for _ in range(attempts):
        try:
            return provisioner.provision(payload), errors
        except ProvisioningError as err:
            assert err.is_transient, err.code
            errors.append(err.code)
    raise AssertionError(f"never provisioned: {errors}")


def test_one_user_with_both_extensions(scim_server):
    payload = sample_payload()
    with ScimProvisioner(scim_server.url, token=TOKEN, organization="Comune di Esempio") as provisioner:
        first = provisioner.provision(payload)
        again = provisioner.provision(payload)
    assert first.created and not again.created and first.user_id == again.user_id
    (user,) = users_for(scim_server, payload["enrollment_id"])
    assert user["id"] == first.user_id
    assert user["userName"] == "TINIT-BNCGLI85C52H501R" and user["active"] is False
    assert user["emails"][0]["value"] == "giulia.bianchi@example.it"
    assert user[ENTERPRISE_SCHEMA]["organization"] == "Comune di Esempio"
    enrollment = user[ENROLLMENT_SCHEMA]
    assert enrollment["codiceFiscale"] == "BNCGLI85C52H501R"
    assert enrollment["document"] == {"type": "idcard", "number": "CA12345AB", "issuer": "Comune di Roma",
                                      "issuerCountry": "IT", "issueDate": "2021-05-10", "expiryDate": "2032-03-12"}
    evidence = json.loads(enrollment["evidenceRecord"])
    assert evidence == payload["verified_claims"]


def test_the_server_serves_the_enrollment_schema(scim_server):
    import httpx

    response = httpx.get(f"{scim_server.url}/Schemas/{ENROLLMENT_SCHEMA}",
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    unique = {a["name"]: a["uniqueness"] for a in response.json()["attributes"]}
    assert unique["enrollmentId"] == "server"


def test_a_wrong_token_is_refused_for_good(scim_server):
    with ScimProvisioner(scim_server.url, token="wrong") as provisioner:
        with pytest.raises(ScimRefused) as err:
            provisioner.provision(sample_payload())
    assert err.value.code == "http_401" and not err.value.is_transient


def test_another_enrollment_of_an_existing_citizen_is_not_a_second_identity(scim_server):
    first, second = sample_payload(), sample_payload()  # same citizen, two enrollment ids
    first["citizen"]["codice_fiscale"] = second["citizen"]["codice_fiscale"] = "VRDLCU78S07F205R"
    with ScimProvisioner(scim_server.url, token=TOKEN) as provisioner:
        provisioner.provision(first)
        with pytest.raises(ScimRefused) as err:
            provisioner.provision(second)
    assert err.value.code == "identity_exists"


@pytest.mark.parametrize("faults, match", [
    (["500"], "POST"),
    (["503", "502"], "GET"),
    (["lost"], "POST"),  # created, response lost: found again in the same attempt
    (["lost-reset"], "POST"),
    (["hang"], "POST"),  # created, then a timeout
    (["twice"], "POST"),  # created, the client hears a 409: resolved by looking the user up
    (["reset", "garbage"], ""),
    (["lost", "503", "503"], ""),  # created, lost, and the lookups fail too: a later attempt finds it
])
def test_exactly_once_under_faults(scim_server, proxy, faults, match):
    payload = sample_payload(email=f"{'-'.join(faults)}@example.it")
    payload["citizen"]["codice_fiscale"] = payload["enrollment_id"][-16:]  # userName is unique on the server
    proxy.plan(*faults, match=match)
    with ScimProvisioner(proxy.url, token=TOKEN, timeout=1.0) as provisioner:
        result, errors = provision_until_done(provisioner, payload)
    assert not proxy.script, "every planned fault was played"
    (user,) = users_for(scim_server, payload["enrollment_id"])
    assert user["id"] == result.user_id
    if "twice" in faults:
        assert 409 in proxy.statuses and not errors


def test_updates_carry_if_match_and_survive_a_concurrent_change(scim_server, proxy):
    payload = sample_payload()
    payload["citizen"]["codice_fiscale"] = "RSSMRA80A01H501U"
    with ScimProvisioner(proxy.url, token=TOKEN) as provisioner:
        created = provisioner.provision(payload)
        proxy.plan("bump", match="PUT")
        assert provisioner.set_active(payload["enrollment_id"]) == created.user_id
    (user,) = users_for(scim_server, payload["enrollment_id"])
    assert user["active"] is True
    assert proxy.if_match and all(proxy.if_match), "every PUT was conditional"
    assert 412 in proxy.statuses, "the stale write was refused, then redone on a fresh read"



def test_the_local_server_moves_to_a_new_port_when_its_port_was_taken(tmp_path):
    """The port is free when chosen; another program may bind it before scim2-server does. The
    demo's server must still come up (it did not, once, in CI), and on a port that works."""
    server = ScimServer(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", server.port))
    taken.listen()
    try:
        with server:
            assert server.port != taken.getsockname()[1]
            assert server.users() == []
    finally:
        taken.close()
    assert b"Address already in use" in (tmp_path / "scim2-server.log").read_bytes()  # why the first try failed
