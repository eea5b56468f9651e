"""A kiosk cut down to what survives power cuts: seal, commit, print, sync, in a loop, until killed.

Run by tests/test_sync_crash.py in forkserver children that are killed with SIGKILL at random points.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from kiosk.domain.ids import reference
from kiosk.domain.sample import sample_enrollment
from kiosk.sealing import load_or_create_signing_key, load_recipient, seal
from kiosk.store import Store
from kiosk.sync.coordinator import SyncCoordinator
from kiosk.sync.transport import Transport

PHASES = ("starting", "sealing", "committing", "printing", "syncing")
IMAGE_SIZES = {"document_front": 24_000, "document_back": 24_000, "health_card_front": 16_000,
               "health_card_back": 16_000, "face": 20_000}


def print_receipt(store: Store, lane: Path, enrollment_id: str) -> None:
    """The printer: the receipt exists once its line is on disk (fsync), after the commit."""
    with open(lane / "receipts.log", "a", encoding="ascii") as out:
        out.write(enrollment_id + "\n")
        out.flush()
        os.fsync(out.fileno())
    store.mark_printed(enrollment_id)


def run(lane: str, kiosk_id: str, receiver_pub: str, transport: dict, phase) -> None:
    lane_dir = Path(lane)
    store = Store.open(lane_dir / "kiosk.db")
    key = load_or_create_signing_key(lane_dir / "kiosk.key")
    recipient = load_recipient(Path(receiver_pub))
    sync = SyncCoordinator(store, transport=Transport(**transport))
    for enrollment_id, *_ in store.pending_print():  # after a crash: reprint first
        phase.value = PHASES.index("printing")
        print_receipt(store, lane_dir, enrollment_id)
    while True:
        phase.value = PHASES.index("sealing")
        enrollment = sample_enrollment(kiosk_id=kiosk_id, image_sizes=IMAGE_SIZES)
        plaintext = json.dumps(enrollment.to_payload()).encode()
        packet = seal(plaintext, recipient=recipient, signing_key=key, kiosk_id=kiosk_id,
                      enrollment_id=enrollment.enrollment_id, created_at=datetime.now(UTC))
        phase.value = PHASES.index("committing")
        store.commit_packet(enrollment_id=enrollment.enrollment_id, reference=reference(enrollment.enrollment_id),
                            packet=packet, digest=hashlib.sha256(packet).hexdigest(), print_code="Ab3$xy")
        phase.value = PHASES.index("printing")
        print_receipt(store, lane_dir, enrollment.enrollment_id)
        phase.value = PHASES.index("syncing")
        sync.deliver_due()
