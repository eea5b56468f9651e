"""Contract of the CardReader port, run on every backend that can run here."""

import datetime as dt
import os

import pytest
from codicefiscale import codicefiscale
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hardware import registry
from hardware.card.port import PinResult
from hardware.card.sim import SimCardReader
from hardware.card.simcard import SimCard, test_ca
from hardware.errors import CardError, CardRemoved, NoCard, PinFormatInvalid, PinRequired

REAL_HW = os.environ.get("SPORTELLO_REAL_HW") == "1"
SIMULATED: list[str] = ["sim"]
REAL: list[str] = []  # "pcsc" once it exists; its world side will be the vpcd card emulator
BACKENDS = [pytest.param(n, id=n) for n in SIMULATED] + [
    pytest.param(n, id=n, marks=pytest.mark.skipif(not REAL_HW, reason="SPORTELLO_REAL_HW=1"))
    for n in REAL
]
PERSONAL = ("BIANCHI", "GIULIA", "BNCGLI85C52H501R", "1985", "H501", "80380001234567890123")


@pytest.fixture(params=BACKENDS)
def reader(request):
    with registry.create("card", request.param) as device:
        yield device


@pytest.fixture
def world(reader):
    """The side of the test that handles cards: the sim itself (an emulator for real readers)."""
    if not isinstance(reader, SimCardReader):
        pytest.skip("needs a world side for this backend")
    return reader


@pytest.fixture
def inserted(world):
    world.insert(SimCard.sample())
    return world


@pytest.mark.parametrize("card", [SimCard.sample, SimCard.sample_operator])
def test_sample_codici_fiscali_are_valid(card):
    identity = card().identity
    assert codicefiscale.is_valid(identity.codice_fiscale)
    decoded = codicefiscale.decode(identity.codice_fiscale)
    assert decoded["birthdate"].date() == identity.birth_date
    assert decoded["gender"] == identity.sex
    assert decoded["birthplace"]["code"] == identity.birth_place_code


def test_identity_repr_hides_personal_data():
    identity = SimCard.sample().identity
    for text in (repr(identity), str(identity), repr(SimCard.sample())):
        assert not any(field in text for field in PERSONAL), text
    assert repr(identity) == "CardIdentity(card_type='TS-CNS', card_id='****************0123')"


def test_insert_read_remove(reader, world):
    seen = []
    reader.when_card_inserted = lambda identity: seen.append(("in", identity))
    reader.when_card_removed = lambda identity: seen.append(("out", identity))
    with pytest.raises(NoCard):
        reader.read_identity()
    card = SimCard.sample()
    world.insert(card)
    assert reader.is_card_present
    assert reader.read_identity() == card.identity
    assert reader.read_identity().birth_date == dt.date(1985, 3, 12)
    world.remove()
    assert not reader.is_card_present
    assert seen == [("in", card.identity), ("out", None)]
    with pytest.raises(CardRemoved):
        reader.read_identity()
    with pytest.raises(CardError):
        reader.verify_pin("12345678")


def test_card_already_in_is_announced_at_start():
    sim = SimCardReader()
    sim.insert(SimCard.sample())
    seen = []
    sim.when_card_inserted = seen.append
    with sim:
        assert seen == [SimCard.sample().identity]


def test_wrong_pins_block_the_card(reader, inserted):
    assert reader.pin_tries_left() == 3
    assert reader.verify_pin("00000000") == PinResult(ok=False, tries_left=2, is_blocked=False)
    assert reader.verify_pin("11111111") == PinResult(ok=False, tries_left=1, is_blocked=False)
    assert reader.verify_pin("22222222") == PinResult(ok=False, tries_left=0, is_blocked=True)
    assert reader.verify_pin("12345678") == PinResult(ok=False, tries_left=0, is_blocked=True)
    with pytest.raises(PinRequired):
        reader.sign(b"challenge")


def test_right_pin_resets_tries(reader, inserted):
    reader.verify_pin("00000000")
    assert reader.verify_pin("12345678") == PinResult(ok=True, tries_left=3, is_blocked=False)


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a45678", " 1234567"])
def test_malformed_pin_spends_no_try(reader, inserted, pin):
    with pytest.raises(PinFormatInvalid):
        reader.verify_pin(pin)
    assert reader.pin_tries_left() == 3


def test_sign_needs_pin_and_verifies_with_certificate(reader, inserted):
    challenge = os.urandom(32)
    with pytest.raises(PinRequired):
        reader.sign(challenge)
    assert reader.verify_pin("12345678").ok
    signature = reader.sign(challenge)
    cert = x509.load_der_x509_certificate(reader.certificate())
    cert.public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    cert.verify_directly_issued_by(test_ca()[1])
    common_name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert common_name.startswith("BNCGLI85C52H501R/80380001234567890123.")


def test_removal_forgets_the_verified_pin(reader, world):
    card = SimCard.sample()
    world.insert(card)
    reader.verify_pin("12345678")
    world.remove()
    with pytest.raises(CardRemoved):
        reader.sign(b"x")
    world.insert(card)
    with pytest.raises(PinRequired):
        reader.sign(b"x")


def test_history_has_no_personal_data(reader, inserted):
    reader.read_identity()
    reader.verify_pin("00000000")
    reader.verify_pin("12345678")
    reader.sign(b"abc")
    inserted.remove()
    kinds = [event[0] for event in inserted.events]
    assert kinds == ["insert", "read", "verify_pin", "verify_pin", "sign", "remove"]
    assert not any(field in repr(inserted.events) for field in PERSONAL + ("12345678", "00000000"))


def test_not_started_and_missing_reader():
    with pytest.raises(CardError, match="not started"):
        SimCardReader().read_identity()
    with pytest.raises(CardError, match="not found"):
        SimCardReader(is_plugged_in=False).start()
