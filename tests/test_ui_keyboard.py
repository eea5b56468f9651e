"""The on-screen keyboard, driven by mouse clicks and finger touches as a citizen would."""

from __future__ import annotations

import html
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
import pytest

from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.screens import Screen
from kiosk.journey.session import Session
from kiosk.ui import keyboard
from kiosk.ui.app import KioskUI
from tests.test_ui_screens import ARTIFACTS, NOW, check_layout, view_of, visible_text


@pytest.fixture(scope="module")
def ui():
    ui = KioskUI(size=(1280, 800), physical_mm=(217, 136), double_tap_s=0.0)  # typing "nn" at test speed
    ui.start()
    yield ui
    ui.close()


def blank(screen: Screen, language: str = "it") -> Session:
    return Session(screen=screen, language=language, history=[Screen.CHECKLIST], last_input_at=NOW,
                   entered_at=NOW)


def show(ui: KioskUI, session: Session) -> None:
    ui.render(view_of(session))
    ui.draw()


def tap(ui: KioskUI, element_id: str, *, finger: bool = False) -> list[UserIntent]:
    x, y = ui.element_rect(element_id).center
    if finger:
        for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
            pygame.event.post(pygame.event.Event(kind, x=x / ui.size[0], y=y / ui.size[1], dx=0, dy=0,
                                                 finger_id=0, touch_id=0, pressure=1.0))
    else:
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x, y), button=1))
    return ui.handle_events(pygame.event.get())


def type_keys(ui: KioskUI, session: Session, keys: list[str], *, finger: bool = False) -> list[UserIntent]:
    """Tap each key (by its key id), feeding the intents back into the session like the journey does."""
    out = []
    for key in keys:
        intents = tap(ui, key, finger=finger)
        for i in intents:
            if i.intent is Intent.SET_FIELD:
                session.fields[i.field] = i.value
        out += intents
        show(ui, session)
    return out


def hint(ui: KioskUI) -> str:
    return html.unescape(visible_text(ui.element("hint")))


def test_email_by_mouse_with_at_and_domain_key(ui):
    s = blank(Screen.EMAIL)
    show(ui, s)
    check_layout(ui, "keyboard/email")
    assert "Cancella tutto" in ui.element("key:clear").text
    intents = type_keys(ui, s, ["key:m", "key:a", "key:r", "key:i", "key:o", "key:.", "key:r", "key:o"])
    assert intents[-1] == UserIntent(Intent.SET_FIELD, "mario.ro", "email")
    assert "@" in hint(ui)  # the hint says the @ is missing
    type_keys(ui, s, ["key:backspace", "key:backspace", "key:@"])
    assert "gmail.com" in hint(ui)  # after the @: a domain
    type_keys(ui, s, ["key:libero.it"])
    assert s.fields["email"] == "mario.@libero.it"
    type_keys(ui, s, ["key:clear", "key:g", "key:i", "key:o", "key:@", "key:gmail.com"])
    assert s.fields["email"] == "gio@gmail.com"
    assert ui.element("field:email").get_text() == "gio@gmail.com"
    assert hint(ui).endswith("Indirizzo email corretto")
    ui.screenshot(ARTIFACTS / "keyboard" / "email.png")


def test_names_by_finger_with_accents_and_apostrophe(ui):
    s = blank(Screen.MANUAL_ENTRY)
    show(ui, s)
    check_layout(ui, "keyboard/manual_entry")
    assert ui.element_rect("key:1")  # the first field, the codice fiscale, has digits
    tap(ui, "field:surname", finger=True)
    show(ui, s)
    assert "key:'" in ui.element_ids() and "key:1" not in ui.element_ids()  # the name layout
    type_keys(ui, s, ["key:D", "key:'", "key:A", "key:N", "key:N", "key:Ò"], finger=True)
    assert s.fields["surname"] == "D'Annò"  # words start upper-case, the rest lower-case
    tap(ui, "field:given_name")
    show(ui, s)
    type_keys(ui, s, ["key:N", "key:I", "key:C", "key:O", "key:L", "key:Ò", "key: ", "key:È", "key:shift",
                      "key:A"], finger=True)
    assert s.fields["given_name"] == "Nicolò ÈA"  # shift: capitals inside a word too
    assert ui.element("field:surname").get_text() == "D'Annò"  # the other field kept its text
    ui.screenshot(ARTIFACTS / "keyboard" / "manual_entry.png")


def test_phone_prefix_is_selectable(ui):
    s = blank(Screen.MOBILE)
    show(ui, s)
    type_keys(ui, s, ["key:3", "key:3", "key:3", "key:1", "key:2", "key:3", "key:4", "key:5", "key:6", "key:7"])
    assert s.fields["mobile"] == "3331234567"
    assert hint(ui).endswith("Numero di cellulare corretto")
    type_keys(ui, s, ["key:prefix"])
    assert s.fields["mobile"] == "+393331234567"
    type_keys(ui, s, ["key:prefix"])
    assert s.fields["mobile"] == "3331234567"
    type_keys(ui, s, ["key:clear", "key:0", "key:6", "key:1", "key:2", "key:3", "key:4", "key:5", "key:6", "key:7"])
    assert "fisso" in hint(ui)  # a landline: said plainly


def test_code_field_stops_at_its_length_and_the_error_gives_way(ui):
    s = blank(Screen.EMAIL_CODE)
    s.email, s.error = "x@y.it", "code_wrong"
    show(ui, s)
    assert "⚠" in hint(ui) or "!" in hint(ui)  # the error is on the line under the field
    type_keys(ui, s, ["key:1"] * 10)
    assert s.fields["email_code"] == "11111111"
    assert "lunghezza giusta" in hint(ui)


def test_english_labels_and_hints(ui):
    s = blank(Screen.EMAIL, "en")
    show(ui, s)
    assert ui.element("key:clear").text == "Clear all"
    type_keys(ui, s, ["key:a"])
    assert "@" in hint(ui) and "Manca" not in hint(ui)


def test_apply_is_pure_editing():
    email = keyboard.rows_for("email")
    assert any(k.text == "@" for row in email for k in row)
    key = keyboard.Key("gmail.com", "gmail.com")
    assert keyboard.apply(key, "anna@libe", layout="email") == "anna@gmail.com"
    assert keyboard.apply(keyboard.Key("a", "a"), "abc", layout="email", max_length=3) == "abc"
    with pytest.raises(ValueError):
        keyboard.rows_for("klingon")


def test_language_switch_keeps_what_was_typed(ui):
    s = blank(Screen.MANUAL_ENTRY, "it")
    show(ui, s)
    tap(ui, "field:surname")
    show(ui, s)
    type_keys(ui, s, ["key:R", "key:O", "key:S", "key:À"])
    assert tap(ui, "languages") == [UserIntent(Intent.LANGUAGES)]
    s.overlay = "languages"
    show(ui, s)
    assert tap(ui, "lang:de") == [UserIntent(Intent.SET_LANGUAGE, "de")]
    s.language, s.overlay = "de", ""
    show(ui, s)
    assert ui.element("field:surname").get_text() == "Rosà"
    assert ui.element("title").text == "Tippen Sie Ihre Daten"
    type_keys(ui, s, ["key:N"])  # still typing into the same field, now with German words around it
    assert s.fields["surname"] == "Rosàn"
    for lang, title in (("uk", "Введіть свої дані"), ("ro", "Scrieți datele dumneavoastră"),
                        ("sq", "Shkruani të dhënat tuaja")):
        s.overlay = "languages"
        show(ui, s)
        assert tap(ui, f"lang:{lang}") == [UserIntent(Intent.SET_LANGUAGE, lang)]
        s.language, s.overlay = lang, ""
        show(ui, s)
        assert ui.element("title").text == title
        assert ui.element("field:surname").get_text() == s.fields["surname"]
    type_keys(ui, s, ["key:I"])
    assert s.fields["surname"] == "Rosàni"


def test_document_details_typed_on_the_keyboard(ui):
    """Number, issuer and dates reach the session by taps on the on-screen keys alone."""
    s = blank(Screen.DOCUMENT_DETAILS)
    show(ui, s)
    check_layout(ui, "keyboard/document_details")
    assert "key:A" in ui.element_ids() and "key:1" in ui.element_ids()  # the number: letters and digits
    type_keys(ui, s, ["key:C", "key:A", "key:1", "key:2", "key:3", "key:A", "key:B"])
    assert s.fields["document_number"] == "CA123AB"
    tap(ui, "field:document_issuer")
    show(ui, s)
    check_layout(ui, "keyboard/document_details_issuer")  # every key clear of the buttons under it
    type_keys(ui, s, ["key:R", "key:O", "key:M", "key:A"])
    assert s.fields["document_issuer"] == "Roma"  # a word starts upper-case, the rest lower-case
    tap(ui, "field:document_issue_date")
    show(ui, s)
    check_layout(ui, "keyboard/document_details_date")
    assert "key:/" in ui.element_ids() and "key:Q" not in ui.element_ids()  # the date pad
    type_keys(ui, s, ["key:1", "key:0", "key:/", "key:0", "key:5", "key:/", "key:2", "key:0", "key:2", "key:1"])
    assert s.fields["document_issue_date"] == "10/05/2021"
    tap(ui, "field:document_expiry_date", finger=True)
    show(ui, s)
    type_keys(ui, s, ["key:1", "key:2", "key:/", "key:0", "key:3", "key:/", "key:2", "key:0", "key:3", "key:2"],
              finger=True)
    assert s.fields["document_expiry_date"] == "12/03/2032"
    assert ui.element("field:document_number").get_text() == "CA123AB"  # the other fields kept their text
    assert ui.element("field:document_issue_date").get_text() == "10/05/2021"
    ui.screenshot(ARTIFACTS / "keyboard" / "document_details.png")
