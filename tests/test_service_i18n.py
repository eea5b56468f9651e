"""The technicians' service mode in Italian (the default) and English, through the ``service`` gettext
catalogue: every message the service screens can show is translated into Italian with the same
placeholders, every label fits its button, and other languages fall back to English."""

from __future__ import annotations

import string
from pathlib import Path

import pygame
import pytest

from kiosk.appliance.service_screen import LABELS, LOGIN_TITLE
from kiosk.config import load_config
from kiosk.ui.i18n import Translator, _catalogue

from test_service_mode import PIN, Rig, _login, config  # noqa: F401 - config is a fixture

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("kiosk/appliance/service.py", "kiosk/appliance/service_screen.py")


def _msgids() -> set[str]:
    from babel.messages.extract import extract_from_file

    found = set(LABELS.values()) | {LOGIN_TITLE}
    for source in SOURCES:
        found |= {msg for _, msg, _, _ in extract_from_file("python", ROOT / source, keywords={"t": None})}
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_service_message_is_translated_into_italian_with_the_same_placeholders():
    italian = _catalogue("it", "service")
    msgids = _msgids()
    assert len(msgids) > 50  # the extraction found the screens' words
    missing = sorted(m for m in msgids if not italian.get(m))
    assert not missing, f"service.po (it) lacks {missing[:10]}"
    wrong = sorted(m for m in msgids if _fields(italian[m]) != _fields(m))
    assert not wrong, f"placeholders differ: {wrong[:5]}"
    assert not sorted(set(italian) - msgids), "service.po (it) has entries no screen uses"


def test_other_languages_show_the_english_words():
    assert Translator("de", domain="service")("Test page printed") == "Test page printed"
    assert Translator("it", domain="service")("Test page printed") == "Pagina di prova stampata"


@pytest.fixture
def rig_in(config, tmp_path, monkeypatch):  # noqa: F811
    rigs = []

    def make(language: str) -> Rig:
        monkeypatch.setenv("SPORTELLO_JOURNEY__DEFAULT_LANGUAGE", language)
        rig = Rig(load_config(None), tmp_path / language)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()


def _labels_fit(rig) -> None:
    screen = rig.appliance.service_screen
    font, small = screen._fonts()
    assert small.size(rig.service.t(LOGIN_TITLE))[0] <= screen.title_width  # the login title clears "Exit"
    for name, rect in screen.layout().items():
        label = rig.service.t(LABELS.get(name, name))
        assert min(font.size(label)[0], small.size(label)[0]) <= rect.width - 8, f"{label!r} overflows {name}"


@pytest.mark.parametrize("language, words", [
    ("it", ("Accesso eseguito", "Lettore di tessere: avviato", "Pagina di prova stampata", "Niente di nuovo da esportare")),
    ("en", ("Logged in", "Card reader: started", "Test page printed", "Nothing new to export")),
])
def test_service_mode_screens_in_italian_and_english(rig_in, tmp_path, language, words):
    rig = rig_in(language)
    (tmp_path / "usb").mkdir(exist_ok=True)  # [service] usb_export_dir of the config fixture
    rig.service.open(rig.clock())
    rig.turn()
    _labels_fit(rig)
    pygame.image.save(rig.app.ui.surface, tmp_path / f"service-login-{language}.png")
    rig.type_pin(PIN)
    logged_in, devices = words[0], words[1]
    assert rig.service.state.message == logged_in
    assert rig.service.state.lines[0].startswith(devices)
    rig.turn()
    _labels_fit(rig)
    pygame.image.save(rig.app.ui.surface, tmp_path / f"service-devices-{language}.png")
    rig.press("test_page")
    assert rig.service.state.message == words[2]
    rig.press("page:queue")
    _labels_fit(rig)
    rig.press("export_usb")
    assert rig.service.state.message == words[3]
    rig.turn()
    pygame.image.save(rig.app.ui.surface, tmp_path / f"service-queue-{language}.png")
