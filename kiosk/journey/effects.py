"""Effects out of the journey: commands that the shell carries out with devices, store and sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.journey.session import Draft


@dataclass(frozen=True)
class ReadCard:
    pass


@dataclass(frozen=True, repr=False)
class ReadTravelDocument:
    """Run PACE with the CAN the citizen typed and read the CIE's DG1 (once: never retried)."""

    can: str


@dataclass(frozen=True)
class Capture:
    kind: str
    doc_type: str = ""  # the identity document's type ("idcard", "passport", ...) for its pictures


@dataclass(frozen=True)
class SendOtp:
    channel: str
    address: str = field(repr=False)


@dataclass(frozen=True)
class CheckOtp:
    channel: str
    code: str = field(repr=False)


@dataclass(frozen=True)
class QueryPinTries:
    pass


@dataclass(frozen=True)
class VerifyCitizenPin:
    pin: str = field(repr=False)


@dataclass(frozen=True)
class AuthenticateOperator:
    pin: str = field(repr=False)


@dataclass(frozen=True)
class SealAndCommit:
    """Seal the draft for the receiver and commit it to the outbox, then report ``Committed``."""

    draft: Draft = field(repr=False)


@dataclass(frozen=True)
class PrintReceipt:
    enrollment_id: str
    reference: str
    activation_first_half: str = field(repr=False)
    language: str = "it"


@dataclass(frozen=True)
class CallStaff:
    is_active: bool


@dataclass(frozen=True)
class LookupStatus:
    """Ask the receiving side where the enrollment with this receipt reference stands."""

    reference: str


@dataclass(frozen=True)
class ScanStatusQr:
    """Read the receipt's QR with the camera, then look its enrollment up."""


@dataclass(frozen=True)
class WipeSession:
    """Forget the citizen: UI widgets, captured images, everything in memory."""

    reason: str  # "cancelled" | "inactivity" | "finished"


Effect = (
    ReadCard | ReadTravelDocument | Capture | SendOtp | CheckOtp | QueryPinTries | VerifyCitizenPin | AuthenticateOperator
    | SealAndCommit | PrintReceipt | CallStaff | WipeSession | LookupStatus | ScanStatusQr
)
