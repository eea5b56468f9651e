"""The capture step in the running kiosk: MRZ cross-check, camera faults, live guidance and auto-capture."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hardware.card.simcard import SimCard
from kiosk.app import KioskApp
from kiosk.capture import synth
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.ui.i18n import Translator

from shell_helpers import running_shell, tap

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def shell(tmp_path):
    with running_shell(tmp_path) as shell:
        yield shell


def card_scene(holder=synth.SAMPLE_HOLDER, **knobs) -> np.ndarray:
    base = dict(seed=21, side="back", fill=0.64, angle=-4.0, perspective=0.01, noise=2.0, holder=holder)
    return synth.make_scene(synth.Scenario(**{**base, **knobs})).image


def to_document(shell, doc_type: str = "idcard") -> None:
    tap(shell, Intent.START)
    tap(shell, Intent.NEXT)
    shell.hw.card_reader.insert(SimCard.sample())
    shell.settle()
    tap(shell, Intent.NEXT)
    tap(shell, Intent.CHOOSE, doc_type)
    assert shell.journey.session.screen is Screen.DOCUMENT_FRONT


def shoot(shell, image: np.ndarray) -> None:
    shell.hw.camera.show(image)
    tap(shell, Intent.CAPTURE)


def test_the_zone_is_read_agrees_with_the_card_and_fills_in_the_details(shell):
    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    shoot(shell, card_scene())
    s = shell.journey.session
    assert s.mrz and s.mrz["is_valid"] and s.mismatches == () and s.error == ""
    assert s.notice == "capture.mrz_read"
    stored = s.captures["document_back"]
    assert (stored.width, stored.height) == (1012, 638)  # straightened to ID-1
    with Image.open(io.BytesIO(stored.jpeg)) as image:
        assert not image.getexif()
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.DOCUMENT_DETAILS
    assert (s.fields["document_number"], s.fields["document_expiry_date"]) == ("CA12345AB", "12/03/2032")


def test_someone_elses_document_is_shown_never_accepted(shell):
    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    stranger = dataclasses.replace(synth.SAMPLE_HOLDER, surname="ROSSI", given_name="MARIO",
                                   birth_date=synth.SAMPLE_HOLDER.birth_date.replace(year=1970))
    shoot(shell, card_scene(holder=stranger))
    s = shell.journey.session
    assert s.error == "document_mismatch" and set(s.mismatches) == {"surname", "given_name", "birth_date"}
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.DOCUMENT_MISMATCH  # not accepted: the citizen chooses what to do
    tap(shell, Intent.CHOOSE, "correct")  # the card's chip data cannot be "corrected"
    assert s.screen is Screen.DOCUMENT_MISMATCH and not s.marked_fields
    tap(shell, Intent.CHOOSE, "retake")
    assert s.screen is Screen.DOCUMENT_BACK and "document_back" not in s.captures and s.mismatches == ()
    shoot(shell, card_scene())  # the citizen fetches their own card
    assert s.mismatches == () and s.error == ""
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.DOCUMENT_DETAILS


def test_a_typed_number_that_differs_from_the_zone_is_marked_for_correction(shell):
    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    shoot(shell, card_scene())
    tap(shell, Intent.NEXT)
    for name, value in {"document_number": "CA12345AC", "document_issuer": "Comune di Roma",
                        "document_issue_date": "10/05/2021"}.items():
        tap(shell, Intent.SET_FIELD, value, name)
    tap(shell, Intent.NEXT)
    s = shell.journey.session
    assert s.screen is Screen.DOCUMENT_MISMATCH and s.mismatches == ("document_number",)
    tap(shell, Intent.CHOOSE, "correct")
    assert s.screen is Screen.DOCUMENT_DETAILS and s.marked_fields == ("document_number",)
    assert s.error == "mismatch_correct"
    tap(shell, Intent.SET_FIELD, "CA12345AB", "document_number")
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.HEALTH_CARD_FRONT and s.marked_fields == () and not s.mrz_overrides


def test_the_operator_confirms_the_document_and_the_override_is_sealed_for_the_reviewer(shell, tmp_path):
    from kiosk import payload as payload_format
    from kiosk import sealing
    from shell_helpers import OPERATOR_PIN, identify_by_operator

    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    misread = dataclasses.replace(synth.SAMPLE_HOLDER, surname="BIANCO")  # say the zone reads another surname
    shoot(shell, card_scene(holder=misread))
    s = shell.journey.session
    assert s.mismatches == ("surname",)
    tap(shell, Intent.NEXT)
    tap(shell, Intent.CHOOSE, "operator")
    assert s.screen is Screen.OPERATOR and s.operator_task == "mismatch"
    assert True in shell.hw.panel.states("help_led")  # staff called
    shell.hw.card_reader.remove()
    shell.hw.card_reader.insert(SimCard.sample_operator())
    tap(shell, Intent.SET_FIELD, OPERATOR_PIN, "operator_pin")
    tap(shell, Intent.NEXT)
    assert s.operator_id
    tap(shell, Intent.CHOOSE, "refuse")  # first the operator says the data differ: nothing is accepted
    assert s.screen is Screen.DOCUMENT_MISMATCH and s.error == "mismatch_refused" and not s.mrz_overrides
    assert not s.operator_id and not shell.hw.panel.pin("help_led").state
    tap(shell, Intent.CHOOSE, "operator")
    tap(shell, Intent.SET_FIELD, OPERATOR_PIN, "operator_pin")
    tap(shell, Intent.NEXT)
    tap(shell, Intent.CHOOSE, "confirm")
    assert s.screen is Screen.DOCUMENT_BACK and s.notice == "mismatch_confirmed" and s.mismatches == ()
    assert [o.fields for o in s.mrz_overrides] == [("surname",)] and not s.operator_id
    operator_ref = s.mrz_overrides[0].operator_id
    tap(shell, Intent.NEXT)
    assert s.screen is Screen.DOCUMENT_DETAILS
    shell.hw.card_reader.remove()
    shell.hw.card_reader.insert(SimCard.sample())
    shell.settle()
    identify_by_operator(shell)
    assert s.screen is Screen.RECEIPT
    packet = shell.store.packet(s.enrollment_id)
    keys = tmp_path / "receiver" / "keys"
    private = sealing.load_receiver_private(keys / "receiver.key")
    kiosk_key = sealing.load_or_create_signing_key(tmp_path / "var" / "keys" / "kiosk.key").public_key()
    payload = payload_format.decode(sealing.open_packet(
        packet, private_key=private, key_id=sealing.key_id_for(private.public_key()),
        trusted_kiosks={"test-kiosk": kiosk_key}, expected_enrollment_id=s.enrollment_id))
    overrides = payload["document_check"]["mrz_overrides"]
    assert len(overrides) == 1 and overrides[0]["fields"] == ["surname"]
    assert overrides[0]["resolution"] == "operator_confirmed_document" and overrides[0]["operator_id"] == operator_ref


def test_a_passport_is_read_from_its_data_page(shell):
    to_document(shell, "passport")
    passport = dataclasses.replace(synth.SAMPLE_HOLDER, doc_type="passport", document_number="YA1234567")
    shoot(shell, card_scene(holder=passport, doc_type="passport"))
    s = shell.journey.session
    assert s.mrz and s.mrz["format"] == "TD3" and s.mismatches == ()
    assert (s.captures["document_front"].width, s.captures["document_front"].height) == (1476, 1039)


def test_black_and_blown_out_frames_say_so_and_the_journey_goes_on(shell):
    to_document(shell)
    shoot(shell, np.zeros((1200, 1600, 3), np.uint8))
    s = shell.journey.session
    assert s.error == "capture.camera_dark" and "document_front" not in s.captures and not s.is_busy
    shoot(shell, np.full((1200, 1600, 3), 255, np.uint8))
    assert s.error == "capture.camera_bright"
    shoot(shell, card_scene(side="front"))
    assert "document_front" in s.captures and s.error == ""


def test_camera_unplugged_mid_session_then_back(shell):
    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    shell.hw.camera.unplug()
    tap(shell, Intent.CAPTURE)
    s = shell.journey.session
    assert s.screen is Screen.DOCUMENT_BACK and s.error == "camera_missing" and not s.is_busy
    assert "document_front" in s.captures  # nothing lost
    shell.hw.camera.plug()
    shoot(shell, card_scene())
    assert "document_back" in s.captures and s.mrz


def test_frames_that_stop_mid_session_say_so_and_nothing_is_lost(shell):
    to_document(shell)
    shoot(shell, card_scene(side="front"))
    tap(shell, Intent.NEXT)
    shell.hw.camera.stall()  # connected, but no frame comes any more
    tap(shell, Intent.CAPTURE)
    s = shell.journey.session
    assert s.screen is Screen.DOCUMENT_BACK and s.error == "camera_missing" and not s.is_busy
    assert "document_front" in s.captures
    assert "Help" in Translator("en").message(s.error)  # the citizen is told to call staff
    shell.hw.camera.resume()
    shoot(shell, card_scene())
    assert "document_back" in s.captures and s.error == ""


def test_the_size_cap_from_config_holds(shell):
    shell.max_image_bytes = 60_000
    to_document(shell)
    shoot(shell, card_scene(side="front", noise=12.0))
    assert len(shell.journey.session.captures["document_front"].jpeg) <= 60_000


# -- the live screen -----------------------------------------------------------------------------


@pytest.fixture
def app(shell):
    from kiosk.ui.app import KioskUI

    ui = KioskUI(size=(1280, 800))
    ui.start()
    app = KioskApp(shell, ui)
    app.render()
    yield app
    app.close()


def guidance_text(app) -> str:
    return app.ui.element("guidance").html_text if "guidance" in app.ui.element_ids() else ""


def test_live_guidance_on_screen_then_the_photo_takes_itself(app, tmp_path):
    shell = app.shell
    to_document(shell)
    shell.hw.camera.show(card_scene(side="front", glare=0.9))
    for _ in range(3):
        app.step([])
    italian = Translator("it").message("capture.avoid_reflections")
    assert italian in guidance_text(app).replace("&#x27;", "'")
    app.ui.screenshot(ROOT / "var" / "test-artifacts" / "capture" / "live-guidance.png")
    assert "document_front" not in shell.journey.session.captures
    shell.hw.camera.show(card_scene(side="front"))
    for _ in range(8):
        app.step([])
        shell.settle()
    assert "document_front" in shell.journey.session.captures  # taken by itself, no tap


def test_live_preview_survives_an_unplugged_camera(app):
    shell = app.shell
    to_document(shell)
    app.step([])
    shell.hw.camera.unplug()
    app.step([])
    assert Translator("it").message("capture.camera_lost")[:20] in guidance_text(app).replace("&#x27;", "'")
    assert shell.journey.session.screen is Screen.DOCUMENT_FRONT
    tap(shell, Intent.CAPTURE)  # manual capture says what happened; help stays on screen
    assert shell.journey.session.error == "camera_missing"


def test_live_preview_says_so_when_frames_stop_then_recovers(app):
    shell = app.shell
    to_document(shell)
    shell.hw.camera.show(card_scene(side="front", glare=0.9))
    app.step([])
    shell.hw.camera.stall()
    app.step([])
    assert Translator("it").message("capture.camera_lost")[:20] in guidance_text(app).replace("&#x27;", "'")
    assert shell.journey.session.screen is Screen.DOCUMENT_FRONT and not shell.journey.session.captures
    shell.hw.camera.resume()
    app.step([])
    assert Translator("it").message("capture.camera_lost")[:20] not in guidance_text(app).replace("&#x27;", "'")


# -- kiosk capture analyse ------------------------------------------------------------------------


def test_capture_analyse_cli(tmp_path):
    image = tmp_path / "card.png"
    Image.fromarray(card_scene()).save(image)
    done = subprocess.run([sys.executable, "-m", "kiosk", "capture", "analyse", str(image), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outline_found"] and result["document_type"] == "idcard" and result["mrz_valid"]
    assert result["mrz"]["document_number"] == "CA12345AB" and not result["face_found"]
    face = tmp_path / "face.png"
    Image.fromarray(synth.face_scene(1, size=(800, 600))).save(face)
    text = subprocess.run([sys.executable, "-m", "kiosk", "capture", "analyse", str(face)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120).stdout
    assert "face found       yes" in text and "MRZ              not found" in text
