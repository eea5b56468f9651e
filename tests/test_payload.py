"""The sealed plaintext's versions: the kiosk seals version 2 (binary attachments); the receiver takes
version 2 and the version-1 JSON (base64 attachments) that packets already in outboxes hold."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kiosk import payload as payload_format
from kiosk.domain.sample import SAMPLE_CONTACT, sample_enrollment
from kiosk.payload import InvalidPayload
from kiosk.receiver import inspect as receiver_inspect
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import public_key_path
from kiosk.receiver.storage import PutOutcome
from kiosk.sealing import load_recipient, seal
from receiver_helpers import KIOSK, prepare

VERIFIED = replace(SAMPLE_CONTACT, is_email_verified=True, is_mobile_verified=True)


def test_version_2_carries_the_images_as_bytes_and_decodes_to_what_version_1_decodes_to():
    sizes = {kind: 40_000 for kind in ("document_front", "document_back", "health_card_front", "health_card_back",
                                       "face")}
    enrollment = sample_enrollment(contact=VERIFIED, image_sizes=sizes)
    v2 = payload_format.encode(enrollment.to_payload(raw_attachments=True))
    v1 = json.dumps(enrollment.to_payload()).encode()
    assert v2.startswith(payload_format.MAGIC) and len(v2) < 0.8 * len(v1)  # no base64: a quarter smaller
    decoded = payload_format.decode(v2)
    assert decoded == payload_format.decode(v1)
    jpegs = {capture.kind: capture.jpeg for capture in enrollment.captures}
    assert {a["kind"]: a["content"] for a in decoded["attachments"]} == jpegs
    assert payload_format.as_json(decoded) == enrollment.to_payload()


@pytest.mark.parametrize("damage", [
    lambda p: p[:-1],  # an image cut short
    lambda p: p + b"x",  # bytes after the last image
    lambda p: p[:8],  # the manifest length cut
    lambda p: p[:6] + (10**6).to_bytes(4, "big") + p[10:],  # a manifest longer than the plaintext
    lambda p: payload_format.MAGIC + (2).to_bytes(4, "big") + b"[]",  # a manifest that is no object
    lambda p: b"not json at all",
])
def test_a_damaged_plaintext_is_invalid_never_misread(damage):
    plaintext = payload_format.encode(sample_enrollment().to_payload(raw_attachments=True))
    with pytest.raises(InvalidPayload):
        payload_format.decode(damage(plaintext))


def _sealed(data_dir, key, plaintext: bytes, enrollment_id: str) -> bytes:
    return seal(plaintext, recipient=load_recipient(public_key_path(data_dir)), signing_key=key, kiosk_id=KIOSK,
                enrollment_id=enrollment_id, created_at=datetime.now(UTC))


def test_the_receiver_takes_both_versions_and_shows_them_alike(tmp_path):
    data_dir, key, _ = prepare(tmp_path)
    old = sample_enrollment(kiosk_id=KIOSK, contact=VERIFIED)  # sealed before version 2, still queued
    new = sample_enrollment(kiosk_id=KIOSK, contact=VERIFIED)
    with Intake(data_dir) as intake:
        for enrollment, plaintext in (
            (old, json.dumps(old.to_payload()).encode()),
            (new, payload_format.encode(new.to_payload(raw_attachments=True))),
        ):
            receipt = intake.receive(enrollment.enrollment_id, _sealed(data_dir, key, plaintext, enrollment.enrollment_id))
            assert receipt.outcome is PutOutcome.CREATED
            assert intake.status(enrollment.enrollment_id).status == "received", "the checks pass: images match"
    for enrollment in (old, new):
        assert receiver_inspect.show(data_dir, enrollment.enrollment_id) == enrollment.to_payload()


def test_an_image_that_does_not_match_its_digest_is_caught_in_version_2(tmp_path):
    data_dir, key, _ = prepare(tmp_path)
    enrollment = sample_enrollment(kiosk_id=KIOSK, contact=VERIFIED)
    payload = enrollment.to_payload(raw_attachments=True)
    payload["attachments"][0] = {**payload["attachments"][0], "content": b"\xff\xd8 another image"}
    packet = _sealed(data_dir, key, payload_format.encode(payload), enrollment.enrollment_id)
    with Intake(data_dir) as intake:
        intake.receive(enrollment.enrollment_id, packet)
        record = intake.status(enrollment.enrollment_id)
    assert (record.status, record.reasons) == ("rejected", ["evidence_incomplete"])
