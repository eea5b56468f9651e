"""Events into the journey: what the citizen did (intents from the UI) and what the devices reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Intent(StrEnum):
    START = "start"
    NEXT = "next"
    BACK = "back"
    CANCEL = "cancel"  # asks for confirmation
    CONFIRM_CANCEL = "confirm_cancel"
    DISMISS = "dismiss"  # closes an overlay (cancel question, help notice)
    HELP = "help"
    CONTINUE = "continue"  # "I'm still here" on the inactivity warning
    SET_LANGUAGE = "set_language"  # value: language code
    LANGUAGES = "languages"  # opens the language list (the header's compact picker)
    SET_FIELD = "set_field"  # field, value
    CHOOSE = "choose"  # value: the option picked on this screen
    TOGGLE = "toggle"  # field: a boolean preference or consent
    MANUAL_ENTRY = "manual_entry"  # type the data instead of reading the card
    CAPTURE = "capture"  # take the photo now
    RETAKE = "retake"
    FINISH = "finish"


@dataclass(frozen=True)
class UserIntent:
    intent: Intent
    value: Any = None
    field: str = ""


@dataclass(frozen=True)
class Tick:
    """Time passes (the shell sends one every second or so)."""


@dataclass(frozen=True, repr=False)
class CardRead:
    """The chip was read. Fields are the citizen's: never logged."""

    codice_fiscale: str
    surname: str
    given_name: str
    birth_date: date
    sex: str
    birth_place_code: str
    card_type: str
    expiry_date: date
    has_certificate: bool = True


@dataclass(frozen=True, repr=False)
class TravelDocumentRead:
    """A CIE's travel document read through PACE with the CAN (DG1). The citizen's: never logged."""

    surname: str
    given_name: str
    birth_date: date
    sex: str


@dataclass(frozen=True)
class CardReadFailed:
    reason: str  # a message key: "card_unknown", "card_removed", "card_unreadable", ...


@dataclass(frozen=True)
class CardInserted:
    pass


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class Captured:
    kind: str
    jpeg: bytes = field(repr=False)
    width: int = 0
    height: int = 0
    mrz: dict | None = field(default=None, repr=False)  # MrzReading.as_dict() when a valid zone was read


@dataclass(frozen=True)
class CaptureFailed:
    kind: str
    reason: str  # "camera_missing", "camera_dark", ...


@dataclass(frozen=True)
class OtpSent:
    channel: str  # "email" | "mobile"
    is_sent: bool
    retry_after_s: int = 0  # not sent because too many codes were asked for: the receiver's Retry-After


@dataclass(frozen=True)
class OtpChecked:
    channel: str
    is_valid: bool
    is_burnt: bool = False  # too many wrong codes: this code can no longer verify the contact


@dataclass(frozen=True)
class PinTries:
    tries_left: int


@dataclass(frozen=True)
class CitizenPinResult:
    """The card verified the PIN (or not); when it did, the shell also signed and checked a challenge."""

    is_verified: bool
    tries_left: int
    reason: str = ""  # message key when not verified
    certificate_der: bytes = field(default=b"", repr=False)
    challenge: bytes = field(default=b"", repr=False)
    signature: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class OperatorAuthenticated:
    operator_id: str


@dataclass(frozen=True)
class OperatorRejected:
    reason: str


@dataclass(frozen=True)
class Committed:
    enrollment_id: str
    reference: str
    activation_first_half: str = field(repr=False)


@dataclass(frozen=True)
class CommitFailed:
    reason: str


@dataclass(frozen=True)
class Printed:
    pass


@dataclass(frozen=True)
class PrintFailed:
    reason: str  # "printer_offline" | "paper_out" | ...


@dataclass(frozen=True)
class NetworkChanged:
    is_online: bool


@dataclass(frozen=True)
class Tampered:
    """The enclosure was opened: wipe the session, lock the kiosk until a technician clears it."""


@dataclass(frozen=True)
class TamperCleared:
    """A technician closed the enclosure and resumes the kiosk."""


@dataclass(frozen=True)
class Frozen:
    """The freeze rules say stop taking enrollments (reason: message key), or lift that (reason="")."""

    reason: str


@dataclass(frozen=True)
class StatusLookedUp:
    """The answer to a status check: ``status`` is one of STATUS_OUTCOMES, or "unreadable" when no
    receipt QR could be read; ``reasons`` are the rejection's reason codes."""

    status: str
    reasons: tuple[str, ...] = ()


Event = (
    UserIntent | Tick | CardInserted | CardRead | TravelDocumentRead | CardReadFailed | CardRemoved | Captured | CaptureFailed | OtpSent
    | OtpChecked | PinTries | CitizenPinResult | OperatorAuthenticated | OperatorRejected | Committed
    | CommitFailed | Printed | PrintFailed | NetworkChanged | Frozen | Tampered | TamperCleared | StatusLookedUp
)
