"""A real receiver over mutual TLS on 127.0.0.1, with certificates made for the test in tmp dirs."""

from __future__ import annotations

import ssl
from datetime import datetime, timezone
from pathlib import Path

import httpx

from dataclasses import replace

from kiosk import payload as payload_format
from kiosk.domain.sample import SAMPLE_CONTACT, sample_enrollment
from kiosk.receiver.certs import MutualTls, make_mutual_tls
from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk
from kiosk.receiver.server import ServerTls
from kiosk.sealing import load_or_create_signing_key, load_recipient, public_key_pem, seal

KIOSK = "comune-roma-01"
TOKEN = "operator-token-for-tests"


def prepare(tmp: Path) -> tuple[Path, object, MutualTls]:
    """(receiver data dir, kiosk signing key, certificates) with the kiosk trusted."""
    data_dir = tmp / "receiver"
    init_data_dir(data_dir)
    key = load_or_create_signing_key(tmp / "kiosk" / "signing.key")
    trust_kiosk(data_dir, KIOSK, public_key_pem(key))
    return data_dir, key, make_mutual_tls(tmp / "tls", kiosk_id=KIOSK)


def server_tls(certs: MutualTls) -> ServerTls:
    return ServerTls(certs.server.cert, certs.server.key, certs.client_ca.cert)


def client_context(certs: MutualTls, *, with_client_cert: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs.server.cert))
    if with_client_cert:
        context.load_cert_chain(certs.client.cert, certs.client.key)
    return context


def https_client(server, certs: MutualTls, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=server.url, verify=client_context(certs, **kwargs), timeout=10)


VERIFIED_CONTACT = replace(SAMPLE_CONTACT, is_email_verified=True, is_mobile_verified=True)


def sealed(data_dir: Path, key, enrollment=None, *, kiosk_id: str = KIOSK) -> tuple[str, bytes]:
    """A packet sealed as the online kiosk seals it (contacts verified by one-time codes) unless
    ``enrollment`` says otherwise."""
    enrollment = enrollment or sample_enrollment(kiosk_id=kiosk_id, contact=VERIFIED_CONTACT)
    plaintext = payload_format.encode(enrollment.to_payload(raw_attachments=True))  # as the kiosk seals now
    packet = seal(plaintext, recipient=load_recipient(public_key_path(data_dir)), signing_key=key,
                  kiosk_id=kiosk_id, enrollment_id=enrollment.enrollment_id, created_at=datetime.now(timezone.utc))
    return enrollment.enrollment_id, packet


def wait_for(probe, *, timeout: float = 60.0, what: str = "the receiver's background work"):
    """``probe()``'s first truthy answer, polled: for what a receiver thread does just after a reply.
    The generous ``timeout`` only bounds a hang; a loaded machine just takes longer."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)
