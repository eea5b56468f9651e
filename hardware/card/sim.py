"""``SimCardReader``: a reader whose cards the test puts in and takes out.

World side: ``insert(card)``, ``remove()``. History: ``events``, tuples without personal data:
``("insert", card_type)``, ``("remove",)``, ``("read",)``, ``("verify_pin", ok, tries_left)``,
``("sign", challenge_length)``, ``("certificate",)``.

Like gpiozero's mock pins, the callbacks run synchronously in the thread calling ``insert`` /
``remove``; a real backend calls them from its monitor thread.
"""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hardware.card.port import CardIdentity, CardReader, PinResult
from hardware.card.simcard import SimCard
from hardware.errors import CardError, CardRemoved, NoCard, PinRequired


class SimCardReader(CardReader):
    """A simulated PC/SC reader. ``is_plugged_in=False`` makes ``start()`` fail like a missing reader."""

    def __init__(self, *, reader_name: str = "Sim Reader 00 00", is_plugged_in: bool = True) -> None:
        super().__init__()
        self.reader_name = reader_name
        self.is_plugged_in = is_plugged_in
        self.events: list[tuple] = []
        self._lock = threading.Lock()
        self._card: SimCard | None = None
        self._was_removed = False
        self._pin_verified = False

    # -- world side ---------------------------------------------------------------------------

    def insert(self, card: SimCard) -> None:
        """Put ``card`` in the slot; ``when_card_inserted`` fires with its identity."""
        with self._lock:
            if self._card is not None:
                raise CardError("a card is already in the simulated reader: remove() it first")
            self._card = card
            self._was_removed = False
            self._pin_verified = False
            self.events.append(("insert", card.identity.card_type))
        if self._is_started:
            self._notify_inserted(card.identity)

    def remove(self) -> None:
        """Take the card out; later card operations raise ``CardRemoved`` until a new insert."""
        with self._lock:
            if self._card is None:
                return
            self._card = None
            self._was_removed = True
            self._pin_verified = False
            self.events.append(("remove",))
        if self._is_started:
            self._notify_removed()

    @property
    def card(self) -> SimCard | None:
        """The card in the slot (to inspect ``tries_left`` from a test)."""
        return self._card

    # -- port ---------------------------------------------------------------------------------

    @property
    def is_card_present(self) -> bool:
        return self._card is not None

    def start(self) -> None:
        """Open the reader; a card already in the slot is announced, as PC/SC monitors do."""
        was_started = self._is_started
        super().start()
        card = self._card
        if not was_started and card is not None:
            self._notify_inserted(card.identity)

    def _open(self) -> None:
        if not self.is_plugged_in:
            raise CardError(f"card reader {self.reader_name!r} not found")

    def _close(self) -> None:
        pass

    def _read_identity(self) -> CardIdentity:
        card = self._present()
        self.events.append(("read",))
        return card.identity

    def _pin_tries_left(self) -> int:
        return max(self._present().tries_left, 0)

    def _verify_pin(self, pin: str) -> PinResult:
        with self._lock:
            card = self._present()
            if pin == card.pin:
                card.tries_left = 3
                self._pin_verified = True
            else:
                card.tries_left = max(card.tries_left - 1, 0)
                self._pin_verified = False
            ok = self._pin_verified
        self.events.append(("verify_pin", ok, card.tries_left))
        return PinResult(ok=ok, tries_left=card.tries_left, is_blocked=card.is_blocked)

    def _sign(self, challenge: bytes) -> bytes:
        card = self._present()
        if not self._pin_verified:
            raise PinRequired("the card signs only after its PIN has been verified")
        self.events.append(("sign", len(challenge)))
        return card.private_key().sign(challenge, padding.PKCS1v15(), hashes.SHA256())

    def _certificate(self) -> bytes:
        card = self._present()
        self.events.append(("certificate",))
        return card.certificate()

    def _present(self) -> SimCard:
        card = self._card
        if card is not None:
            return card
        if self._was_removed:
            raise CardRemoved("the card was removed from the reader")
        raise NoCard("no card in the reader")
