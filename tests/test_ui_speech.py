"""Spoken guidance: each screen and each key is said in the screen's language, never a PIN or a code."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import wave

import pytest

from hardware.panel.sim import MockPanel
from kiosk.app import wire_speech
from kiosk.journey.screens import Screen
from kiosk.ui.app import KioskUI
from kiosk.ui.speech import EspeakNg, Speech, SpeechLog
from tests.test_ui_keyboard import blank, show, type_keys
from tests.test_ui_screens import sample_session

PIN = "2580741"


@pytest.fixture
def logged():
    speech = Speech(SpeechLog())
    speech.is_enabled = True
    ui = KioskUI(size=(1280, 800), speech=speech)
    ui.clock = lambda: 0.0  # the hint's pause never elapses unless a test moves this clock: no timing
    ui.start()
    yield ui, speech.backend
    ui.close()


def test_screen_is_read_in_its_language_and_keys_are_named(logged):
    ui, log = logged
    s = blank(Screen.EMAIL, "en")
    show(ui, s)
    language, words = log.said[-1]
    assert language == "en" and "Your email address" in words and "Next" in words
    type_keys(ui, s, ["key:a", "key:@"])
    assert log.said[-2:] == [("en", "a"), ("en", "@")]
    s.language = "de"
    show(ui, s)
    assert log.said[-1][0] == "de" and "E-Mail-Adresse" in log.said[-1][1]


def test_pin_digits_are_never_spoken(logged):
    ui, log = logged
    s = blank(Screen.PIN, "it")
    s.pin_tries_left = 3
    show(ui, s)
    type_keys(ui, s, [f"key:{d}" for d in PIN] + ["key:backspace"])
    said = " ".join(text for _, text in log.said)
    assert "Tasto" in said  # each press is acknowledged…
    for digit in set(PIN):
        assert digit not in said.replace("Tentativi rimasti: 3", "").replace("da 5 a 8 cifre", "")  # …never its digit
    assert PIN[:-1] not in said


def test_receipt_codes_are_never_read(logged):
    ui, log = logged
    s = sample_session(Screen.RECEIPT, "it")
    show(ui, s)
    said = " ".join(text for _, text in log.said)
    assert "Ho finito" in said
    assert s.reference not in said and s.activation_first_half not in said


def test_silent_without_headphones_and_wired_to_the_panel_jack():
    panel = MockPanel()
    panel.start()
    speech = Speech(SpeechLog())
    ui = KioskUI(size=(1280, 800), speech=speech)
    ui.start()
    try:
        wire_speech(ui, panel)
        show(ui, blank(Screen.EMAIL))
        assert speech.backend.said == []  # nothing plugged in: silence
        panel.press("headphones")  # plug in
        assert speech.is_enabled
        show(ui, blank(Screen.MOBILE))
        assert speech.backend.said and "cellulare" in speech.backend.said[-1][1]
        panel.release("headphones")
        assert not speech.is_enabled
    finally:
        ui.close()
        panel.close()


def test_espeak_ng_really_speaks_each_utterance_to_wav(tmp_path):
    backend = EspeakNg(wav_dir=tmp_path)
    speech = Speech(backend)
    speech.is_enabled = True
    ui = KioskUI(size=(1280, 800), speech=speech)
    ui.start()
    try:
        s = blank(Screen.PIN, "fr")
        show(ui, s)
        type_keys(ui, s, ["key:7", "key:3"])
        backend.wait()
        assert [lang for lang, _ in backend.history] == ["fr", "fr", "fr"]
        assert not any(d in text for _, text in backend.history[1:] for d in "73")
        assert len(backend.written) == 3
        for path in backend.written:
            with wave.open(str(path)) as w:
                assert w.getnframes() > w.getframerate() // 10  # at least a tenth of a second of speech
    finally:
        ui.close()


def test_a_changed_hint_is_read_once_typing_pauses(logged):
    """The live hint ("the @ is missing") is read when it changes, after a pause: not on every key, never twice
    the same; its clock is the UI's own, so the test does not depend on how fast the machine is."""
    ui, log = logged
    clock = [100.0]
    ui.clock = lambda: clock[0]
    s = blank(Screen.EMAIL, "en")
    show(ui, s)
    hints = lambda: [text for _, text in log.said if text.startswith(("The @", "After the @", "Email address is"))]
    type_keys(ui, s, ["key:m", "key:a"])
    clock[0] += 0.5
    type_keys(ui, s, ["key:r"])  # still typing: the pause starts again from this key
    clock[0] += 0.6
    show(ui, s)
    assert hints() == [] and log.said[-1] == ("en", "r")
    clock[0] += 0.5
    show(ui, s)
    assert hints() == ["The @ is missing, as in mario.rossi@gmail.com"]
    assert ui.seconds_to_next_event() is None  # nothing left to say: the loop may sleep
    type_keys(ui, s, ["key:i"])  # the same hint: not said again
    clock[0] += 2
    show(ui, s)
    assert len(hints()) == 1
    type_keys(ui, s, ["key:@"])
    assert 0 < ui.seconds_to_next_event() <= 1.0  # the loop wakes for it
    clock[0] += 2
    show(ui, s)
    type_keys(ui, s, ["key:gmail.com"])
    clock[0] += 2
    show(ui, s)
    assert hints() == ["The @ is missing, as in mario.rossi@gmail.com", "After the @ tap your domain, such as gmail.com",
                       "Email address is correct"]
    assert all(language == "en" for language, _ in log.said)


def test_code_hints_are_read_without_the_code_and_errors_on_the_hint_line_are_read(logged):
    ui, log = logged
    clock = [0.0]
    ui.clock = lambda: clock[0]
    s = blank(Screen.EMAIL_CODE, "en")
    show(ui, s)
    type_keys(ui, s, ["key:7", "key:3", "key:9", "key:1"])
    clock[0] += 5
    show(ui, s)
    said = " ".join(text for _, text in log.said)
    assert "The code has the right length" in said
    assert "7391" not in said.replace(" ", "") and not any(text in "7391" for _, text in log.said)
    s.error = "code_wrong"
    show(ui, s)
    from kiosk.ui.i18n import Translator
    assert Translator("en").message("code_wrong") in log.said[-1][1]


def test_arabic_is_read_in_reading_order(logged):
    """The labels hold Arabic prepared for right-to-left drawing; what is spoken is the sentence as written."""
    ui, log = logged
    show(ui, sample_session(Screen.WELCOME, "ar"))
    language, words = log.said[-1]
    assert language == "ar"
    assert "SPID" in words and "DIPS" not in words
    assert "احصل هنا على هويتك الرقمية SPID" in words


@pytest.mark.parametrize(("language", "words"), [("ar", "أدخل بطاقتك الصحية"), ("zh", "请插入您的医疗卡")])
def test_espeak_ng_speaks_arabic_and_chinese(tmp_path, language, words):
    backend = EspeakNg(wav_dir=tmp_path)
    try:
        backend.speak(words, language)
        backend.wait()
        (path,) = backend.written
        with wave.open(str(path)) as w:
            assert w.getnframes() > w.getframerate() // 2  # half a second at least: the words were voiced
    finally:
        backend.close()
