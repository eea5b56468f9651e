"""Every card fault's message fits the insert-card screen, in every language the kiosk ships."""

from __future__ import annotations

import pytest

from kiosk.journey.screens import Screen
from kiosk.ui.i18n import Translator
from test_ui_screens import ARTIFACTS, check_layout, sample_session, show, ui, view_of  # noqa: F401 - ui fixture

CARD_ERRORS = ("card_unknown", "card_unreadable", "card_removed", "card_data_inconsistent", "card_certificate_invalid")
CASES = [(error, lang) for lang in ("it", "en", "de", "fr", "sl", "ro", "sq", "uk") for error in CARD_ERRORS]


@pytest.mark.parametrize(("error", "lang"), CASES, ids=[f"{l}-{e}" for e, l in CASES])
def test_card_fault_message_is_translated_and_fits(ui, error, lang):
    session = sample_session(Screen.INSERT_CARD, lang)
    session.error = error
    show(ui, view_of(session))
    ui.screenshot(ARTIFACTS / "card_errors" / lang / f"{error}.png")
    check_layout(ui, f"{lang}/{error}")
    text = Translator(lang).message(error)
    assert text != error and text != Translator(lang).message("no_such_key_at_all")
