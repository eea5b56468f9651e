"""The receiver ties a kiosk's TLS client certificate to the kiosk that signed the packet (two kiosks)."""

from __future__ import annotations

import httpx

from kiosk.receiver.certs import issue
from kiosk.receiver.server import ReceiverServer, certificate_identities
from kiosk.receiver.keys import trust_kiosk
from kiosk.receiver.storage import PacketStore
from kiosk.sealing import load_or_create_signing_key, public_key_pem

from receiver_helpers import KIOSK, prepare, sealed, server_tls

OTHER = "comune-lucca-02"


def two_kiosk_world(tmp_path):
    """Receiver trusting KIOSK and OTHER, each with its own signing key and client certificate."""
    data_dir, key, certs = prepare(tmp_path)
    other_key = load_or_create_signing_key(tmp_path / "other" / "signing.key")
    trust_kiosk(data_dir, OTHER, public_key_pem(other_key))
    other_cert = issue(tmp_path / "tls-other", name=OTHER, ca=certs.client_ca, is_server=False)
    return data_dir, key, other_key, certs, other_cert


def client_with(server, certs, cert_files) -> httpx.Client:
    import ssl

    context = ssl.create_default_context(cafile=str(certs.server.cert))
    context.load_cert_chain(cert_files.cert, cert_files.key)
    return httpx.Client(base_url=server.url, verify=context, timeout=10)


def put(client, enrollment_id, packet):
    return client.put(f"/v1/packets/{enrollment_id}", content=packet,
                      headers={"Content-Type": "application/octet-stream"})


def test_a_packet_signed_by_kiosk_a_over_kiosk_b_certificate_is_refused(tmp_path):
    data_dir, key, other_key, certs, other_cert = two_kiosk_world(tmp_path)
    a_id, a_packet = sealed(data_dir, key)  # signed by KIOSK
    b_id, b_packet = sealed(data_dir, other_key, kiosk_id=OTHER)  # signed by OTHER
    with ReceiverServer(data_dir, tls=server_tls(certs)) as server:
        with client_with(server, certs, other_cert) as as_b, client_with(server, certs, certs.client) as as_a:
            refused = put(as_b, a_id, a_packet)
            assert refused.status_code == 403
            assert refused.json() == {"error": "certificate_kiosk_mismatch"}
            assert put(as_a, b_id, b_packet).status_code == 403, "and the other way round"
            assert put(as_a, a_id, a_packet).status_code == 201, "each kiosk delivers its own packets"
            assert put(as_b, b_id, b_packet).status_code == 201
            assert put(as_b, a_id, a_packet).status_code == 403, "even once stored, B cannot replay A's packet"
    with PacketStore(data_dir / "receiver.db") as store:
        assert {store.get(a_id).kiosk_id, store.get(b_id).kiosk_id} == {KIOSK, OTHER}
        assert store.count() == 2


def test_certificate_identities_read_common_name_and_subject_alt_names():
    peer = {"subject": ((("organizationName", "Comune"),), (("commonName", KIOSK),)),
            "subjectAltName": (("DNS", OTHER), ("IP Address", "127.0.0.1"))}
    assert certificate_identities(peer) == {KIOSK, OTHER}
    assert certificate_identities({}) == set()
