"""Sealing and the packet container: round trip, tamper evidence, routing checks, parse fuzzing."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kiosk.errors import SealError
from kiosk.packet import MAGIC, SIGNATURE_SIZE, PacketFormatError, parse
from kiosk.sealing import (
    BadSignature,
    DecryptFailed,
    EnrollmentMismatch,
    KeyFileError,
    Recipient,
    UnknownKiosk,
    WrongKey,
    generate_receiver_keys,
    load_kiosk_public_key,
    load_or_create_signing_key,
    load_receiver_private,
    load_recipient,
    open_packet,
    public_key_pem,
    seal,
)

KIOSK = "comune-roma-01"
ENROLLMENT = "01JH8Z3Q4V5W6X7Y8Z9A0B1C2D"
CREATED = datetime(2025, 1, 31, 10, 15, 7, tzinfo=timezone(timedelta(hours=1)))
PAYLOAD = json.dumps({"enrollment_id": ENROLLMENT, "name": "MARKER-Mario-Rossi"}).encode()


@pytest.fixture
def kiosk_key(tmp_path):
    return load_or_create_signing_key(tmp_path / "kiosk" / "signing.key")


@pytest.fixture
def receiver(tmp_path):
    key_id = generate_receiver_keys(tmp_path / "receiver")
    private_key = load_receiver_private(tmp_path / "receiver" / "receiver.key")
    recipient = load_recipient(tmp_path / "receiver" / "receiver.pub")
    assert recipient.key_id == key_id
    return private_key, recipient


def _seal(kiosk_key, recipient, *, plaintext=PAYLOAD, enrollment_id=ENROLLMENT):
    return seal(
        plaintext,
        recipient=recipient,
        signing_key=kiosk_key,
        kiosk_id=KIOSK,
        enrollment_id=enrollment_id,
        created_at=CREATED,
    )


def _open(packet, private_key, recipient, kiosk_key, *, key_id=None, enrollment_id=ENROLLMENT, trusted=None):
    return open_packet(
        packet,
        private_key=private_key,
        key_id=key_id or recipient.key_id,
        trusted_kiosks=trusted if trusted is not None else {KIOSK: kiosk_key.public_key()},
        expected_enrollment_id=enrollment_id,
    )


def test_round_trip(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    assert _open(packet, private_key, recipient, kiosk_key) == PAYLOAD


def test_header_is_public_routing_data_only(kiosk_key, receiver):
    _, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    header, ciphertext, signature = parse(packet)
    assert len(signature) == SIGNATURE_SIZE and ciphertext.nbytes == len(packet) - 9 - len(header.to_bytes()) - 64
    assert (header.kiosk_id, header.enrollment_id, header.key_id) == (KIOSK, ENROLLMENT, recipient.key_id)
    assert header.created_at == "2025-01-31T09:15:07Z"
    assert b"MARKER" not in packet


def test_large_payload_round_trip(kiosk_key, receiver):
    private_key, recipient = receiver
    big = json.dumps({"enrollment_id": ENROLLMENT, "photo": "A" * 3_000_000}).encode()
    packet = _seal(kiosk_key, recipient, plaintext=big)
    assert len(packet) < len(big) + 512
    assert _open(packet, private_key, recipient, kiosk_key) == big


def test_kiosk_cannot_open_its_own_packet(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    # The kiosk holds only a Recipient: a public key, no private half.
    assert not hasattr(recipient.public_key, "private_bytes")
    for other in (X25519PrivateKey.generate(), X25519PrivateKey.generate()):
        with pytest.raises(DecryptFailed):
            _open(packet, other, recipient, kiosk_key)  # even claiming the right key id


def test_naive_created_at_is_refused(kiosk_key, receiver):
    _, recipient = receiver
    with pytest.raises(SealError):
        seal(PAYLOAD, recipient=recipient, signing_key=kiosk_key, kiosk_id=KIOSK,
             enrollment_id=ENROLLMENT, created_at=datetime(2025, 1, 1))


@pytest.mark.parametrize("bad_kiosk_id", ["", "a|b", "../etc", "x" * 65, "è"])
def test_malformed_kiosk_id_is_refused(kiosk_key, receiver, bad_kiosk_id):
    _, recipient = receiver
    with pytest.raises(SealError):
        seal(PAYLOAD, recipient=recipient, signing_key=kiosk_key, kiosk_id=bad_kiosk_id,
             enrollment_id=ENROLLMENT, created_at=CREATED)


@pytest.mark.parametrize("where", ["magic", "header", "ciphertext", "signature", "last"])
def test_tampering_breaks_the_signature(kiosk_key, receiver, where):
    private_key, recipient = receiver
    packet = bytearray(_seal(kiosk_key, recipient))
    header_end = 9 + int.from_bytes(packet[5:9], "big")
    offset = {
        "magic": None,
        "header": packet.index(b"09:15:07Z") + 7,  # "7" -> "6": still a canonical header
        "ciphertext": header_end + 40,
        "signature": len(packet) - SIGNATURE_SIZE + 5,
        "last": len(packet) - 1,
    }[where]
    if offset is None:
        packet[:5] = b"SPKT2"
        with pytest.raises(PacketFormatError):
            _open(bytes(packet), private_key, recipient, kiosk_key)
        return
    packet[offset] ^= 0x01
    with pytest.raises(BadSignature) as caught:
        _open(bytes(packet), private_key, recipient, kiosk_key)
    assert caught.value.code == "bad_signature"


def test_forged_by_another_kiosk_key(tmp_path, kiosk_key, receiver):
    private_key, recipient = receiver
    impostor = load_or_create_signing_key(tmp_path / "impostor.key")
    packet = _seal(impostor, recipient)
    with pytest.raises(BadSignature):
        _open(packet, private_key, recipient, kiosk_key)


def test_unknown_kiosk(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    with pytest.raises(UnknownKiosk) as caught:
        _open(packet, private_key, recipient, kiosk_key, trusted={})
    assert caught.value.code == "unknown_kiosk"


def test_wrong_key_id(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    with pytest.raises(WrongKey) as caught:
        _open(packet, private_key, recipient, kiosk_key, key_id="0123456789abcdef")
    assert caught.value.code == "wrong_key"


def test_packet_sealed_to_another_receiver(kiosk_key, receiver):
    private_key, recipient = receiver
    other = Recipient.from_public_key(X25519PrivateKey.generate().public_key())
    packet = _seal(kiosk_key, other)
    with pytest.raises(WrongKey):
        _open(packet, private_key, recipient, kiosk_key)


def test_enrollment_mismatch(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    with pytest.raises(EnrollmentMismatch) as caught:
        _open(packet, private_key, recipient, kiosk_key, enrollment_id="01JH8Z3Q4V5W6X7Y8Z9A0B1C2E")
    assert caught.value.code == "enrollment_mismatch"


def test_error_messages_carry_no_payload(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    for trusted, key in (({}, private_key), (None, X25519PrivateKey.generate())):
        with pytest.raises(SealError) as caught:
            _open(packet, key, recipient, kiosk_key, trusted=trusted)
        assert "MARKER" not in str(caught.value)


def test_signing_key_file_is_private_and_reused(tmp_path):
    path = tmp_path / "secrets" / "kiosk.key"
    key = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_signing_key(path)
    assert public_key_pem(again) == public_key_pem(key)
    assert load_kiosk_public_key(public_key_pem(key)).public_bytes_raw() == key.public_key().public_bytes_raw()


def test_receiver_keys_are_never_overwritten(tmp_path):
    key_id = generate_receiver_keys(tmp_path)
    assert stat.S_IMODE((tmp_path / "receiver.key").stat().st_mode) == 0o600
    with pytest.raises(KeyFileError):
        generate_receiver_keys(tmp_path)
    assert load_recipient(tmp_path / "receiver.pub").key_id == key_id


def test_wrong_key_types_are_refused(tmp_path):
    generate_receiver_keys(tmp_path)
    with pytest.raises(KeyFileError):
        load_or_create_signing_key(tmp_path / "receiver.key")  # an X25519 key, not Ed25519
    with pytest.raises(KeyFileError):
        load_recipient(tmp_path / "missing.pub")


@pytest.mark.parametrize("size", [0, 1, 4, 5, 9, 60, 120])
def test_truncated_packets(kiosk_key, receiver, size):
    _, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    with pytest.raises(PacketFormatError):
        parse(packet[:size])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512) | st.binary(max_size=256).map(lambda tail: MAGIC + tail))
def test_parse_raises_only_packet_format_error(data):
    try:
        parse(data)
    except PacketFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(header=st.binary(max_size=200), body=st.binary(min_size=0, max_size=200))
def test_parse_with_plausible_lengths(header, body):
    data = MAGIC + len(header).to_bytes(4, "big") + header + body
    try:
        parse(data)
    except PacketFormatError:
        pass


@settings(max_examples=150, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=4),
       cut=st.integers(min_value=0, max_value=8))
def test_mutated_packets_fail_only_with_seal_errors(flips, cut):
    kiosk_key, private_key = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    recipient = Recipient.from_public_key(private_key.public_key())
    original = _seal(kiosk_key, recipient)
    packet = bytearray(original)
    for position, mask in flips:
        packet[position % len(packet)] ^= mask
    packet = packet[: len(packet) - cut]
    assume(packet != original)  # two flips may cancel out
    with pytest.raises(SealError):
        _open(bytes(packet), private_key, recipient, kiosk_key)


def _seal_version_1(kiosk_key, recipient, *, plaintext=PAYLOAD) -> bytes:
    """A packet as kiosks sealed it before version 2: the signature over the bytes themselves."""
    from cryptography.hazmat.primitives import hpke

    from kiosk.packet import PacketHeader, build

    header = PacketHeader(kiosk_id=KIOSK, enrollment_id=ENROLLMENT, key_id=recipient.key_id,
                          created_at="2025-01-31T09:15:07Z", v=1)
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    return build(header, suite.encrypt(plaintext, recipient.public_key, info=header.hpke_info()),
                 sign=kiosk_key.sign)


def test_version_2_signs_the_sha256_of_the_packet_and_version_1_still_opens(kiosk_key, receiver):
    import hashlib

    from kiosk.packet import SIGNATURE_CONTEXT_V2

    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient)
    assert parse(packet).header.v == 2
    body, signature = packet[:-SIGNATURE_SIZE], packet[-SIGNATURE_SIZE:]
    kiosk_key.public_key().verify(signature, SIGNATURE_CONTEXT_V2 + hashlib.sha256(body).digest())
    old = _seal_version_1(kiosk_key, recipient)
    assert parse(old).header.v == 1
    kiosk_key.public_key().verify(old[-SIGNATURE_SIZE:], old[:-SIGNATURE_SIZE])
    assert _open(old, private_key, recipient, kiosk_key) == _open(packet, private_key, recipient, kiosk_key) == PAYLOAD


@pytest.mark.parametrize("version", [1, 2])
def test_a_packet_cannot_pass_for_the_other_signature_version(kiosk_key, receiver, version):
    """The same bytes re-labelled (``v`` swapped, or re-signed the other way by someone without the
    kiosk's key) never verify."""
    private_key, recipient = receiver
    packet = bytearray(_seal_version_1(kiosk_key, recipient) if version == 1 else _seal(kiosk_key, recipient))
    at = packet.index(b'"v":%d' % version) + 4
    packet[at] = ord(str(3 - version))
    with pytest.raises(BadSignature):
        _open(bytes(packet), private_key, recipient, kiosk_key)


def test_a_version_2_signature_over_the_raw_bytes_is_refused(kiosk_key, receiver):
    private_key, recipient = receiver
    packet = bytearray(_seal(kiosk_key, recipient))
    packet[-SIGNATURE_SIZE:] = kiosk_key.sign(bytes(packet[:-SIGNATURE_SIZE]))  # the version-1 way
    with pytest.raises(BadSignature):
        _open(bytes(packet), private_key, recipient, kiosk_key)


@pytest.mark.parametrize("version", [1, 2])
def test_opening_gives_the_digest_the_receiver_acknowledges_for_either_version(kiosk_key, receiver, version):
    """The receiver takes the packet's SHA-256 from the signature check's own pass over the bytes:
    it must be the SHA-256 of exactly the bytes received, which the kiosk compares before purging."""
    import hashlib

    from kiosk.sealing import open_packet_with_digest

    private_key, recipient = receiver
    packet = _seal(kiosk_key, recipient) if version == 2 else _seal_version_1(kiosk_key, recipient)
    plaintext, digest = open_packet_with_digest(
        packet, private_key=private_key, key_id=recipient.key_id,
        trusted_kiosks={KIOSK: kiosk_key.public_key()}, expected_enrollment_id=ENROLLMENT)
    assert plaintext == PAYLOAD
    assert digest == hashlib.sha256(packet).hexdigest()
