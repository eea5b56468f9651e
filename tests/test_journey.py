"""The pure journey: every transition, back and cancel everywhere, gates, inactivity, identification."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from journey_helpers import FIELDS, HAPPY_PATH, SAMPLE_CARD, Driver
from kiosk.domain.enrollment import IdentificationRoute
from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.events import Intent
from kiosk.journey.machine import JourneyRules
from kiosk.journey.screens import NO_BACK, NO_CANCEL, Screen, can_cancel, can_go_back


def seals(effects) -> list[fx.SealAndCommit]:
    return [e for e in effects if isinstance(e, fx.SealAndCommit)]


def reach(screen: Screen) -> Driver:
    """A driver standing on ``screen`` (any screen of the journey)."""
    d = Driver()
    if screen in HAPPY_PATH:
        return d.walk_to(screen)
    if screen is Screen.MANUAL_ENTRY:
        d.walk_to(Screen.INSERT_CARD).do(Intent.MANUAL_ENTRY)
    elif screen is Screen.DOCUMENT_MISMATCH:  # the zone on the back says another birth date
        d.walk_to(Screen.DOCUMENT_BACK).do(Intent.CAPTURE)
        zone = {"is_valid": True, "surname": "BIANCHI", "given_names": "GIULIA", "birth_date": "1986-03-12"}
        d.send(ev.Captured("document_back", b"\xff\xd8jpeg", 640, 400, mrz=zone))
        d.do(Intent.NEXT)
    elif screen is Screen.EMAIL_CODE or screen is Screen.MOBILE_CODE:
        d = Driver(JourneyRules(is_otp_enabled=True))
        d.send(ev.NetworkChanged(True))
        channel = "email" if screen is Screen.EMAIL_CODE else "mobile"
        d.walk_to(Screen.EMAIL)
        if channel == "mobile":
            d.type("email", FIELDS["email"])
            d.do(Intent.NEXT)
            d.send(ev.OtpSent("email", False))  # could not send: verified later by link
        d.type(channel, FIELDS[channel])
        d.do(Intent.NEXT)
        d.send(ev.OtpSent(channel, True))
    elif screen in (Screen.STATUS_CHECK, Screen.INFO):
        d.do(Intent.CHOOSE, "status" if screen is Screen.STATUS_CHECK else "info")
    elif screen is Screen.OPERATOR:
        d.walk_to(Screen.IDENTIFICATION).do(Intent.CHOOSE, "operator")
    elif screen is Screen.PIN:
        d.walk_to(Screen.IDENTIFICATION).do(Intent.CHOOSE, "pin")
        d.send(ev.PinTries(3))
    elif screen in (Screen.SEALING, Screen.RECEIPT, Screen.THANK_YOU):
        d.identify_by_operator()
        if screen is not Screen.SEALING:
            d.send(ev.Committed("01J0000000000000000000000A", "0000-0000-000A", "Ab3$xy"))
        if screen is Screen.THANK_YOU:
            d.send(ev.Printed())
            d.do(Intent.NEXT)
    elif screen is Screen.NOT_ELIGIBLE:
        d.walk_to(Screen.INSERT_CARD)
        d.send(ev.CardInserted())
        d.send(dataclasses.replace(SAMPLE_CARD, expiry_date=date(2020, 1, 1)))
    elif screen is Screen.OUT_OF_SERVICE:
        d.send(ev.Frozen("frozen_backlog"))
    elif screen is Screen.CIE_CAN:
        d.walk_to(Screen.INSERT_CARD)
        d.send(ev.CardInserted())
        d.send(ev.CardReadFailed("card_is_cie"))
    assert d.s.screen is screen
    return d


ALL_SCREENS = list(Screen)


def test_happy_path_visits_every_step_in_order():
    d = Driver()
    seen = [d.s.screen]
    while d.s.screen is not Screen.IDENTIFICATION:
        d.step()
        seen.append(d.s.screen)
    assert seen == HAPPY_PATH


@pytest.mark.parametrize("screen", ALL_SCREENS)
def test_every_screen_is_reachable(screen):
    assert reach(screen).s.screen is screen


@pytest.mark.parametrize("screen", [s for s in ALL_SCREENS if can_go_back(s)])
def test_back_returns_to_the_previous_screen_and_keeps_data(screen):
    d = reach(screen)
    before = list(d.s.history)
    email_before = d.s.fields.get("email")
    d.do(Intent.BACK)
    assert d.s.screen is before[-1]
    assert d.s.fields.get("email") == email_before


@pytest.mark.parametrize("screen", sorted(NO_BACK))
def test_back_does_nothing_where_there_is_no_way_back(screen):
    d = reach(screen)
    d.do(Intent.BACK)
    assert d.s.screen is screen


@pytest.mark.parametrize("screen", [s for s in ALL_SCREENS if can_cancel(s)])
def test_cancel_asks_then_wipes_everything(screen):
    d = reach(screen)
    d.do(Intent.CANCEL)
    assert d.s.overlay == "cancel" and d.s.screen is screen
    d.do(Intent.DISMISS)
    assert d.s.overlay == "" and d.s.screen is screen
    d.do(Intent.CANCEL)
    out = d.do(Intent.CONFIRM_CANCEL)
    assert fx.WipeSession("cancelled") in out
    assert d.s.screen is Screen.WELCOME
    assert not d.s.has_personal_data()


@pytest.mark.parametrize("screen", sorted(NO_CANCEL - {Screen.WELCOME}))
def test_cancel_is_not_offered_once_committed_or_frozen(screen):
    d = reach(screen)
    d.do(Intent.CANCEL)
    d.do(Intent.CONFIRM_CANCEL)
    assert d.s.screen is screen


@pytest.mark.parametrize("screen", [s for s in HAPPY_PATH[1:]] + [Screen.OPERATOR, Screen.RECEIPT])
def test_inactivity_warns_then_wipes(screen):
    d = reach(screen)
    rules = d.journey.rules
    assert d.wait(rules.inactivity_warning_s - 1) == [] and d.s.overlay == ""
    d.wait(1)
    assert d.s.overlay == "inactivity"
    d.wait(rules.inactivity_grace_s - 1)
    assert d.s.screen is screen, "the citizen gets the whole grace period"
    out = d.wait(1)
    assert fx.WipeSession("inactivity") in out
    assert d.s.screen is Screen.WELCOME and not d.s.has_personal_data()


def test_one_tap_on_the_warning_keeps_the_session():
    d = reach(Screen.EMAIL)
    d.wait(d.journey.rules.inactivity_warning_s)
    assert d.s.overlay == "inactivity"
    d.do(Intent.CONTINUE)
    assert d.s.overlay == ""
    d.wait(d.journey.rules.inactivity_grace_s + 1)
    assert d.s.screen is Screen.EMAIL and d.s.citizen is not None


def test_grace_period_shorter_than_20_seconds_is_refused():
    with pytest.raises(ValueError):
        JourneyRules(inactivity_grace_s=10)


def test_thank_you_returns_to_welcome_by_itself():
    d = reach(Screen.THANK_YOU)
    out = d.wait(d.journey.rules.thank_you_s)
    assert fx.WipeSession("finished") in out and d.s.screen is Screen.WELCOME


def test_age_gate_from_the_card():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.send(ev.CardInserted())
    minor = dataclasses.replace(SAMPLE_CARD, codice_fiscale="BNCGLI10C52H501V", birth_date=date(2010, 3, 12))
    minor = dataclasses.replace(minor, codice_fiscale=_cf_for(minor))
    d.send(minor)
    assert d.s.screen is Screen.NOT_ELIGIBLE and d.s.ineligible_reason == "underage"


def test_age_gate_turns_18_on_the_birthday():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.send(ev.CardInserted())
    card = dataclasses.replace(SAMPLE_CARD, birth_date=date(2008, 11, 23))
    d.send(dataclasses.replace(card, codice_fiscale=_cf_for(card)))
    assert d.s.screen is Screen.CARD_DATA


def test_age_gate_on_manual_entry():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.do(Intent.MANUAL_ENTRY)
    card = dataclasses.replace(SAMPLE_CARD, birth_date=date(2012, 1, 5))
    d.type("codice_fiscale", _cf_for(card))
    d.type("surname", "Bianchi")
    d.type("given_name", "Giulia")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.NOT_ELIGIBLE and d.s.ineligible_reason == "underage"


def test_expired_health_card_is_refused():
    d = reach(Screen.NOT_ELIGIBLE)
    assert d.s.ineligible_reason == "card_expired"
    out = d.do(Intent.FINISH)
    assert fx.WipeSession("not_eligible") in out and d.s.screen is Screen.WELCOME


def test_expired_document_gate_and_choosing_another_document():
    d = Driver().walk_to(Screen.DOCUMENT_DETAILS)
    for name in ("document_number", "document_issuer", "document_issue_date"):
        d.type(name, FIELDS[name])
    d.type("document_expiry_date", "22/11/2026")  # yesterday
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.NOT_ELIGIBLE and d.s.ineligible_reason == "document_expired"
    d.do(Intent.BACK)
    assert d.s.screen is Screen.DOCUMENT_DETAILS
    d.type("document_expiry_date", "23/11/2026")  # still valid today
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.HEALTH_CARD_FRONT


def test_bad_document_fields_show_an_error_and_stay():
    d = Driver().walk_to(Screen.DOCUMENT_DETAILS)
    d.type("document_number", "??")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_DETAILS and d.s.error


def test_card_data_that_contradicts_itself_is_not_accepted():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.send(ev.CardInserted())
    d.send(dataclasses.replace(SAMPLE_CARD, given_name="MARIA"))
    assert d.s.screen is Screen.INSERT_CARD and d.s.error == "card_data_inconsistent"


def test_card_read_failure_keeps_manual_entry_open():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.send(ev.CardInserted())
    d.send(ev.CardReadFailed("card_unknown"))
    assert d.s.error == "card_unknown" and not d.s.is_busy
    d.do(Intent.MANUAL_ENTRY)
    d.type("codice_fiscale", "BNCGLI85C52H501X")
    d.type("surname", "Bianchi")
    d.type("given_name", "Giulia")
    d.do(Intent.NEXT)
    assert d.s.error == "cf_invalid"
    d.type("codice_fiscale", "bncgli85c52h501r")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_TYPE and d.s.citizen.source == "manual"
    assert d.s.citizen.birth_date == date(1985, 3, 12)


def test_photo_is_required_before_going_on():
    d = Driver().walk_to(Screen.DOCUMENT_FRONT)
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_FRONT and d.s.error == "photo_missing"
    d.do(Intent.CAPTURE)
    d.send(ev.CaptureFailed("document_front", "camera_missing"))
    assert d.s.error == "camera_missing" and not d.s.is_busy


def test_passport_has_no_back_side():
    d = Driver().walk_to(Screen.DOCUMENT_TYPE)
    d.do(Intent.CHOOSE, "passport")
    d.do(Intent.CAPTURE)
    d.send(ev.Captured("document_front", b"jpeg", 10, 10))
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_DETAILS


def test_invalid_email_and_mobile_are_explained():
    d = Driver().walk_to(Screen.EMAIL)
    d.type("email", "giulia@")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.EMAIL and d.s.error == "email_invalid"
    d.type("email", FIELDS["email"])
    d.do(Intent.NEXT)
    d.type("mobile", "06 1234 5678")  # a Rome landline
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.MOBILE and d.s.error in ("mobile_not_mobile", "mobile_invalid")


def test_one_time_codes_when_online():
    d = Driver(JourneyRules(is_otp_enabled=True))
    d.send(ev.NetworkChanged(True))
    d.walk_to(Screen.EMAIL)
    d.type("email", FIELDS["email"])
    out = d.do(Intent.NEXT)
    assert out == [fx.SendOtp("email", "giulia.bianchi@example.it")]
    d.send(ev.OtpSent("email", True))
    assert d.s.screen is Screen.EMAIL_CODE
    d.type("email_code", "123456")
    assert d.do(Intent.NEXT) == [fx.CheckOtp("email", "123456")]
    d.send(ev.OtpChecked("email", False))
    assert d.s.error == "code_wrong" and d.s.screen is Screen.EMAIL_CODE
    d.do(Intent.NEXT)
    d.send(ev.OtpChecked("email", True))
    assert d.s.screen is Screen.MOBILE and d.s.is_email_verified


def test_offline_contacts_are_marked_to_verify_later():
    d = Driver(JourneyRules(is_otp_enabled=True)).walk_to(Screen.CONSENTS)
    assert not d.s.is_email_verified and not d.s.is_mobile_verified
    assert not [e for e in d.effects if isinstance(e, fx.SendOtp)]


def test_terms_are_required_marketing_is_not():
    d = Driver().walk_to(Screen.CONSENTS)
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.CONSENTS and d.s.error == "terms_required"
    d.do(Intent.TOGGLE, field="terms")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.REVIEW and not d.s.has_accepted_marketing


def test_language_changes_on_any_screen_without_losing_data():
    d = Driver().walk_to(Screen.MOBILE)
    d.type("mobile", "333")
    d.do(Intent.SET_LANGUAGE, "de")
    assert d.s.language == "de" and d.s.fields["mobile"] == "333" and d.s.email
    d.do(Intent.SET_LANGUAGE, "xx")
    assert d.s.language == "de"
    d.do(Intent.LANGUAGES)  # the header's compact picker: a list, then a choice that closes it
    assert d.s.overlay == "languages"
    d.do(Intent.SET_LANGUAGE, "uk")
    assert d.s.language == "uk" and d.s.overlay == "" and d.s.fields["mobile"] == "333"


def test_help_calls_staff_from_any_screen():
    d = Driver().walk_to(Screen.FACE)
    assert d.do(Intent.HELP) == [fx.CallStaff(True)] and d.s.overlay == "help"
    assert d.do(Intent.DISMISS) == [fx.CallStaff(False)]


def test_operator_route_seals_with_de_visu_identification():
    d = Driver()
    out = d.identify_by_operator()
    (seal,) = seals(out)
    assert seal.draft.identification.route is IdentificationRoute.OPERATOR
    assert seal.draft.identification.operator_id == "op-001"
    assert {c.kind for c in seal.draft.captures} == {
        "document_front", "document_back", "health_card_front", "health_card_back", "face"
    }
    assert d.s.screen is Screen.SEALING


def test_operator_who_fails_to_authenticate_cannot_confirm():
    d = reach(Screen.OPERATOR)
    d.type("operator_pin", "11111111")
    d.do(Intent.NEXT)
    d.send(ev.OperatorRejected("operator_unknown"))
    assert seals(d.do(Intent.CHOOSE, "confirm")) == []
    assert d.s.screen is Screen.OPERATOR and d.s.error == "operator_unknown"


def test_operator_may_refuse_the_citizen():
    d = reach(Screen.OPERATOR)
    d.type("operator_pin", "87654321")
    d.do(Intent.NEXT)
    d.send(ev.OperatorAuthenticated("op-001"))
    out = d.do(Intent.CHOOSE, "refuse")
    assert seals(out) == [] and d.s.screen is Screen.NOT_ELIGIBLE


def test_cns_pin_route_seals_with_electronic_identification():
    d = reach(Screen.PIN)
    d.type("pin", "12345678")
    assert d.do(Intent.NEXT) == [fx.VerifyCitizenPin("12345678")]
    assert "pin" not in d.s.fields, "the PIN does not stay in the session"
    out = d.send(ev.CitizenPinResult(True, 3, certificate_der=b"cert", challenge=b"c", signature=b"sig"))
    (seal,) = seals(out)
    assert seal.draft.identification.route is IdentificationRoute.CNS


def test_wrong_pins_never_spend_the_last_try():
    d = reach(Screen.PIN)
    sent = []
    for tries_after in (2, 1):
        d.type("pin", "00000")
        sent += [e for e in d.do(Intent.NEXT) if isinstance(e, fx.VerifyCitizenPin)]
        d.send(ev.CitizenPinResult(False, tries_after))
    assert len(sent) == 2 and d.s.error == "pin_last_try"
    d.type("pin", "12345678")
    assert d.do(Intent.NEXT) == [], "the last try is never sent to the card"
    d.do(Intent.BACK)
    d.do(Intent.CHOOSE, "operator")
    assert d.s.screen is Screen.OPERATOR


def test_pin_route_refused_when_the_card_has_one_try_left():
    d = Driver().walk_to(Screen.IDENTIFICATION)
    d.do(Intent.CHOOSE, "pin")
    d.send(ev.PinTries(1))
    d.type("pin", "12345678")
    assert d.do(Intent.NEXT) == [] and d.s.error == "pin_last_try"


def test_pin_route_needs_the_card_in_the_reader():
    d = Driver().walk_to(Screen.IDENTIFICATION)
    d.send(ev.CardRemoved())
    assert d.do(Intent.CHOOSE, "pin") == [] and d.s.error == "card_needed"
    assert d.send(ev.CardInserted()) == [fx.QueryPinTries()]


def test_no_pin_route_after_manual_entry():
    d = Driver().walk_to(Screen.INSERT_CARD)
    d.do(Intent.MANUAL_ENTRY)
    d.type("codice_fiscale", SAMPLE_CARD.codice_fiscale)
    d.type("surname", "Bianchi")
    d.type("given_name", "Giulia")
    d.walk_to(Screen.IDENTIFICATION)
    assert not d.journey.is_pin_route_offered()
    assert d.do(Intent.CHOOSE, "pin") == [] and d.s.screen is Screen.IDENTIFICATION


def test_nothing_is_sealed_without_an_identification():
    d = Driver().walk_to(Screen.IDENTIFICATION)
    for intent, value in [(Intent.NEXT, None), (Intent.CHOOSE, "confirm"), (Intent.CHOOSE, "seal")]:
        d.do(intent, value)
    d.send(ev.CitizenPinResult(False, 2))
    d.do(Intent.CHOOSE, "operator")
    d.do(Intent.CHOOSE, "confirm")  # no operator has authenticated
    d.send(ev.OperatorAuthenticated("op-001"))  # arrives, but nobody confirmed in person yet
    assert seals(d.effects) == []
    assert d.s.identification is None


def test_commit_then_receipt_then_thanks():
    d = reach(Screen.SEALING)
    d.do(Intent.BACK)
    assert d.s.screen is Screen.SEALING
    out = d.send(ev.Committed("01J0000000000000000000000A", "0000-0000-000A", "Ab3$xy"))
    assert out == [fx.PrintReceipt("01J0000000000000000000000A", "0000-0000-000A", "Ab3$xy", "it")]
    assert d.s.screen is Screen.RECEIPT and not d.s.captures, "images leave memory once sealed"
    d.send(ev.PrintFailed("paper_out"))
    assert d.s.print_status == "failed" and d.s.activation_first_half == "Ab3$xy"
    d.do(Intent.FINISH)
    assert d.s.screen is Screen.THANK_YOU


def test_failed_commit_can_be_retried_or_cancelled():
    d = reach(Screen.SEALING)
    d.send(ev.CommitFailed("disk_full"))
    assert d.s.error == "disk_full" and d.s.screen is Screen.SEALING
    assert len(seals(d.do(Intent.NEXT))) == 1
    d.send(ev.CommitFailed("disk_full"))
    d.do(Intent.CANCEL)
    d.do(Intent.CONFIRM_CANCEL)
    assert d.s.screen is Screen.WELCOME


def test_double_taps_while_busy_are_ignored():
    d = Driver().walk_to(Screen.DOCUMENT_FRONT)
    assert d.do(Intent.CAPTURE) == [fx.Capture("document_front", doc_type="idcard")]
    assert d.do(Intent.CAPTURE) == []


def test_freeze_waits_for_the_citizen_in_session():
    d = Driver().walk_to(Screen.EMAIL)
    d.send(ev.Frozen("frozen_backlog"))
    assert d.s.screen is Screen.EMAIL
    d.do(Intent.CANCEL)
    d.do(Intent.CONFIRM_CANCEL)
    assert d.s.screen is Screen.OUT_OF_SERVICE
    d.send(ev.Frozen(""))
    assert d.s.screen is Screen.WELCOME


def test_tamper_wipes_at_once_and_only_a_technician_resumes():
    d = Driver().walk_to(Screen.EMAIL)
    d.do(Intent.HELP)
    out = d.send(ev.Tampered())
    assert fx.WipeSession("tamper") in out and fx.CallStaff(False) in out
    assert d.s.screen is Screen.OUT_OF_SERVICE and d.s.frozen_reason == "tamper" and not d.s.fields
    d.do(Intent.START)
    d.send(ev.Frozen(""))  # the backlog rules lifting a freeze do not lift a tamper lock
    assert d.s.screen is Screen.OUT_OF_SERVICE
    d.send(ev.TamperCleared())
    assert d.s.screen is Screen.WELCOME and d.s.frozen_reason == ""


def _cf_for(card: ev.CardRead) -> str:
    from codicefiscale import codicefiscale

    return codicefiscale.encode(
        lastname=card.surname, firstname=card.given_name, gender=card.sex,
        birthdate=card.birth_date.strftime("%d/%m/%Y"), birthplace=card.birth_place_code,
    )


def test_the_document_picture_with_the_zone_carries_the_document_type():
    d = Driver().walk_to(Screen.DOCUMENT_FRONT)
    d.send(ev.Captured("document_front", b"\xff\xd8jpeg", 640, 400))
    d.do(Intent.NEXT)
    valid = {"is_valid": True, "surname": "BIANCHI", "given_names": "GIULIA", "birth_date": "1985-03-12",
             "document_number": "CA12345AB", "expiry_date": "2032-03-12"}
    d.do(Intent.CAPTURE)
    d.send(ev.Captured("document_back", b"\xff\xd8jpeg", 640, 400, mrz={**valid, "birth_date": "1986-03-12"}))
    assert d.s.error == "document_mismatch" and d.s.mismatches == ("birth_date",)
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_MISMATCH  # never silently accepted
    d.do(Intent.CHOOSE, "retake")
    assert d.s.screen is Screen.DOCUMENT_BACK and "document_back" not in d.s.captures
    d.do(Intent.CAPTURE)
    d.send(ev.Captured("document_back", b"\xff\xd8jpeg", 640, 400, mrz=valid))
    assert d.s.mismatches == () and d.s.fields["document_number"] == "CA12345AB"
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_DETAILS


# -- a document whose machine-readable zone disagrees -------------------------------------------

ZONE = {"is_valid": True, "surname": "BIANCHI", "given_names": "GIULIA", "birth_date": "1985-03-12",
        "document_number": "CA12345AB", "expiry_date": "2031-05-04", "format": "TD1"}


def typed_citizen_at_document_back(surname: str) -> Driver:
    d = Driver()
    d.walk_to(Screen.INSERT_CARD)
    d.do(Intent.MANUAL_ENTRY)
    for name, value in {"codice_fiscale": "BNCGLI85C52H501R", "surname": surname, "given_name": "Giulia"}.items():
        d.type(name, value)
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_TYPE, d.s.error
    d.do(Intent.CHOOSE, "idcard")
    d.do(Intent.CAPTURE)
    d.send(ev.Captured("document_front", b"\xff\xd8jpeg", 640, 400))
    d.do(Intent.NEXT)
    d.do(Intent.CAPTURE)
    d.send(ev.Captured("document_back", b"\xff\xd8jpeg", 640, 400, mrz=ZONE))
    return d


def test_a_typed_surname_the_zone_disagrees_with_is_corrected_on_its_own_screen():
    d = typed_citizen_at_document_back("Bonca")  # the same codice fiscale letters (BNC), another surname
    assert d.s.mismatches == ("surname",) and d.s.error == "document_mismatch"
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_MISMATCH
    d.do(Intent.CHOOSE, "correct")
    assert d.s.screen is Screen.MANUAL_ENTRY and d.s.marked_fields == ("surname",)
    d.type("surname", "Bianchi")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_BACK and d.s.mismatches == () and d.s.marked_fields == ()
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_DETAILS
    assert d.s.citizen.surname == "BIANCHI"


def test_a_correction_that_still_differs_comes_back_to_the_choice():
    d = typed_citizen_at_document_back("Bonca")
    d.do(Intent.NEXT)
    d.do(Intent.CHOOSE, "correct")
    d.type("surname", "Bianconcini")
    d.do(Intent.NEXT)
    assert d.s.screen is Screen.DOCUMENT_MISMATCH and d.s.mismatches == ("surname",)


def test_without_the_operator_route_the_operator_is_not_offered():
    d = Driver(JourneyRules(is_otp_enabled=False, is_operator_route_enabled=False))
    d.journey.session.mismatches = ("surname",)
    d.journey.session.screen = Screen.DOCUMENT_MISMATCH
    assert d.do(Intent.CHOOSE, "operator") == [] and d.s.screen is Screen.DOCUMENT_MISMATCH


def test_an_operator_override_goes_into_the_draft_and_leaves_with_the_session():
    d = typed_citizen_at_document_back("Bonca")
    d.do(Intent.NEXT)
    assert fx.CallStaff(True) in d.do(Intent.CHOOSE, "operator")
    d.type("operator_pin", "87654321")
    d.do(Intent.NEXT)
    d.send(ev.OperatorAuthenticated("op-007"))
    assert fx.CallStaff(False) in d.do(Intent.CHOOSE, "confirm")
    assert d.s.screen is Screen.DOCUMENT_BACK and not d.s.operator_id
    out = d.identify_by_operator()
    draft = next(e.draft for e in out if isinstance(e, fx.SealAndCommit))
    assert [(o.fields, o.operator_id) for o in draft.mrz_overrides] == [(("surname",), "op-007")]
    assert draft.identification.operator_id == "op-001"  # identifying the citizen is a separate, later step


def test_a_cie_read_with_its_can_fills_the_names_and_an_underage_chip_stops():
    d = reach(Screen.CIE_CAN)
    d.type("can", "12a456")
    effects = d.do(Intent.NEXT)
    assert d.s.error == "can_format" and not effects
    d.type("can", "123456")
    effects = d.do(Intent.NEXT)
    assert [type(e).__name__ for e in effects] == ["ReadTravelDocument"] and effects[0].can == "123456"
    assert "123456" not in repr(effects[0]) and "can" not in d.s.fields
    assert d.do(Intent.NEXT) == [], "no second read while the first runs"
    d.send(ev.CardReadFailed("wrong_can"))
    assert d.s.screen is Screen.CIE_CAN and d.s.error == "wrong_can" and not d.s.is_busy
    d.type("can", "123456")
    d.do(Intent.NEXT)
    d.send(ev.TravelDocumentRead(surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12), sex="F"))
    assert d.s.screen is Screen.MANUAL_ENTRY
    assert (d.s.fields["surname"], d.s.fields["given_name"]) == ("BIANCHI", "GIULIA")
    young = reach(Screen.CIE_CAN)
    young.type("can", "123456")
    young.do(Intent.NEXT)
    young.send(ev.TravelDocumentRead(surname="ROSSI", given_name="LUCA", birth_date=date(2015, 1, 1),
                                     sex="M"))
    assert young.s.screen is Screen.NOT_ELIGIBLE and young.s.ineligible_reason == "underage"
