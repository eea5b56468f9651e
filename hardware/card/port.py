"""The ``CardReader`` port and its value types.

Nothing personal may reach a log: ``CardIdentity``'s ``repr`` shows only the card type and a
masked card id, and no backend ever logs a PIN.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from hardware.device import Device
from hardware.errors import CardError, PinFormatInvalid

CardType = Literal["TS-CNS", "CNS", "CIE"]
Sex = Literal["M", "F"]

_PIN = re.compile(r"[0-9]{4,8}")


@dataclass(frozen=True, kw_only=True, repr=False)
class CardIdentity:
    """What the chip says about its holder. Personal data: keep in memory only, never log."""

    card_type: CardType
    card_id: str
    codice_fiscale: str
    surname: str
    given_name: str
    birth_date: date
    sex: Sex
    birth_place_code: str
    issue_date: date
    expiry_date: date
    issuer: str

    @property
    def masked_card_id(self) -> str:
        """The card id with all but its last four characters hidden."""
        return "*" * max(len(self.card_id) - 4, 0) + self.card_id[-4:]

    def __repr__(self) -> str:
        return f"CardIdentity(card_type={self.card_type!r}, card_id={self.masked_card_id!r})"

    __str__ = __repr__


@dataclass(frozen=True, kw_only=True)
class PinResult:
    """The card's answer to a PIN: accepted or not, and how many tries remain."""

    ok: bool
    tries_left: int
    is_blocked: bool


CardCallback = Callable[[CardIdentity | None], None]


class CardReader(Device):
    """One smart-card reader slot, shaped to fit pyscard (PC/SC).

    A backend MUST implement:

    * ``_open()`` / ``_close()``: connect to the reader and watch it for card events (typically a
      monitor thread); raise ``CardError`` naming the reader when it is missing.
    * ``is_card_present`` (property).
    * ``_read_identity()``, ``_pin_tries_left()``, ``_verify_pin(pin)``, ``_sign(challenge)``,
      ``_certificate()``: talk to the card. Each raises ``NoCard`` when no card was ever
      inserted, ``CardRemoved`` when the card went away since it was inserted, ``PinRequired``
      when signing without a verified PIN, and ``CardError`` for anything else the card refuses.
    * call ``self._notify_inserted(identity_or_None)`` and ``self._notify_removed()`` when a card
      arrives or leaves (from its own thread; ``None`` when the card cannot be read).

    A backend MAY override ``_check_pin_format`` (for cards whose PINs are not 4-8 digits), and
    ``_ready_identity()`` when it reads and checks a card as it arrives (see ``ready_identity``).

    ``verify_pin`` never sends a malformed PIN to the card (``PinFormatInvalid``), so a typo does
    not cost one of the card's three tries. ``verify_pin`` on a blocked card returns
    ``PinResult(ok=False, tries_left=0, is_blocked=True)`` without sending anything.
    """

    error = CardError
    kind = "card reader"

    def __init__(self) -> None:
        super().__init__()
        self.when_card_inserted: CardCallback | None = None
        """Called with the ``CardIdentity`` (or ``None`` when unreadable) from a backend thread."""
        self.when_card_removed: CardCallback | None = None
        """Called with ``None`` when the card leaves the reader, from a backend thread."""

    @property
    def is_card_present(self) -> bool:
        raise NotImplementedError

    def read_identity(self) -> CardIdentity:
        """The holder's identity as stored on the chip."""
        self._check_started()
        return self._read_identity()

    def ready_identity(self) -> CardIdentity | None:
        """The identity of the card in the reader if the backend already read and checked it (on
        insertion): no APDU, never waits. ``None`` when it has none at hand; ``read_identity()`` then
        talks to the card (and raises what is wrong with it)."""
        return self._ready_identity() if self._is_started else None

    def pin_tries_left(self) -> int:
        """How many wrong PINs the card still accepts before blocking (spends no try)."""
        self._check_started()
        return self._pin_tries_left()

    def verify_pin(self, pin: str) -> PinResult:
        """Present ``pin`` to the card. A wrong PIN spends a try; at zero the card is blocked."""
        self._check_started()
        self._check_pin_format(pin)
        if self._pin_tries_left() == 0:
            return PinResult(ok=False, tries_left=0, is_blocked=True)
        return self._verify_pin(pin)

    def sign(self, challenge: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature over SHA-256(``challenge``) with the card's key.

        Only after ``verify_pin`` succeeded for the card now in the reader.
        """
        self._check_started()
        if not challenge:
            raise ValueError("challenge must not be empty")
        return self._sign(bytes(challenge))

    def certificate(self) -> bytes:
        """The card holder's authentication certificate, DER-encoded."""
        self._check_started()
        return self._certificate()

    # -- for backends -------------------------------------------------------------------------

    def _check_pin_format(self, pin: str) -> None:
        if not isinstance(pin, str) or not _PIN.fullmatch(pin):
            raise PinFormatInvalid("a PIN is 4 to 8 digits; nothing was sent to the card")

    def _notify_inserted(self, identity: CardIdentity | None) -> None:
        callback = self.when_card_inserted
        if callback is not None:
            callback(identity)

    def _notify_removed(self) -> None:
        callback = self.when_card_removed
        if callback is not None:
            callback(None)

    def _read_identity(self) -> CardIdentity:
        raise NotImplementedError

    def _ready_identity(self) -> CardIdentity | None:
        return None

    def _pin_tries_left(self) -> int:
        raise NotImplementedError

    def _verify_pin(self, pin: str) -> PinResult:
        raise NotImplementedError

    def _sign(self, challenge: bytes) -> bytes:
        raise NotImplementedError

    def _certificate(self) -> bytes:
        raise NotImplementedError
