"""The state of one citizen's visit, held in memory only and replaced whole when wiped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, DocumentType, IdentityDocument
from kiosk.domain.enrollment import Identification, MrzOverride
from kiosk.journey.screens import Screen


@dataclass(frozen=True, repr=False)
class Draft:
    """What the citizen gave and how they were identified: the shell adds ids and the activation code."""

    language: str
    citizen: Citizen
    document: IdentityDocument
    contact: Contact
    consents: Consents
    captures: tuple[Capture, ...]
    identification: Identification
    mrz_overrides: tuple[MrzOverride, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.identification, Identification):
            raise TypeError("a draft cannot exist without an identification")

    def __repr__(self) -> str:
        return "<Draft (personal data hidden)>"


@dataclass(repr=False)
class Session:
    screen: Screen = Screen.WELCOME
    history: list[Screen] = field(default_factory=list)
    language: str = "it"
    is_large_text: bool = False
    is_high_contrast: bool = False
    overlay: str = ""  # "" | "help" | "cancel" | "inactivity"
    error: str = ""  # message key of the last problem, shown on the current screen
    notice: str = ""  # message key of a neutral notice
    otp_wait_s: int = 0  # with error "otp_wait": seconds before a new code can be sent
    fields: dict[str, str] = field(default_factory=dict)  # what the citizen typed, by field name
    citizen: Citizen | None = None
    has_card_certificate: bool = False
    is_card_present: bool = False
    is_busy: bool = False  # waiting for a device or the store to answer
    doc_type: DocumentType | None = None
    document: IdentityDocument | None = None
    captures: dict[str, Capture] = field(default_factory=dict)
    mrz: dict | None = None  # the document's machine-readable zone, when read with valid check digits
    mismatches: tuple[str, ...] = ()  # fields where the zone disagrees with the card or the typed data
    mismatch_from: Screen | None = None  # where the mismatch was found (the capture or the details screen)
    marked_fields: tuple[str, ...] = ()  # typed fields to correct, marked on their screen
    mrz_overrides: list[MrzOverride] = field(default_factory=list)  # mismatches an operator resolved de visu
    operator_task: str = ""  # why the operator was called: "" (identify the citizen) | "mismatch"
    email: str = ""
    mobile: str = ""
    is_email_verified: bool = False
    is_mobile_verified: bool = False
    has_accepted_terms: bool = False
    has_accepted_marketing: bool = False
    consents_at: datetime | None = None
    pin_tries_left: int | None = None
    operator_id: str = ""
    identification: Identification | None = None
    enrollment_id: str = ""
    reference: str = ""
    activation_first_half: str = ""
    print_status: str = ""  # "" | "printing" | "printed" | "failed"
    print_error: str = ""
    last_input_at: datetime | None = None
    warning_started_at: datetime | None = None
    entered_at: datetime | None = None  # when the current screen was entered
    is_online: bool = False
    frozen_reason: str = ""
    ineligible_reason: str = ""
    info_page: str = ""  # the information page on show (INFO_PAGES)
    status: str = ""  # the answer of a status check (STATUS_OUTCOMES), "" before asking
    status_reasons: tuple[str, ...] = ()  # reason codes that came with "rejected"

    def __repr__(self) -> str:
        return f"<Session screen={self.screen} (personal data hidden)>"

    def has_personal_data(self) -> bool:
        return bool(
            self.citizen or self.document or self.captures or self.mrz or self.email or self.mobile
            or any(self.fields.values()) or self.identification or self.activation_first_half
        )


def correction_screen(s: Session) -> Screen | None:
    """Where the citizen can correct what they typed that differs from the zone; ``None`` for card data."""
    if any(name in s.mismatches for name in ("document_number", "expiry_date")):
        return Screen.DOCUMENT_DETAILS
    is_typed = s.citizen is not None and s.citizen.source == "manual"
    if is_typed and any(name in s.mismatches for name in ("surname", "given_name", "birth_date")):
        return Screen.MANUAL_ENTRY
    return None
