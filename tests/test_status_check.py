"""The status check: reference typed or the receipt's QR shown to the camera, answered through the shell."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import html
import re
from datetime import datetime

import qrcode

from kiosk.domain.ids import new_enrollment_id, normalise_reference, reference
from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.machine import Journey
from kiosk.journey.screens import Screen
from kiosk.receipt import qr_content
from kiosk.ui.app import KioskUI
from shell_helpers import make_shell, tap

NOW = datetime(2025, 11, 23, 10, 0)


class ReceiverAnswers:
    """Stands in for the sync coordinator's ``lookup_status`` (issue 6): answers from a table, records asks."""

    def __init__(self, table: dict[str, dict]) -> None:
        self.table, self.asked = table, []

    def lookup_status(self, reference: str) -> dict:
        self.asked.append(reference)
        if reference not in self.table:
            return {"status": "unknown", "reasons": []}
        return self.table[reference]


def test_reference_is_normalised_and_lookalikes_read_as_digits():
    enrollment_id = new_enrollment_id()
    ref = reference(enrollment_id)
    assert normalise_reference(enrollment_id) == ref
    assert normalise_reference(ref.lower().replace("-", " ")) == ref
    assert normalise_reference("abcd-1234-efgo") == "ABCD-1234-EFG0"
    assert normalise_reference("ABCD-1234") == "" and normalise_reference("ABCD-1234-EFG!") == ""


def test_journey_asks_and_shows_the_answer():
    j = Journey()
    j.handle(UserIntent(Intent.CHOOSE, "status"), NOW)
    assert j.session.screen is Screen.STATUS_CHECK
    assert j.handle(UserIntent(Intent.NEXT), NOW) == [] and j.session.error == "reference_invalid"
    j.handle(UserIntent(Intent.SET_FIELD, "abcd 1234 efgh", "status_reference"), NOW)
    assert j.handle(UserIntent(Intent.NEXT), NOW) == [fx.LookupStatus("ABCD-1234-EFGH")]
    assert j.session.is_busy
    j.handle(ev.StatusLookedUp("rejected", ("photo_unclear",)), NOW)
    assert (j.session.status, j.session.status_reasons, j.session.is_busy) == ("rejected", ("photo_unclear",), False)
    j.handle(ev.StatusLookedUp("weird-new-state"), NOW)
    assert j.session.status == "unknown"  # never shows a word it does not know


def test_shell_without_a_status_client_answers_offline(tmp_path):
    shell = make_shell(tmp_path)
    try:
        tap(shell, Intent.CHOOSE, "status")
        tap(shell, Intent.SET_FIELD, "ABCD-1234-EFGH", "status_reference")
        tap(shell, Intent.NEXT)
        assert shell.journey.session.status == "offline"
        assert not shell.journey.session.is_busy
    finally:
        shell.close()


def test_typed_reference_and_scanned_qr_reach_the_receiver(tmp_path):
    shell = make_shell(tmp_path)
    enrollment_id = new_enrollment_id()
    ref = reference(enrollment_id)
    shell.sync = ReceiverAnswers({ref: {"status": "rejected", "reasons": ["document_unreadable"]}})
    try:
        tap(shell, Intent.CHOOSE, "status")
        tap(shell, Intent.SET_FIELD, ref.lower(), "status_reference")
        tap(shell, Intent.NEXT)
        s = shell.journey.session
        assert (s.status, s.status_reasons) == ("rejected", ("document_unreadable",))
        tap(shell, Intent.CHOOSE, "again")
        assert s.status == "" and "status_reference" not in s.fields
        shell.hw.camera.show(qrcode.make(qr_content(enrollment_id), border=4).convert("RGB").resize((480, 480)))
        tap(shell, Intent.CHOOSE, "scan")
        assert shell.sync.asked == [ref, ref]
        assert s.status == "rejected"
        tap(shell, Intent.CHOOSE, "again")
        shell.hw.camera.show(qrcode.make("https://example.org/not-a-receipt").convert("RGB").resize((480, 480)))
        tap(shell, Intent.CHOOSE, "scan")
        assert s.error == "qr_unreadable" and len(shell.sync.asked) == 2
    finally:
        shell.close()


def test_status_screen_shows_reason_and_next_step_in_the_language():
    from tests.test_ui_screens import sample_session, show, view_of, visible_text

    ui = KioskUI(size=(1280, 800))
    ui.start()
    try:
        s = sample_session(Screen.STATUS_CHECK, "en")
        s.status, s.status_reasons = "rejected", ("document_expired", "no_such_code")
        show(ui, view_of(s))
        words = visible_text(ui.element("status"))
        assert "was not approved" in words and "The document had expired." in words
        assert "staff can explain" in words and "no_such_code" not in words  # an unknown code: plain words
        assert "enroll again" in words  # what to do next
        assert "again" in ui.element_ids()
    finally:
        ui.close()


def _spaced(words: str) -> str:
    return " ".join(words.split())


def _on_every_page(ui, view, prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """The texts of the elements named ``prefix`` (or ``prefix_N``/``prefix_more``: cut in pieces) on each of
    the screen's pages (large text pages long content), back on the first page afterwards."""
    from tests.test_ui_screens import check_layout, click, show, visible_text

    texts: dict[str, list[str]] = {prefix: [] for prefix in prefixes}
    turned = 0
    while True:
        for prefix in prefixes:
            texts[prefix] += [visible_text(ui.element(i)) for i in ui.element_ids()
                              if re.fullmatch(rf"{prefix}(_\d+|_more)?", i)]
        if "pager:next" not in ui.element_ids() or not ui.element("pager:next").is_enabled:
            break
        assert turned < 10, "the page does not turn"
        click(ui, "pager:next")
        show(ui, view)
        check_layout(ui, f"page {turned + 2}")
        turned += 1
    for _ in range(turned):
        click(ui, "pager:prev")
        show(ui, view)
    return texts


def test_status_screen_shows_every_stage_and_reason_in_every_language(tmp_path):
    """Received, accepted, provisioned, email sent, activated (ticked in order) and every rejection reason
    the receiver can give, in citizen words in each complete language, laid out without overflow."""
    from kiosk.domain.outcome import REJECTION_REASONS
    from kiosk.ui.screens.status_check import OUTCOMES, STAGES
    from kiosk.ui.i18n import Translator
    from tests.test_ui_screens import COMPLETE, check_layout, sample_session, show, shown, view_of, visible_text

    order = [name for name, _ in STAGES]
    ui = KioskUI(size=(1280, 800), double_tap_s=0.0)  # page turns come at test speed
    ui.start()
    try:
        for lang in COMPLETE:
            tr = Translator(lang)
            t = lambda msgid, lang=lang, tr=tr: shown(lang, tr(msgid))  # noqa: E731 - as the screen holds it
            for status in order:
                s = sample_session(Screen.STATUS_CHECK, lang)
                s.status, s.error = status, ""
                s.is_large_text = lang in ("de", "uk") or status == "provisioned"  # large text too
                show(ui, view_of(s))
                check_layout(ui, f"{lang}/status {status}{' large' if s.is_large_text else ''}")
                assert not ui.translator.missing, f"{lang}/{status}: untranslated {sorted(ui.translator.missing)}"
                texts = _on_every_page(ui, view_of(s), ("status", "stages"))  # large text: cut into pages
                words = " ".join(texts["status"]).replace("\u00a0", " ")  # zh: no breaks at spaces
                meaning, next_step = OUTCOMES[status]
                assert _spaced(html.escape(t(meaning))) in _spaced(words)
                assert _spaced(html.escape(t(next_step))) in _spaced(words)
                ticks = "<br>".join(texts["stages"]).split("<br>")
                reached = order.index(status)
                done = "✓" if ui.font.has_check_mark else "[X]"  # the Chinese font has no ✓
                if ticks == [""]:  # no room at all under a long card (large text): the card says it
                    assert s.is_large_text
                elif len(ticks) == 1:  # no room for the whole list (large text): the stage reached, "4/5"
                    assert ticks[0].startswith(done) and ticks[0].endswith(shown(lang, f"({reached + 1}/5)"))
                else:
                    assert [line.startswith(done) for line in ticks] == [i <= reached for i in range(5)]
                if lang == "en" and status == "email_sent":
                    assert "second half of the code" in words and "30 days" in words
                    ui.screenshot(tmp_path / "email_sent.png")
            codes = list(REJECTION_REASONS)
            for first in range(0, len(codes), 3):  # up to three reasons at once, as an operator gives them
                s = sample_session(Screen.STATUS_CHECK, lang)
                s.status, s.status_reasons, s.error = "rejected", tuple(codes[first:first + 3]), ""
                s.is_large_text = lang in ("de", "uk")  # the longest words, large
                show(ui, view_of(s))
                check_layout(ui, f"{lang}/status rejected {s.status_reasons}")
                assert not ui.translator.missing, f"{lang}/rejected: untranslated {sorted(ui.translator.missing)}"
                texts = _on_every_page(ui, view_of(s), ("status", "stages"))
                words = _spaced(html.unescape(" ".join(texts["status"])).replace("\u00a0", " "))
                for code in s.status_reasons:
                    assert _spaced(t(f"status_reason.{code}")) in words and code not in words
                assert "stages" not in ui.element_ids()
    finally:
        ui.close()
