"""Receipts in every language the kiosk speaks, and reprints after a crash in the citizen's language.

Text CP858 can hold goes to the printer as text (the code page set once); a line it cannot hold
(Romanian ș ț, Slovene č ž, Cyrillic, Arabic, Chinese) is drawn as a picture with the kiosk's fonts
at the printer's dot width. Each receipt is rendered from its bytes, its QR decoded and its words
read back with tesseract in that language.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils
import zxingcpp
from escpos.magicencode import MagicEncode
from sqlite_utils.migrations import Migrations

from hardware.printer.port import profile_info
from hardware.printer.render import render
from kiosk import text_fonts
from kiosk.receipt import CODE_PAGE, TEXTS, build_receipt, qr_content, receipt_language
from kiosk.store import m001_outbox, m002_status_reasons
from kiosk.ui.i18n import available_languages

from shell_helpers import running_shell

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "receipts"
TESSERACT = {"it": "ita", "en": "eng", "de": "deu", "fr": "fra", "sl": "slv", "ro": "ron", "sq": "sqi",
             "uk": "ukr", "ar": "ara", "zh": "chi_sim"}
PRINTED_AT = datetime(2026, 3, 12, 10, 42)
ENROLLMENT_ID = "01JD8Z5Q4W7YV3K2M9TXCRB6HN"


def a_receipt(language: str, profile: str = "TM-T20II", **changes) -> bytes:
    options = dict(kiosk_name="Comune di Prova", enrollment_id=ENROLLMENT_ID, reference="7F3A-91C2",
                   activation_first_half="Ab3xK9", language=language, printed_at=PRINTED_AT, profile=profile)
    options.update(changes)
    return build_receipt(**options)


def ocr(image, language: str, name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    image.save(path)
    result = subprocess.run(["tesseract", str(path), "-", "-l", TESSERACT[language], "--psm", "4"],
                            capture_output=True, text=True, check=True)
    return result.stdout


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("ş", "ș").replace("ţ", "ț")  # cedilla forms
    return re.sub(r"[^\w]+", " ", text)


def words_found(sentence: str, seen: str, language: str) -> float:
    """The share of ``sentence``'s words (characters, for Chinese) that tesseract read."""
    seen = _normal(seen)
    if language == "zh":
        letters = [c for c in sentence if unicodedata.category(c).startswith("L") and ord(c) > 0x2E80]
        seen = seen.replace(" ", "")
        return sum(c in seen for c in letters) / len(letters)
    words = [w for w in _normal(sentence).split() if len(w) > 2]
    seen_words = set(seen.split())
    return sum(w in seen_words for w in words) / len(words)


def test_every_language_of_the_ui_has_a_receipt():
    assert set(available_languages()) <= set(TEXTS)
    for language, texts in TEXTS.items():
        assert set(texts) == set(TEXTS["it"]), language
        assert receipt_language(language) == language, f"{language}: a font must draw it here"


@pytest.mark.parametrize("language", sorted(TESSERACT))
def test_the_receipt_reads_in_its_language_and_its_qr_decodes(language):
    data = a_receipt(language)
    image = render(data, width_px=profile_info("TM-T20II").width_px)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [qr_content(ENROLLMENT_ID)]
    seen = ocr(image, language, f"receipt-{language}")
    assert_reads_as(language, seen)


def assert_reads_as(language: str, seen: str) -> None:
    """Tesseract read the receipt's sentences in ``language`` (it misreads a letter here and there)."""
    t = TEXTS[language]
    for key in ("title", "code", "next", "status", "help", "keep"):
        assert words_found(t[key], seen, language) >= 0.5, f"{language} {key}: tesseract read {seen!r}"
    assert words_found(" ".join(t.values()), seen, language) >= 0.8, f"{language}: tesseract read {seen!r}"
    if language != "it":
        assert words_found(TEXTS["it"]["next"], seen, "it") < 0.3, "not the Italian receipt"


@pytest.mark.parametrize("language", ["uk", "zh"])
def test_the_58mm_receipt_is_drawn_for_its_narrower_paper(language):
    info = profile_info("POS-5890")
    image = render(a_receipt(language, profile="POS-5890"), width_px=info.width_px)
    assert image.width == info.width_px == 384
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [qr_content(ENROLLMENT_ID)]
    assert_reads_as(language, ocr(image, language, f"receipt-58mm-{language}"))  # nothing cut off at the edge


@pytest.mark.parametrize("language", sorted(TESSERACT))
def test_the_printer_never_gets_a_letter_its_code_page_lacks(language, monkeypatch):
    written = []
    original = MagicEncode.write

    def spy(self, text):
        written.append(text)
        return original(self, text)

    monkeypatch.setattr(MagicEncode, "write", spy)
    data = a_receipt(language)
    for text in written:
        text.encode(CODE_PAGE)  # raises UnicodeEncodeError: that letter would print as '?'
    if language in ("it", "en", "de", "fr", "sq"):
        assert any(TEXTS[language]["title"] in text for text in written), "CP858 covers it: printed as text"
    else:
        assert not any(TEXTS[language]["title"] in text for text in written), "printed as a picture"
    assert data.count(b"\x1bt\x13") >= 1  # ESC t 19: CP858, set at the start


def test_without_a_font_for_its_script_the_receipt_is_english_not_boxes(monkeypatch):
    monkeypatch.setattr(text_fonts, "_installed", lambda: [text_fonts.DEJAVU[0]])  # no CJK font
    assert receipt_language("zh") == "en"
    monkeypatch.setattr(text_fonts, "has_layout_engine", lambda: False)  # Arabic cannot be shaped
    assert receipt_language("ar") == "en"
    assert receipt_language("uk") == "uk" and receipt_language("xx") == "it"


# -- reprints after a crash --------------------------------------------------------------------------

CRASHING_KIOSK = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from kiosk.journey.events import Intent
    from shell_helpers import identify_by_operator, make_shell, tap
    from pathlib import Path

    shell = make_shell(Path({tmp!r}))
    tap(shell, Intent.SET_LANGUAGE, {language!r})
    shell.hw.printer.print_bytes = lambda data: os.kill(os.getpid(), signal.SIGKILL)  # dies as it prints
    identify_by_operator(shell)
    sys.exit(3)  # not reached
""")


@pytest.mark.parametrize("language", ["uk"])
def test_killed_before_printing_the_reprint_is_in_the_citizens_language(tmp_path, language):
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_KIOSK.format(tests=str(ROOT / "tests"), tmp=str(tmp_path), language=language)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"},
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    listed = subprocess.run([sys.executable, "-m", "kiosk", "receipts", "pending"], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "SPORTELLO_KIOSK__DATA_DIR": str(tmp_path / "var")})
    assert listed.returncode == 0 and f"language {language}" in listed.stdout, listed.stdout + listed.stderr

    with running_shell(tmp_path) as shell:
        (pending,) = shell.store.pending_print()
        assert pending.language == language
        shell.clock = lambda: PRINTED_AT
        assert shell.reprint_pending() == [pending.enrollment_id]
        (printed,) = shell.hw.printer.receipts
        assert printed == a_receipt(language, enrollment_id=pending.enrollment_id, reference=pending.reference,
                                    activation_first_half=pending.activation_first_half)
        image = render(printed, width_px=shell.hw.printer.width_px)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [qr_content(pending.enrollment_id)]
        seen = ocr(image, language, f"reprint-{language}")
        assert_reads_as(language, seen)
        assert shell.store.pending_print() == []
        with sqlite3.connect(shell.store.path) as conn:
            row = conn.execute("SELECT print_pending_code, print_pending_language FROM outbox").fetchone()
        assert row == (None, None), "nothing of the receipt stays once it has printed"


def test_a_receipt_pending_in_an_older_database_is_migrated_and_reprinted_in_italian(tmp_path):
    db_path = tmp_path / "var" / "kiosk.db"
    db_path.parent.mkdir(parents=True)
    older = Migrations("sportello-kiosk")  # the kiosk's migrations as they were before receipt languages
    older()(m001_outbox)
    older()(m002_status_reasons)
    db = sqlite_utils.Database(db_path)
    older.apply(db)
    db["outbox"].insert({"enrollment_id": ENROLLMENT_ID, "reference": "7F3A-91C2", "created_at": "2026-03-12T10:41:00Z",
                         "status": "queued", "packet": b"sealed", "packet_digest": "d", "packet_size": 6,
                         "attempts": 0, "print_pending_code": "Ab3xK9"})
    db.close()

    with running_shell(tmp_path) as shell:
        assert "m003_receipt_language" in shell.store.applied_migrations()
        (pending,) = shell.store.pending_print()
        assert (pending.enrollment_id, pending.language) == (ENROLLMENT_ID, "it")
        shell.clock = lambda: PRINTED_AT
        assert shell.reprint_pending() == [ENROLLMENT_ID]
        assert shell.hw.printer.receipts == [a_receipt("it")]

