"""The enrollment journey as a pure state machine: ``handle(event, now)`` → effects.

No pygame, no devices, no store, no network: events in, new ``Session`` state and effects out. The
shell executes the effects and feeds their outcomes back as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.capture import crosscheck
from kiosk.domain import checks
from kiosk.domain.citizen import Capture, Citizen, Consents, Contact, DocumentType, IdentityDocument, Sex
from kiosk.domain.enrollment import Identification, IdentificationRoute, MrzOverride
from kiosk.domain.ids import normalise_reference
from kiosk.errors import ValidationError
from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.events import Intent
from kiosk.domain.ids import normalise_reference
from kiosk.journey.screens import (
    CAPTURE_SCREENS, INFO_PAGES, NO_INACTIVITY, STATUS_OUTCOMES, Screen, can_cancel, can_go_back,
)
from kiosk.journey.session import Draft, Session, correction_screen

# A PIN is never sent to the card when it would be the last try: three wrong PINs block a CNS.
MIN_TRIES_TO_SEND = 2
MAX_OTP_WAIT_S = 120  # a citizen waits this long at most for a new one-time code; past it, verified later


@dataclass(frozen=True)
class JourneyRules:
    languages: tuple[str, ...] = ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh")
    default_language: str = "it"
    inactivity_warning_s: float = 90.0
    inactivity_grace_s: float = 30.0  # at least 20 s to tap "continue"
    thank_you_s: float = 30.0
    is_otp_enabled: bool = True
    is_cns_route_enabled: bool = True
    is_operator_route_enabled: bool = True

    def __post_init__(self) -> None:
        if self.inactivity_grace_s < 20:
            raise ValueError("inactivity_grace_s must give the citizen at least 20 seconds")


class Journey:
    """One kiosk's journey. ``session`` is the whole state; ``handle`` is the only way to change it."""

    def __init__(self, rules: JourneyRules | None = None) -> None:
        self.rules = rules or JourneyRules()
        self.session = self._fresh_session(is_online=False, frozen_reason="")

    # -- public -----------------------------------------------------------------------------------
    def handle(self, event: ev.Event, now: datetime) -> list[fx.Effect]:
        s = self.session
        if isinstance(event, ev.UserIntent):
            s.last_input_at = now
            if s.overlay == "inactivity" and event.intent is not Intent.CONTINUE:
                s.overlay, s.warning_started_at = "", None
            return self._on_intent(event, now)
        if isinstance(event, ev.Tick):
            return self._on_tick(now)
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            raise TypeError(f"unknown event {type(event).__name__}")
        return handler(event, now)

    # -- navigation -------------------------------------------------------------------------------
    def _go(self, screen: Screen, now: datetime, *, remember: bool = True) -> None:
        s = self.session
        if remember and s.screen is not screen:
            s.history.append(s.screen)
        s.screen, s.error, s.notice, s.entered_at = screen, "", "", now

    def _fresh_session(self, *, is_online: bool, frozen_reason: str) -> Session:
        screen = Screen.OUT_OF_SERVICE if frozen_reason else Screen.WELCOME
        return Session(
            screen=screen, language=self.rules.default_language, is_online=is_online, frozen_reason=frozen_reason
        )

    def _wipe(self, reason: str) -> list[fx.Effect]:
        old = self.session
        self.session = self._fresh_session(is_online=old.is_online, frozen_reason=old.frozen_reason)
        out: list[fx.Effect] = [fx.WipeSession(reason)]
        if old.overlay == "help" or old.screen is Screen.OPERATOR:
            out.append(fx.CallStaff(False))
        return out

    def _ineligible(self, reason: str, now: datetime) -> None:
        self._go(Screen.NOT_ELIGIBLE, now)
        self.session.ineligible_reason = reason

    # -- intents ----------------------------------------------------------------------------------
    def _on_intent(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s, intent = self.session, event.intent
        if intent is Intent.SET_LANGUAGE:
            if event.value in self.rules.languages:
                s.language = event.value
            if s.overlay == "languages":
                s.overlay = ""
            return []
        if intent is Intent.LANGUAGES:
            if not s.overlay:
                s.overlay = "languages"
            return []
        if intent is Intent.TOGGLE and event.field in ("large_text", "high_contrast"):
            attr = "is_" + event.field
            setattr(s, attr, not getattr(s, attr))
            return []
        if intent is Intent.SET_FIELD:
            s.fields[event.field] = str(event.value)
            return []
        if intent is Intent.CONTINUE:
            s.overlay, s.warning_started_at = "", None
            return []
        if intent is Intent.HELP:
            s.overlay = "help"
            return [fx.CallStaff(True)]
        if intent is Intent.DISMISS:
            was_help = s.overlay == "help"
            s.overlay = ""
            return [fx.CallStaff(False)] if was_help else []
        if intent is Intent.CANCEL:
            if self._may_cancel():
                s.overlay = "cancel"
            return []
        if intent is Intent.CONFIRM_CANCEL:
            return self._wipe("cancelled") if self._may_cancel() else []
        if intent is Intent.BACK:
            return self._back(now)
        if s.is_busy and intent is not Intent.FINISH:
            return []  # a device or the store is still answering: ignore double taps
        handler = getattr(self, "_screen_" + s.screen.value, None)
        return handler(event, now) if handler else []

    def _may_cancel(self) -> bool:
        s = self.session
        return can_cancel(s.screen) or (s.screen is Screen.SEALING and bool(s.error))

    def _back(self, now: datetime) -> list[fx.Effect]:
        s = self.session
        if not can_go_back(s.screen) or not s.history or s.is_busy:
            return []
        out: list[fx.Effect] = []
        if s.screen is Screen.OPERATOR:
            out.append(fx.CallStaff(False))
            s.operator_id, s.operator_task = "", ""
        s.screen, s.error, s.notice, s.entered_at = s.history.pop(), "", "", now
        s.ineligible_reason = ""
        return out

    # -- one handler per screen -------------------------------------------------------------------
    def _screen_welcome(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent in (Intent.START, Intent.NEXT):
            self._go(Screen.CHECKLIST, now)
        elif event.intent is Intent.CHOOSE and event.value == "status":
            self._go(Screen.STATUS_CHECK, now)
            self.session.status, self.session.status_reasons = "", ()
        elif event.intent is Intent.CHOOSE and event.value == "info":
            self._go(Screen.INFO, now)
            self.session.info_page = INFO_PAGES[0]
        return []

    def _screen_info(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.CHOOSE and event.value in INFO_PAGES:
            self.session.info_page = event.value
        return []

    def _screen_status_check(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is Intent.NEXT:
            reference = normalise_reference(s.fields.get("status_reference", ""))
            if not reference:
                s.error, s.status = "reference_invalid", ""
                return []
            s.error, s.status, s.is_busy = "", "", True
            return [fx.LookupStatus(reference)]
        if event.intent is Intent.CHOOSE and event.value == "again":
            s.status, s.status_reasons, s.error = "", (), ""
            s.fields.pop("status_reference", None)
            return []
        if event.intent is Intent.CHOOSE and event.value == "scan":
            s.error, s.status, s.is_busy = "", "", True
            return [fx.ScanStatusQr()]
        return []

    def _on_StatusLookedUp(self, event: ev.StatusLookedUp, now: datetime) -> list[fx.Effect]:
        s = self.session
        if s.screen is not Screen.STATUS_CHECK:
            return []  # the citizen left (or the session was wiped) before the answer came
        s.is_busy = False
        if event.status == "unreadable":
            s.error, s.status = "qr_unreadable", ""
        else:
            s.status = event.status if event.status in STATUS_OUTCOMES else "unknown"
            s.status_reasons = tuple(event.reasons)
        return []

    def _screen_checklist(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.NEXT:
            return self._enter_insert_card(now)
        return []

    def _enter_insert_card(self, now: datetime) -> list[fx.Effect]:
        self._go(Screen.INSERT_CARD, now)
        if self.session.is_card_present:
            self.session.is_busy = True
            return [fx.ReadCard()]
        return []

    def _screen_insert_card(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.MANUAL_ENTRY:
            self._go(Screen.MANUAL_ENTRY, now)
        elif event.intent is Intent.RETAKE and self.session.is_card_present:
            self.session.is_busy, self.session.error = True, ""
            return [fx.ReadCard()]
        return []

    def _screen_card_data(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.NEXT:
            self._go(Screen.DOCUMENT_TYPE, now)
        elif event.intent is Intent.MANUAL_ENTRY:
            self._go(Screen.MANUAL_ENTRY, now)
        return []

    def _screen_manual_entry(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is not Intent.NEXT:
            return []
        s = self.session
        try:
            citizen = checks.citizen_from_manual_entry(
                codice_fiscale=s.fields.get("codice_fiscale", ""), surname=s.fields.get("surname", ""),
                given_name=s.fields.get("given_name", ""), today=now.date(),
            )
        except ValidationError as exc:
            s.error = exc.code
            return []
        s.citizen, s.has_card_certificate = citizen, False
        if not citizen.is_adult_on(now.date()):
            self._ineligible("underage", now)
        elif s.marked_fields and s.mrz and s.mismatch_from:  # a correction asked for by a mismatch
            s.mismatches = self._unresolved(crosscheck.mismatches(
                s.mrz, surname=citizen.surname, given_name=citizen.given_name, birth_date=citizen.birth_date))
            if s.mismatches:
                self._go(Screen.DOCUMENT_MISMATCH, now)
            else:
                s.marked_fields = ()
                self._go(s.mismatch_from, now)
                s.notice = "capture.mrz_read"
        else:
            self._go(Screen.DOCUMENT_TYPE, now)
        return []

    def _screen_document_type(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.CHOOSE:
            try:
                self.session.doc_type = DocumentType(event.value)
            except ValueError:
                return []
            self._go(Screen.DOCUMENT_FRONT, now)
        return []

    def _capture_screen(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        kind = CAPTURE_SCREENS[s.screen]
        if event.intent in (Intent.CAPTURE, Intent.RETAKE):
            s.captures.pop(kind, None)
            if kind == self._mrz_kind():
                s.mrz, s.mismatches = None, ()
            s.is_busy, s.error = True, ""
            return [fx.Capture(kind, doc_type=s.doc_type.value if s.doc_type else "")]
        if event.intent is Intent.NEXT:
            if kind not in s.captures:
                s.error = "photo_missing"
                return []
            if kind == self._mrz_kind() and s.mismatches:
                self._to_mismatch(now)  # never silently accepted: retake, correct, or ask the operator
                return []
            self._go(self._after_capture(s.screen), now)
        return []

    def _mrz_kind(self) -> str:
        """Which picture shows the machine-readable zone: a passport's data page, an ID card's back."""
        return "document_front" if self.session.doc_type is DocumentType.PASSPORT else "document_back"

    def _after_capture(self, screen: Screen) -> Screen:
        if screen is Screen.DOCUMENT_FRONT:
            is_passport = self.session.doc_type is DocumentType.PASSPORT
            return Screen.DOCUMENT_DETAILS if is_passport else Screen.DOCUMENT_BACK
        return {
            Screen.DOCUMENT_BACK: Screen.DOCUMENT_DETAILS,
            Screen.HEALTH_CARD_FRONT: Screen.HEALTH_CARD_BACK,
            Screen.HEALTH_CARD_BACK: Screen.FACE,
            Screen.FACE: Screen.EMAIL,
        }[screen]

    _screen_document_front = _screen_document_back = _capture_screen
    _screen_health_card_front = _screen_health_card_back = _screen_face = _capture_screen

    def _screen_document_details(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is not Intent.NEXT:
            return []
        s = self.session
        f = s.fields
        try:
            document = IdentityDocument(
                doc_type=s.doc_type or DocumentType.IDCARD,
                number="".join(f.get("document_number", "").split()).upper(),
                issuer_name=checks.check_name(f.get("document_issuer", ""), code="document_issuer_invalid"),
                issue_date=checks.parse_date(f.get("document_issue_date", "")),
                expiry_date=checks.parse_date(f.get("document_expiry_date", "")),
            )
            checks.check_document(document, today=now.date())
        except ValidationError as exc:
            if exc.code == "document_expired":
                self._ineligible("document_expired", now)
            else:
                s.error = exc.code
            return []
        if s.mrz:
            s.mismatches = self._unresolved(crosscheck.mismatches(s.mrz, document_number=document.number,
                                                                  expiry_date=document.expiry_date))
            if s.mismatches:
                self._to_mismatch(now)
                return []
        s.document, s.marked_fields = document, ()
        self._go(Screen.HEALTH_CARD_FRONT, now)
        return []

    # -- a document that disagrees with the card or the typed data ---------------------------------
    def _unresolved(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """Mismatches no operator has confirmed yet."""
        done = {name for override in self.session.mrz_overrides for name in override.fields}
        return tuple(name for name in fields if name not in done)

    def _to_mismatch(self, now: datetime) -> None:
        s = self.session
        s.mismatch_from = s.screen
        self._go(Screen.DOCUMENT_MISMATCH, now)

    def _return_to(self, screen: Screen, now: datetime) -> None:
        """Back to ``screen`` as if by "back" (it must be in the history)."""
        s = self.session
        while s.history and s.history[-1] is not screen:
            s.history.pop()
        if s.history:
            s.history.pop()
        s.screen, s.error, s.notice, s.entered_at = screen, "", "", now

    def _screen_document_mismatch(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is not Intent.CHOOSE:
            return []
        if event.value == "retake":
            mrz_screen = next(screen for screen, kind in CAPTURE_SCREENS.items() if kind == self._mrz_kind())
            self._return_to(mrz_screen, now)
            s.captures.pop(self._mrz_kind(), None)
            s.mrz, s.mismatches, s.mismatch_from = None, (), None
        elif event.value == "correct" and correction_screen(s):
            target = correction_screen(s)
            field_of = {"document_number": "document_number", "expiry_date": "document_expiry_date",
                        "surname": "surname", "given_name": "given_name", "birth_date": "codice_fiscale"}
            s.marked_fields = tuple(field_of[name] for name in s.mismatches)
            if target in s.history:
                self._return_to(target, now)
            else:
                self._go(target, now)
            s.error = "mismatch_correct"
        elif event.value == "operator" and self.rules.is_operator_route_enabled:
            s.operator_task = "mismatch"
            self._go(Screen.OPERATOR, now)
            return [fx.CallStaff(True)]
        return []

    def _contact_screen(self, event: ev.UserIntent, now: datetime, *, channel: str) -> list[fx.Effect]:
        if event.intent is not Intent.NEXT:
            return []
        s = self.session
        try:
            value = checks.check_email(s.fields.get("email", "")) if channel == "email" else checks.check_mobile(
                s.fields.get("mobile", "")
            )
        except ValidationError as exc:
            s.error = exc.code
            return []
        setattr(s, channel, value)
        setattr(s, f"is_{channel}_verified", False)
        if self.rules.is_otp_enabled and s.is_online:
            s.is_busy = True
            return [fx.SendOtp(channel, value)]
        self._go(self._after_contact(channel), now)
        self.session.notice = "verify_later"
        return []

    @staticmethod
    def _after_contact(channel: str) -> Screen:
        return Screen.MOBILE if channel == "email" else Screen.CONSENTS

    def _screen_email(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._contact_screen(event, now, channel="email")

    def _screen_mobile(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._contact_screen(event, now, channel="mobile")

    def _code_screen(self, event: ev.UserIntent, now: datetime, *, channel: str) -> list[fx.Effect]:
        s = self.session
        if event.intent is Intent.CHOOSE and event.value == "later":
            self._go(self._after_contact(channel), now)
            s.notice = "verify_later"
        elif event.intent is Intent.NEXT:
            code = "".join(s.fields.get(f"{channel}_code", "").split())
            if not code.isdigit() or not 4 <= len(code) <= 8:
                s.error = "code_invalid"
                return []
            s.is_busy = True
            return [fx.CheckOtp(channel, code)]
        return []

    def _screen_email_code(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._code_screen(event, now, channel="email")

    def _screen_mobile_code(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._code_screen(event, now, channel="mobile")

    def _screen_consents(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is Intent.TOGGLE and event.field == "terms":
            s.has_accepted_terms = not s.has_accepted_terms
        elif event.intent is Intent.TOGGLE and event.field == "marketing":
            s.has_accepted_marketing = not s.has_accepted_marketing
        elif event.intent is Intent.NEXT:
            if not s.has_accepted_terms:
                s.error = "terms_required"
                return []
            s.consents_at = now
            self._go(Screen.REVIEW, now)
        return []

    def _screen_review(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.NEXT:
            self._go(Screen.IDENTIFICATION, now)
        return []

    def is_pin_route_offered(self) -> bool:
        s = self.session
        return (
            self.rules.is_cns_route_enabled and s.citizen is not None and s.citizen.source == "card"
            and s.has_card_certificate
        )

    def _screen_identification(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is not Intent.CHOOSE:
            return []
        if event.value == "operator" and self.rules.is_operator_route_enabled:
            self._go(Screen.OPERATOR, now)
            return [fx.CallStaff(True)]
        if event.value == "pin" and self.is_pin_route_offered():
            self._go(Screen.PIN, now)
            if not self.session.is_card_present:
                self.session.error = "card_needed"
                return []
            self.session.is_busy = True
            return [fx.QueryPinTries()]
        return []

    def _screen_pin(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is not Intent.NEXT:
            return []
        pin = s.fields.pop("pin", "")
        if not s.is_card_present:
            s.error = "card_needed"
        elif s.pin_tries_left is None or s.pin_tries_left < MIN_TRIES_TO_SEND:
            s.error = "pin_last_try"
        elif not (pin.isdigit() and 5 <= len(pin) <= 8):
            s.error = "pin_format"
        else:
            s.is_busy = True
            return [fx.VerifyCitizenPin(pin)]
        return []

    def _screen_operator(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is Intent.NEXT and not s.operator_id:
            pin = s.fields.pop("operator_pin", "")
            if not (pin.isdigit() and 5 <= len(pin) <= 8):
                s.error = "pin_format"
                return []
            s.is_busy = True
            return [fx.AuthenticateOperator(pin)]
        if event.intent is Intent.CHOOSE and s.operator_id and s.operator_task == "mismatch":
            return self._operator_on_mismatch(event.value, now)
        if event.intent is Intent.CHOOSE and s.operator_id:
            if event.value == "confirm":
                s.identification = Identification(
                    route=IdentificationRoute.OPERATOR, verified_at=now, operator_id=s.operator_id
                )
                return [fx.CallStaff(False), *self._seal(now)]
            if event.value == "refuse":
                self._ineligible("operator_refused", now)
                return [fx.CallStaff(False)]
        return []

    def _operator_on_mismatch(self, choice: str, now: datetime) -> list[fx.Effect]:
        """The operator looked at the document: the data are right (recorded, sealed), or they are not."""
        s = self.session
        if choice not in ("confirm", "refuse"):
            return []
        if choice == "confirm":
            s.mrz_overrides.append(MrzOverride(fields=s.mismatches, operator_id=s.operator_id, confirmed_at=now))
            origin = s.mismatch_from or Screen.DOCUMENT_DETAILS
            s.mismatches, s.marked_fields, s.mismatch_from = (), (), None
            s.operator_id, s.operator_task = "", ""
            self._return_to(origin, now)
            s.notice = "mismatch_confirmed"
        else:
            s.operator_id, s.operator_task = "", ""
            self._return_to(Screen.DOCUMENT_MISMATCH, now)
            s.error = "mismatch_refused"
        return [fx.CallStaff(False)]

    def _seal(self, now: datetime) -> list[fx.Effect]:
        """The only way to ``SealAndCommit``: requires one of the two identifications (invariant 3)."""
        s = self.session
        if not isinstance(s.identification, Identification) or s.citizen is None or s.document is None:
            s.error = "not_identified"
            return []
        draft = Draft(
            language=s.language, citizen=s.citizen, document=s.document,
            contact=Contact(email=s.email, mobile=s.mobile, is_email_verified=s.is_email_verified,
                            is_mobile_verified=s.is_mobile_verified),
            consents=Consents(has_accepted_terms=s.has_accepted_terms,
                              has_accepted_marketing=s.has_accepted_marketing, accepted_at=s.consents_at),
            captures=tuple(s.captures.values()), identification=s.identification,
            mrz_overrides=tuple(s.mrz_overrides),
        )
        if s.screen is not Screen.SEALING:
            self._go(Screen.SEALING, now)
        s.is_busy, s.error = True, ""
        return [fx.SealAndCommit(draft)]

    def _screen_sealing(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent is Intent.NEXT and self.session.error:
            return self._seal(now)  # retry after a failed commit: nothing was lost
        return []

    def _screen_receipt(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        if event.intent in (Intent.NEXT, Intent.FINISH) and self.session.print_status != "printing":
            self._go(Screen.THANK_YOU, now)
        return []

    def _screen_thank_you(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._wipe("finished") if event.intent in (Intent.FINISH, Intent.NEXT) else []

    def _screen_not_eligible(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        return self._wipe("not_eligible") if event.intent is Intent.FINISH else []

    # -- time -------------------------------------------------------------------------------------
    def seconds_to_next_tick(self, now: datetime) -> float | None:
        """How soon a tick can change something (a timeout, the countdown's next second); None: no timer runs.
        The UI loop sleeps this long when nothing else happens."""
        s, r = self.session, self.rules
        if s.screen is Screen.THANK_YOU and s.entered_at:
            return max(0.0, r.thank_you_s - (now - s.entered_at).total_seconds())
        if s.screen in NO_INACTIVITY or s.is_busy or s.last_input_at is None:
            return None
        if s.overlay == "inactivity" and s.warning_started_at is not None:
            left = r.inactivity_grace_s - (now - s.warning_started_at).total_seconds()
            return max(0.0, min(left, left % 1.0 or 1.0))  # the countdown shows whole seconds
        return max(0.0, r.inactivity_warning_s - (now - s.last_input_at).total_seconds())

    def _on_tick(self, now: datetime) -> list[fx.Effect]:
        s, r = self.session, self.rules
        if s.screen is Screen.THANK_YOU and s.entered_at and (now - s.entered_at).total_seconds() >= r.thank_you_s:
            return self._wipe("finished")
        if s.screen in NO_INACTIVITY or s.is_busy or s.last_input_at is None:
            return []
        if s.overlay == "inactivity":
            if (now - s.warning_started_at).total_seconds() >= r.inactivity_grace_s:
                return self._wipe("inactivity")
        elif (now - s.last_input_at).total_seconds() >= r.inactivity_warning_s:
            s.overlay, s.warning_started_at = "inactivity", now
        return []

    # -- device and store outcomes ----------------------------------------------------------------
    def _on_CardInserted(self, event: ev.CardInserted, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_card_present = True
        s.last_input_at = now
        if s.screen is Screen.INSERT_CARD and not s.is_busy:
            s.is_busy, s.error = True, ""
            return [fx.ReadCard()]
        if s.screen is Screen.PIN and s.error == "card_needed":
            s.error, s.is_busy = "", True
            return [fx.QueryPinTries()]
        return []

    def _on_CardRemoved(self, event: ev.CardRemoved, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_card_present = False
        if s.screen is Screen.PIN:
            s.error = "card_needed"
        return []

    def _on_CardRead(self, event: ev.CardRead, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if s.screen is not Screen.INSERT_CARD:
            return []
        try:
            code = checks.check_codice_fiscale(
                event.codice_fiscale, surname=event.surname, given_name=event.given_name,
                birth_date=event.birth_date, sex=Sex(event.sex),
            )
        except (ValidationError, ValueError):
            s.error = "card_data_inconsistent"
            return []
        s.citizen = Citizen(
            codice_fiscale=code, surname=event.surname, given_name=event.given_name, birth_date=event.birth_date,
            sex=Sex(event.sex), birth_place_code=event.birth_place_code, source="card", card_type=event.card_type,
            card_expiry=event.expiry_date,
        )
        s.has_card_certificate = event.has_certificate
        if not s.citizen.is_adult_on(now.date()):
            self._ineligible("underage", now)
        elif event.expiry_date < now.date():
            self._ineligible("card_expired", now)
        else:
            self._go(Screen.CARD_DATA, now)
        return []

    def _on_CardReadFailed(self, event: ev.CardReadFailed, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if s.screen is Screen.INSERT_CARD and event.reason == "card_is_cie":
            s.error = ""
            self._go(Screen.CIE_CAN, now)
        elif s.screen in (Screen.INSERT_CARD, Screen.CIE_CAN):
            s.error = event.reason
        return []

    def _screen_cie_can(self, event: ev.UserIntent, now: datetime) -> list[fx.Effect]:
        s = self.session
        if event.intent is Intent.MANUAL_ENTRY:
            s.fields.pop("can", None)
            self._go(Screen.MANUAL_ENTRY, now)
            return []
        if event.intent is not Intent.NEXT or s.is_busy:
            return []
        can = s.fields.pop("can", "").strip()
        if len(can) != 6 or not can.isdigit():
            s.error = "can_format"
            return []
        s.is_busy, s.error = True, ""
        return [fx.ReadTravelDocument(can)]  # one try per tap: a wrong CAN is never retried by itself

    def _on_TravelDocumentRead(self, event: ev.TravelDocumentRead, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if s.screen is not Screen.CIE_CAN:
            return []
        s.fields["surname"], s.fields["given_name"] = event.surname, event.given_name
        today, born = now.date(), event.birth_date
        if today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < 18:
            self._ineligible("underage", now)
        else:
            self._go(Screen.MANUAL_ENTRY, now)  # the chip has no codice fiscale: the citizen types it
        return []

    def _on_Captured(self, event: ev.Captured, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if CAPTURE_SCREENS.get(s.screen) == event.kind:
            s.captures[event.kind] = Capture(kind=event.kind, jpeg=event.jpeg, width=event.width, height=event.height)
            if event.mrz and event.kind == self._mrz_kind():
                self._take_mrz(event.mrz)
        return []

    def _take_mrz(self, mrz: dict) -> None:
        """Keep the zone, fill in what the citizen would otherwise type, and compare it with the card."""
        s = self.session
        s.mrz = mrz
        if mrz.get("document_number") and not s.fields.get("document_number"):
            s.fields["document_number"] = mrz["document_number"]
        expiry = mrz.get("expiry_date")
        if expiry and not s.fields.get("document_expiry_date"):
            year, month, day = expiry.split("-")
            s.fields["document_expiry_date"] = f"{day}/{month}/{year}"
        c = s.citizen
        s.mismatches = self._unresolved(crosscheck.mismatches(
            mrz, surname=c.surname if c else "", given_name=c.given_name if c else "",
            birth_date=c.birth_date if c else None,
        ))
        s.error = "document_mismatch" if s.mismatches else ""
        s.notice = "" if s.mismatches else "capture.mrz_read"

    def _on_CaptureFailed(self, event: ev.CaptureFailed, now: datetime) -> list[fx.Effect]:
        self.session.is_busy = False
        self.session.error = event.reason
        return []

    def _on_OtpSent(self, event: ev.OtpSent, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        screen_for = {"email": (Screen.EMAIL, Screen.EMAIL_CODE), "mobile": (Screen.MOBILE, Screen.MOBILE_CODE)}
        origin, code_screen = screen_for[event.channel]
        if s.screen is not origin:
            return []
        if event.is_sent:
            self._go(code_screen, now)
        elif 0 < event.retry_after_s <= MAX_OTP_WAIT_S:  # a code was sent moments ago: wait a little
            s.error, s.otp_wait_s = "otp_wait", event.retry_after_s
        elif event.retry_after_s:  # too many codes for this address: no citizen waits that long here
            self._go(self._after_contact(event.channel), now)
            s.notice = "otp_too_many"
        else:  # offline after all: the receiver verifies later by email link
            self._go(self._after_contact(event.channel), now)
            s.notice = "verify_later"
        return []

    def _on_OtpChecked(self, event: ev.OtpChecked, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if event.is_valid:
            setattr(s, f"is_{event.channel}_verified", True)
            self._go(self._after_contact(event.channel), now)
        elif event.is_burnt:  # too many wrong codes: go on, "to verify" later by email link (as offline)
            self._go(self._after_contact(event.channel), now)
            s.notice = "otp_too_many"
        else:
            s.error = "code_wrong"
        return []

    def _on_PinTries(self, event: ev.PinTries, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        s.pin_tries_left = event.tries_left
        if event.tries_left < MIN_TRIES_TO_SEND:
            s.error = "pin_blocked" if event.tries_left == 0 else "pin_last_try"
        return []

    def _on_CitizenPinResult(self, event: ev.CitizenPinResult, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        s.pin_tries_left = event.tries_left
        if not event.is_verified:
            if event.tries_left < MIN_TRIES_TO_SEND:
                s.error = "pin_blocked" if event.tries_left == 0 else "pin_last_try"
            else:
                s.error = event.reason or "pin_wrong"
            return []
        s.identification = Identification(
            route=IdentificationRoute.CNS, verified_at=now, card_certificate_der=event.certificate_der,
            challenge=event.challenge, signature=event.signature,
        )
        return self._seal(now)

    def _on_OperatorAuthenticated(self, event: ev.OperatorAuthenticated, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        if s.screen is Screen.OPERATOR:
            s.operator_id, s.error = event.operator_id, ""
        return []

    def _on_OperatorRejected(self, event: ev.OperatorRejected, now: datetime) -> list[fx.Effect]:
        self.session.is_busy = False
        self.session.error = event.reason
        return []

    def _on_Committed(self, event: ev.Committed, now: datetime) -> list[fx.Effect]:
        s = self.session
        s.is_busy = False
        s.enrollment_id, s.reference, s.activation_first_half = (
            event.enrollment_id, event.reference, event.activation_first_half
        )
        # Sealed and durable: the images and data leave the session now (invariant 1).
        s.captures.clear()
        s.fields.clear()
        s.mrz, s.mismatches, s.marked_fields, s.mismatch_from = None, (), (), None
        s.mrz_overrides.clear()
        self._go(Screen.RECEIPT, now, remember=False)
        s.history.clear()
        s.print_status = "printing"
        return [fx.PrintReceipt(event.enrollment_id, event.reference, event.activation_first_half, s.language)]

    def _on_CommitFailed(self, event: ev.CommitFailed, now: datetime) -> list[fx.Effect]:
        self.session.is_busy = False
        self.session.error = event.reason
        return []

    def _on_Printed(self, event: ev.Printed, now: datetime) -> list[fx.Effect]:
        self.session.print_status = "printed"
        return []

    def _on_PrintFailed(self, event: ev.PrintFailed, now: datetime) -> list[fx.Effect]:
        self.session.print_status, self.session.print_error = "failed", event.reason
        return []

    def _on_NetworkChanged(self, event: ev.NetworkChanged, now: datetime) -> list[fx.Effect]:
        self.session.is_online = event.is_online
        return []

    def _on_Tampered(self, event: ev.Tampered, now: datetime) -> list[fx.Effect]:
        out = self._wipe("tamper")
        self.session.frozen_reason = "tamper"
        self.session.screen = Screen.OUT_OF_SERVICE
        return out

    def _on_TamperCleared(self, event: ev.TamperCleared, now: datetime) -> list[fx.Effect]:
        s = self.session
        if s.frozen_reason == "tamper":
            s.frozen_reason = ""
            s.screen = Screen.WELCOME
        return []

    def _on_Frozen(self, event: ev.Frozen, now: datetime) -> list[fx.Effect]:
        s = self.session
        if s.frozen_reason == "tamper":  # only a technician's TamperCleared resumes a tampered kiosk
            return []
        s.frozen_reason = event.reason
        if event.reason and s.screen is Screen.WELCOME:
            s.screen = Screen.OUT_OF_SERVICE
        elif not event.reason and s.screen is Screen.OUT_OF_SERVICE:
            s.screen = Screen.WELCOME
        return []
