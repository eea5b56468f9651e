"""A kiosk outbox full of real sealed packets and a coordinator over mutual TLS to a real receiver."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from kiosk.domain.ids import reference
from kiosk.domain.sample import sample_enrollment
from receiver_helpers import VERIFIED_CONTACT
from kiosk.receiver.certs import MutualTls
from kiosk.receiver.keys import public_key_path
from kiosk.sealing import load_recipient, seal
from kiosk.store import Store
from kiosk.sync.coordinator import SyncCoordinator
from kiosk.sync.transport import Transport

from receiver_helpers import KIOSK


def commit_sample(store: Store, data_dir: Path, key, **changes) -> str:
    """Seal the sample enrollment for the receiver and commit it, as the kiosk does; its id."""
    changes.setdefault("contact", VERIFIED_CONTACT)  # verified online by one-time codes
    enrollment = sample_enrollment(kiosk_id=KIOSK, **changes)
    plaintext = json.dumps(enrollment.to_payload()).encode()
    packet = seal(plaintext, recipient=load_recipient(public_key_path(data_dir)), signing_key=key, kiosk_id=KIOSK,
                  enrollment_id=enrollment.enrollment_id, created_at=datetime.now(UTC))
    store.commit_packet(enrollment_id=enrollment.enrollment_id, reference=reference(enrollment.enrollment_id),
                        packet=packet, digest=hashlib.sha256(packet).hexdigest(), print_code="Ab3$xy")
    return enrollment.enrollment_id


def transport(url: str, certs: MutualTls, **changes) -> Transport:
    options = dict(base_url=url, pinned_cert=certs.server.cert, client_cert=certs.client.cert,
                   client_key=certs.client.key, connections=4, timeout_s=5.0)
    options.update(changes)
    return Transport(**options)


def coordinator(store: Store, url: str, certs: MutualTls, **changes) -> SyncCoordinator:
    return SyncCoordinator(store, transport=transport(url, certs, **changes))
