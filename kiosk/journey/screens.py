"""The screens of the journey, their order, and what each one offers."""

from __future__ import annotations

from enum import StrEnum


class Screen(StrEnum):
    WELCOME = "welcome"  # language choice and start
    CHECKLIST = "checklist"  # what you need
    INSERT_CARD = "insert_card"  # insert the health card TS-CNS (or type the data)
    CARD_DATA = "card_data"  # what the chip said: confirm
    CIE_CAN = "cie_can"  # a CIE: type its CAN to fill in the names from the chip (or type everything)
    MANUAL_ENTRY = "manual_entry"  # fallback: codice fiscale and names, cross-checked
    DOCUMENT_TYPE = "document_type"
    DOCUMENT_FRONT = "document_front"
    DOCUMENT_BACK = "document_back"
    DOCUMENT_DETAILS = "document_details"  # number, issuer, dates
    DOCUMENT_MISMATCH = "document_mismatch"  # the zone disagrees: retake, correct, or ask the operator
    HEALTH_CARD_FRONT = "health_card_front"
    HEALTH_CARD_BACK = "health_card_back"
    FACE = "face"
    EMAIL = "email"
    EMAIL_CODE = "email_code"  # one-time code, when online
    MOBILE = "mobile"
    MOBILE_CODE = "mobile_code"
    CONSENTS = "consents"
    REVIEW = "review"
    IDENTIFICATION = "identification"  # choose: operator de visu, or the card's PIN
    OPERATOR = "operator"  # an operator authenticates and confirms the citizen in person
    PIN = "pin"  # the citizen proves possession of the CNS with its PIN
    SEALING = "sealing"  # sealing and committing: no way back, no cancel
    RECEIPT = "receipt"  # printing; if the printer fails, the same receipt on screen
    THANK_YOU = "thank_you"
    NOT_ELIGIBLE = "not_eligible"  # a gate stopped the journey: the reason and what to do
    OUT_OF_SERVICE = "out_of_service"  # the kiosk is frozen (backlog too old or too large)
    STATUS_CHECK = "status_check"  # type the receipt's reference or show its QR: where is my enrollment?
    INFO = "info"  # information pages: what SPID is, levels, services, apps, recovering credentials


CAPTURE_SCREENS = {
    Screen.DOCUMENT_FRONT: "document_front",
    Screen.DOCUMENT_BACK: "document_back",
    Screen.HEALTH_CARD_FRONT: "health_card_front",
    Screen.HEALTH_CARD_BACK: "health_card_back",
    Screen.FACE: "face",
}

# "Step N of M" as the citizen sees it: sub-screens share their step's number.
STEPS: dict[Screen, int] = {
    Screen.CHECKLIST: 1,
    Screen.INSERT_CARD: 2, Screen.CARD_DATA: 2, Screen.CIE_CAN: 2, Screen.MANUAL_ENTRY: 2,
    Screen.DOCUMENT_TYPE: 3, Screen.DOCUMENT_FRONT: 3, Screen.DOCUMENT_BACK: 3, Screen.DOCUMENT_DETAILS: 3,
    Screen.DOCUMENT_MISMATCH: 3,
    Screen.HEALTH_CARD_FRONT: 4, Screen.HEALTH_CARD_BACK: 4,
    Screen.FACE: 5,
    Screen.EMAIL: 6, Screen.EMAIL_CODE: 6, Screen.MOBILE: 6, Screen.MOBILE_CODE: 6,
    Screen.CONSENTS: 7,
    Screen.REVIEW: 8,
    Screen.IDENTIFICATION: 9, Screen.OPERATOR: 9, Screen.PIN: 9,
}
TOTAL_STEPS = max(STEPS.values())

# Screens where there is nothing to go back to, or going back would break an atomic step.
NO_BACK = {Screen.WELCOME, Screen.SEALING, Screen.RECEIPT, Screen.THANK_YOU, Screen.OUT_OF_SERVICE}
# Cancel wipes the session; once committed there is nothing to cancel (the citizen just finishes).
NO_CANCEL = {Screen.WELCOME, Screen.SEALING, Screen.RECEIPT, Screen.THANK_YOU, Screen.OUT_OF_SERVICE,
             Screen.STATUS_CHECK, Screen.INFO}
# Screens without a citizen session worth warning about before the inactivity wipe.
NO_INACTIVITY = {Screen.WELCOME, Screen.SEALING, Screen.OUT_OF_SERVICE}


# Information pages, in the order the info screen lists them (the UI holds their words).
INFO_PAGES = ("what", "levels", "services", "apps", "recover")
# What a status lookup may answer; anything else from the network is shown as "unknown".
STATUS_OUTCOMES = ("received", "accepted", "provisioned", "email_sent", "rejected", "activated", "unknown", "offline")


def can_go_back(screen: Screen) -> bool:
    return screen not in NO_BACK


def can_cancel(screen: Screen) -> bool:
    return screen not in NO_CANCEL
