"""Live checks and automatic capture on generated scenes: what the citizen is told to change."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.capture import checks, synth
from kiosk.capture.guide import AutoCapture
from kiosk.ui.i18n import Translator

PREVIEW = (640, 480)


def scene(**knobs) -> synth.Scene:
    base = dict(seed=3, size=PREVIEW, fill=0.62, angle=4.0, noise=2.0, clutter=5)
    return synth.make_scene(synth.Scenario(**{**base, **knobs}))


def corner_error(found: np.ndarray, true: np.ndarray) -> float:
    return float(np.abs(found - true).max())


@pytest.mark.parametrize("first", [0, 7000])  # the seeds we tuned on, and a held-out set never looked at
def test_the_outline_is_found_on_cluttered_desks_in_perspective(first):
    found = shown = 0
    for seed in range(first, first + 40):
        s = synth.make_scene(synth.random_scenario(seed, size=PREVIEW))
        if s.quad.min() < 5 or (s.quad > (PREVIEW[0] - 5, PREVIEW[1] - 5)).any():
            continue  # partly out of the picture: "move back", not an outline to find
        shown += 1
        quad = checks.find_outline(s.image)
        if quad is not None and corner_error(quad, s.quad) < 0.02 * PREVIEW[0]:
            found += 1
    assert shown >= 30 and found >= 0.88 * shown, f"outline found on {found}/{shown} scenes"


def test_a_good_frame_passes_every_check():
    result = checks.check_document(scene().image)
    assert result.guidance == checks.OK and result.is_ok
    assert 0.2 < result.fill < 0.6 and result.glare < checks.MAX_GLARE


@pytest.mark.parametrize(("knobs", "guidance"), [
    (dict(fill=0.3), "capture.move_closer"),
    (dict(fill=0.98), "capture.move_back"),
    (dict(glare=0.9), "capture.avoid_reflections"),
    (dict(blur=6.0), "capture.hold_still"),
    (dict(perspective=0.14, angle=0.0), "capture.flatten"),
    (dict(brightness=0.3), "capture.too_dark"),
])
def test_each_fault_names_what_to_change(knobs, guidance):
    assert checks.check_document(scene(**knobs).image).guidance == guidance


def test_an_empty_desk_black_frame_and_blown_out_frame():
    desk = synth.make_scene(synth.Scenario(seed=1, size=PREVIEW, fill=0.0001, clutter=0)).image
    assert checks.check_document(desk).guidance == "capture.no_document"
    assert checks.check_document(np.zeros((480, 640, 3), np.uint8)).guidance == "capture.camera_dark"
    assert checks.check_document(np.full((480, 640, 3), 255, np.uint8)).guidance == "capture.camera_bright"


def test_every_guidance_reads_as_plain_words_in_italian_and_english():
    codes = {"capture.ok", "capture.no_document", "capture.move_closer", "capture.move_back", "capture.flatten",
             "capture.too_dark", "capture.avoid_reflections", "capture.hold_still", "capture.camera_dark",
             "capture.camera_bright", "capture.no_face", "capture.one_face", "capture.face_closer",
             "capture.face_back", "capture.face_centre", "capture.camera_lost", "capture.auto",
             "document_mismatch"}
    for language in ("it", "en"):
        t = Translator(language)
        for code in codes:
            text = t.find(code)
            assert text and text != code and "capture." not in text, (language, code)
    assert Translator("it").find("capture.move_closer") != Translator("en").find("capture.move_closer")


def test_auto_capture_fires_once_after_a_run_of_steady_good_frames():
    good = scene().image
    guide = AutoCapture("document_back")
    fired = [guide.update(good) for _ in range(6)]
    assert fired == [False, False, False, True, False, False]
    guide.reset()
    assert guide.update(good) is False and guide.progress == 0.25


def test_a_moving_document_says_hold_still_and_never_fires():
    guide = AutoCapture("document_back")
    frames = [scene(angle=a).image for a in (0.0, 6.0, 12.0, 0.0, 6.0, 12.0)]
    assert not any(guide.update(f) for f in frames)
    assert guide.last.guidance == "capture.hold_still"


def test_one_bad_frame_restarts_the_count():
    good, glare = scene().image, scene(glare=0.9).image
    guide = AutoCapture("document_front")
    assert [guide.update(f) for f in (good, good, good, glare, good, good, good, good)] == [False] * 7 + [True]
    assert guide.last.is_ok


# -- faces -------------------------------------------------------------------------------------


def test_one_centred_face_passes():
    result = checks.check_face(synth.face_scene(0, size=PREVIEW))
    assert result.guidance == checks.OK and len(result.faces) == 1


@pytest.mark.parametrize(("knobs", "guidance"), [
    (dict(faces=2, scale=0.6), "capture.one_face"),
    (dict(offset=0.3), "capture.face_centre"),
    (dict(scale=0.22), "capture.face_closer"),
    (dict(blur=2.4), "capture.hold_still"),
])
def test_face_guidance(knobs, guidance):
    assert checks.check_face(synth.face_scene(0, size=PREVIEW, **knobs)).guidance == guidance


def test_no_face_on_a_document_or_a_wall():
    assert checks.check_face(scene().image).guidance == "capture.no_face"
    assert checks.check_face(np.full((480, 640, 3), 128, np.uint8)).guidance == "capture.no_face"


def test_auto_capture_of_a_face():
    guide = AutoCapture("face")
    frame = synth.face_scene(2, size=PREVIEW)
    assert [guide.update(frame) for _ in range(4)] == [False, False, False, True]
