"""One module per screen: each has ``TITLE`` (a msgid), ``build(b, view, area)`` and may have
``state_key(view)`` (what else, besides the screen and language, forces a rebuild)."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from kiosk.journey.screens import CAPTURE_SCREENS, Screen

_MODULES = {
    Screen.WELCOME: "welcome", Screen.CHECKLIST: "checklist", Screen.INSERT_CARD: "insert_card",
    Screen.CARD_DATA: "card_data", Screen.CIE_CAN: "cie_can", Screen.MANUAL_ENTRY: "manual_entry", Screen.DOCUMENT_TYPE: "document_type",
    **{screen: "capture" for screen in CAPTURE_SCREENS},
    Screen.DOCUMENT_DETAILS: "document_details", Screen.DOCUMENT_MISMATCH: "document_mismatch",
    Screen.EMAIL: "contact", Screen.MOBILE: "contact",
    Screen.EMAIL_CODE: "code", Screen.MOBILE_CODE: "code", Screen.CONSENTS: "consents", Screen.REVIEW: "review",
    Screen.IDENTIFICATION: "identification", Screen.OPERATOR: "operator", Screen.PIN: "pin",
    Screen.SEALING: "sealing", Screen.RECEIPT: "receipt", Screen.THANK_YOU: "thank_you",
    Screen.NOT_ELIGIBLE: "not_eligible", Screen.OUT_OF_SERVICE: "out_of_service",
    Screen.STATUS_CHECK: "status_check", Screen.INFO: "info",
}


def module_for(screen: Screen) -> ModuleType:
    return import_module(f"{__name__}.{_MODULES[screen]}")


def overlay_module(name: str) -> ModuleType:
    return import_module(f"{__name__}.overlays")
