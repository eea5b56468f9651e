"""Every screen renders in it and en: touch targets, text fit, translated errors, clicks, typing, wipes."""

from __future__ import annotations

import html
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pygame
import pytest
from pygame_gui.elements import UIButton, UILabel, UITextBox, UITextEntryLine

from kiosk.domain.citizen import Capture, Citizen, DocumentType, IdentityDocument, Sex
from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.screens import CAPTURE_SCREENS, Screen, can_go_back
from kiosk.journey.session import Session
from kiosk.ui.app import KioskUI
from kiosk.ui.bidi import is_rtl, visual_rtl
from kiosk.ui.i18n import Translator
from kiosk.ui.view import View

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "ui"
NOW = datetime(2025, 11, 23, 10, 30, 0)
ERROR_BY_SCREEN = {  # a realistic error per screen, so error boxes are rendered (and measured) too
    Screen.INSERT_CARD: "card_unreadable", Screen.MANUAL_ENTRY: "cf_invalid", Screen.DOCUMENT_DETAILS: "date_invalid",
    Screen.EMAIL: "email_invalid", Screen.MOBILE_CODE: "code_wrong", Screen.CONSENTS: "terms_required",
    Screen.PIN: "pin_wrong", Screen.DOCUMENT_BACK: "photo_missing", Screen.OPERATOR: "operator_unknown",
    Screen.CIE_CAN: "wrong_can",
}


def citizen() -> Citizen:
    return Citizen(codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA",
                   birth_date=date(1985, 3, 12), sex=Sex.FEMALE, birth_place_code="H501", source="card",
                   card_type="TS-CNS", card_expiry=date(2029, 3, 12))


def sample_session(screen: Screen, language: str) -> Session:
    s = Session(screen=screen, language=language, history=[Screen.CHECKLIST] if can_go_back(screen) else [],
                citizen=citizen(), has_card_certificate=True, is_card_present=True, doc_type=DocumentType.IDCARD,
                document=IdentityDocument(DocumentType.IDCARD, "CA12345AB", "Comune di Roma", date(2021, 5, 4),
                                          date(2031, 5, 4)),
                email="giulia.bianchi@esempio.it", mobile="+393331234567", is_email_verified=True,
                has_accepted_terms=True, pin_tries_left=3, last_input_at=NOW, entered_at=NOW)
    s.captures = {k: Capture(kind=k, jpeg=b"\xff\xd8", width=640, height=480)
                  for k in ("document_front", "document_back", "health_card_front", "health_card_back")}
    s.fields = {"surname": "Bianchi", "given_name": "Giulia", "codice_fiscale": "BNCGLI85C52H501R",
                "document_number": "CA12345AB", "document_issuer": "Comune di Roma",
                "document_issue_date": "04/05/2021", "document_expiry_date": "04/05/2031",
                "email": "giulia.bianchi@esempio.it", "mobile": "333 123 4567"}
    s.error = ERROR_BY_SCREEN.get(screen, "")
    if screen is Screen.NOT_ELIGIBLE:
        s.ineligible_reason = "document_expired"
    if screen is Screen.OUT_OF_SERVICE:
        s.frozen_reason = "frozen_backlog"
    if screen is Screen.RECEIPT:
        s.reference, s.activation_first_half = "SP-2025-7K3Q9", "aB3$k9"
        s.print_status, s.print_error = "failed", "paper_out"
    if screen is Screen.SEALING:
        s.is_busy = True
    if screen is Screen.EMAIL_CODE:
        s.notice = "code_sent"
    if screen is Screen.DOCUMENT_MISMATCH:  # the longest case: three fields, and every way out offered
        s.mismatches = ("given_name", "birth_date", "document_number")
        s.error = "mismatch_refused"
    return s


def camera_frame() -> np.ndarray:
    y, x = np.mgrid[0:480, 0:640]
    return np.dstack([(x * 255 // 640), (y * 255 // 480), np.full_like(x, 120)]).astype(np.uint8)


def view_of(session: Session, **kw) -> View:
    base = dict(session=session, now=NOW, kiosk_name="Comune di Roccasecca", is_pin_route_offered=True,
                camera_frame=camera_frame() if session.screen in CAPTURE_SCREENS else None,
                inactivity_grace_s=30.0, receipt_qr="https://spid.example/r/SP-2025-7K3Q9")
    base.update(kw)
    return View(**base)


@pytest.fixture(scope="module")
def ui():
    # One UI for the whole module: its taps come at test speed, milliseconds apart, often on the same
    # spot (lang:ro in every language), which the double-tap guard would rightly drop. test_ui_touch
    # covers that guard.
    ui = KioskUI(size=(1280, 800), double_tap_s=0.0)
    ui.start()
    yield ui
    ui.close()


def show(ui: KioskUI, view: View) -> None:
    ui.render(view)
    ui.draw()


def click(ui: KioskUI, element_id: str) -> list[UserIntent]:
    pos = ui.element_rect(element_id).center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
    return ui.handle_events(pygame.event.get())


def type_text(ui: KioskUI, text: str) -> list[UserIntent]:
    """Type ``text`` into the focused field, one character at a time, as SDL delivers keyboard text."""
    for ch in text:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    return ui.handle_events(pygame.event.get())


def visible_text(element) -> str:
    if isinstance(element, UITextBox):
        return element.html_text
    if isinstance(element, UITextEntryLine):
        return element.get_text()
    return getattr(element, "text", "") or ""


def check_layout(ui: KioskUI, where: str) -> None:
    targets = [e for e in ui.elements() if e.alive() and isinstance(e, UIButton)]
    for element in ui.elements():
        if not element.alive():
            continue
        if isinstance(element, UIButton):
            small = min(element.rect.w, element.rect.h) / ui.px_per_mm
            assert small >= 9.0, f"{where}: button {element.text!r} is {small:.1f} mm, less than 9 mm"
        if isinstance(element, (UIButton, UILabel)) and element.text:
            width = element.font.get_rect(element.text).width
            room = element.rect.w - (8 if isinstance(element, UILabel) else 16)
            assert width <= room, f"{where}: {element.text!r} is {width}px in {element.rect.w}px"
        if isinstance(element, (UIButton, UITextEntryLine, UITextBox, UILabel)):
            assert element.rect.bottom <= ui.size[1] and element.rect.right <= ui.size[0], f"{where}: off screen"
            for other in targets:
                if other is not element and element.rect.colliderect(other.rect):
                    raise AssertionError(f"{where}: {visible_text(element)[:30]!r} overlaps {other.text!r}")
        if isinstance(element, UITextBox):
            assert element.scroll_bar is None, f"{where}: text box {element.html_text[:40]!r} overflows"
            assert element.rect.bottom <= ui.size[1], f"{where}: text box {element.html_text[:40]!r} off screen"


def shown(lang: str, text: str) -> str:
    """``text`` as a label of ``lang`` holds it: right-to-left languages hand HarfBuzz their bidi runs reversed."""
    return visual_rtl(text) if is_rtl(lang) else text


COMPLETE = ("it", "en", "de", "fr", "sl", "ro", "sq", "uk", "ar", "zh")
SHOTS = [(screen, lang) for lang in COMPLETE for screen in Screen]


@pytest.mark.parametrize(("screen", "lang"), SHOTS, ids=[f"{l}-{s.value}" for s, l in SHOTS])
def test_every_screen_renders(ui, screen, lang):
    session = sample_session(screen, lang)
    show(ui, view_of(session))
    ui.screenshot(ARTIFACTS / lang / f"{screen.value}.png")
    check_layout(ui, f"{lang}/{screen.value}")
    assert not ui.translator.missing, f"{lang}/{screen.value}: untranslated {sorted(ui.translator.missing)}"
    ids = ui.element_ids()
    if can_go_back(screen):
        assert "back" in ids
    if session.error:
        words = Translator(lang).message(session.error)
        if is_rtl(lang):  # Arabic: the label holds the words as HarfBuzz is handed them (bidi runs reversed)
            words = visual_rtl(words)
        box = "hint" if "hint" in ids else "error"  # typing screens say it on the line under the field
        assert html.unescape(visible_text(ui.element(box))).replace("\u00a0", " ").endswith(words)
        assert session.error not in visible_text(ui.element(box))


@pytest.mark.parametrize("lang", COMPLETE)
@pytest.mark.parametrize("overlay", ["help", "cancel", "inactivity", "languages"])
def test_overlays(ui, overlay, lang):
    s = sample_session(Screen.EMAIL, lang)
    s.overlay, s.error = overlay, ""
    s.warning_started_at = NOW - timedelta(seconds=8)
    show(ui, view_of(s))
    ui.screenshot(ARTIFACTS / lang / f"overlay_{overlay}.png")
    check_layout(ui, f"{lang}/overlay_{overlay}")
    assert not ui.translator.missing, f"{lang}/{overlay}: untranslated {sorted(ui.translator.missing)}"
    wanted = {"help": "dismiss", "cancel": "confirm_cancel", "inactivity": "continue", "languages": "lang:uk"}[overlay]
    assert wanted in ui.element_ids()
    if overlay == "languages":  # every language by its own name; tapping one switches
        assert {f"lang:{code}" for code in COMPLETE} <= set(ui.element_ids())
        assert ui.element("lang:uk").text == shown(lang, "Українська")
        assert ui.element("lang:ar").text == shown(lang, "العربية") and ui.element("lang:zh").text == shown(lang, "中文")
        assert click(ui, "lang:ro") == [UserIntent(Intent.SET_LANGUAGE, "ro")]
    if overlay == "inactivity":
        assert ui.element("countdown").text == shown(lang, "22")
        show(ui, view_of(s, now=NOW + timedelta(seconds=5)))  # updates in place
        assert ui.element("countdown").text == shown(lang, "17")
        assert click(ui, "continue") == [UserIntent(Intent.CONTINUE)]


def test_large_text_and_high_contrast_fit(ui):
    # large text alone, on every screen and page: test_ui_large_text
    for screen in (Screen.WELCOME, Screen.CARD_DATA, Screen.CONSENTS, Screen.REVIEW, Screen.DOCUMENT_DETAILS,
                   Screen.IDENTIFICATION, Screen.PIN, Screen.RECEIPT):
        for lang in COMPLETE:
            s = sample_session(screen, lang)
            s.is_large_text = s.is_high_contrast = True
            show(ui, view_of(s))
            ui.screenshot(ARTIFACTS / "large_contrast" / lang / f"{screen.value}.png")
            check_layout(ui, f"large/{lang}/{screen.value}")


def test_click_next_yields_next(ui):
    show(ui, view_of(sample_session(Screen.CHECKLIST, "it")))
    assert click(ui, "next") == [UserIntent(Intent.NEXT)]
    assert click(ui, "languages") == [UserIntent(Intent.LANGUAGES)]
    assert click(ui, "toggle:large_text") == [UserIntent(Intent.TOGGLE, None, "large_text")]


def test_touch_is_a_click(ui):
    show(ui, view_of(sample_session(Screen.DOCUMENT_TYPE, "it")))
    x, y = ui.element_rect("choose:passport").center
    for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
        pygame.event.post(pygame.event.Event(kind, x=x / 1280, y=y / 800, dx=0, dy=0, finger_id=0, touch_id=0,
                                             pressure=1.0))
    assert ui.handle_events(pygame.event.get()) == [UserIntent(Intent.CHOOSE, "passport")]


def test_typing_sets_field_and_survives_rerender(ui):
    s = sample_session(Screen.MANUAL_ENTRY, "it")
    s.fields, s.error = {}, ""
    show(ui, view_of(s))
    assert click(ui, "field:surname") == []
    intents = type_text(ui, "Nicolò@à")
    assert intents[-1] == UserIntent(Intent.SET_FIELD, "Nicolò@à", "surname")
    s.error = "surname_invalid"  # a rebuild of the same screen keeps what was typed
    show(ui, view_of(s))
    assert ui.element("field:surname").get_text() == "Nicolò@à"


def test_wipe_leaves_no_citizen_text(ui):
    s = sample_session(Screen.REVIEW, "it")
    show(ui, view_of(s))
    show(ui, view_of(sample_session(Screen.MANUAL_ENTRY, "it")))
    fresh = Session()
    show(ui, view_of(fresh))
    texts = " ".join(visible_text(e) for e in ui.manager.get_sprite_group().sprites())
    for secret in ("BIANCHI", "Bianchi", "BNCGLI85C52H501R", "giulia", "333"):
        assert secret not in texts
    assert "start" in ui.element_ids()


def test_unknown_error_key_is_never_shown(ui):
    s = sample_session(Screen.CONSENTS, "en")
    s.error = "no_such_key_xyz"
    show(ui, view_of(s))
    words = visible_text(ui.element("error"))
    assert "no_such_key_xyz" not in words and "staff" in words


@pytest.mark.parametrize("lang", COMPLETE)
def test_complete_languages_translate_every_message(lang):
    """Every msgid any catalogue knows (screens, hints, error keys, reasons) is in each complete language."""
    from kiosk.ui.i18n import _catalogue, is_key

    every = set()
    for other in COMPLETE:
        every |= {m for m in _catalogue(other) if other != "it" or is_key(m)}
    mine = _catalogue(lang)
    wanted = {m for m in every if is_key(m)} if lang == "it" else every
    assert not sorted(wanted - set(mine)), f"{lang} lacks {sorted(wanted - set(mine))[:10]}"


@pytest.mark.parametrize("lang", COMPLETE)
def test_a_document_mismatch_offers_each_way_out_and_the_operator_sees_what_differs(ui, lang):
    s = sample_session(Screen.DOCUMENT_MISMATCH, lang)
    show(ui, view_of(s))
    t = Translator(lang)
    assert t.message("mismatch.birth_date") in visible_text(ui.element("mismatch"))
    assert click(ui, "choose:retake") == [UserIntent(Intent.CHOOSE, "retake")]
    assert click(ui, "choose:correct") == [UserIntent(Intent.CHOOSE, "correct")]
    assert click(ui, "choose:operator") == [UserIntent(Intent.CHOOSE, "operator")]
    s.mismatches = ("surname",)  # read from the card's chip: nothing typed to correct
    show(ui, view_of(s, is_operator_route_offered=False))
    assert "choose:correct" not in ui.element_ids() and "choose:operator" not in ui.element_ids()
    assert "choose:retake" in ui.element_ids()

    op = sample_session(Screen.OPERATOR, lang)
    op.error, op.operator_id, op.operator_task = "", "op-1", "mismatch"
    op.mismatches = ("given_name", "birth_date", "document_number")
    show(ui, view_of(op))
    ui.screenshot(ARTIFACTS / lang / "operator_mismatch.png")
    check_layout(ui, f"{lang}/operator_mismatch")
    assert not ui.translator.missing, sorted(ui.translator.missing)
    assert t.message("mismatch.document_number") in visible_text(ui.element("mismatch"))
    assert click(ui, "choose:confirm") == [UserIntent(Intent.CHOOSE, "confirm")]

    details = sample_session(Screen.DOCUMENT_DETAILS, lang)
    details.error, details.marked_fields = "mismatch_correct", ("document_number",)
    show(ui, view_of(details))
    ui.screenshot(ARTIFACTS / lang / "document_details_marked.png")
    check_layout(ui, f"{lang}/document_details_marked")
    assert ui.element("label:document_number").text.startswith("» ")
    assert not ui.element("label:document_issuer").text.startswith("» ")
    assert not ui.translator.missing, sorted(ui.translator.missing)
