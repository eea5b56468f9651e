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


# -- searching again only when the picture changed (live frames) ---------------------------------


def camera_noise(frame: np.ndarray, seed: int) -> np.ndarray:
    """The same scene as the camera sends it again: fresh sensor noise."""
    noise = np.random.default_rng(seed).normal(0, 2.5, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def test_the_outline_is_searched_again_only_when_the_document_moves():
    tracker = checks.OutlineTracker()
    still_frames = [camera_noise(scene().image, i) for i in range(5)]
    for frame in still_frames:
        tracked, fresh = checks.check_document(frame, tracker=tracker), checks.check_document(frame)
        assert tracked.guidance == fresh.guidance == checks.OK
        assert corner_error(tracked.quad, fresh.quad) < 3
    assert (tracker.searches, tracker.reuses) == (1, 4)  # noise alone is not a change
    moved = scene(angle=12.0)  # the citizen turns the card
    result = checks.check_document(moved.image, tracker=tracker)
    assert tracker.searches == 2 and corner_error(result.quad, moved.quad) < 0.02 * PREVIEW[0]
    blurred = checks.check_document(scene(angle=12.0, blur=6.0).image, tracker=tracker)
    assert blurred.guidance == "capture.hold_still"  # sharpness is measured on every frame, tracked or not
    taken_away = checks.check_document(synth.make_scene(synth.Scenario(seed=1, size=PREVIEW, fill=0.0001,
                                                                       clutter=0)).image, tracker=tracker)
    assert taken_away.guidance == "capture.no_document"


def test_the_face_detector_runs_again_only_when_the_picture_changes():
    finder = checks.FaceFinder()
    frame = synth.face_scene(0, size=PREVIEW)
    results = [checks.check_face(camera_noise(frame, i), finder=finder) for i in range(5)]
    assert all(r.guidance == checks.OK and len(r.faces) == 1 for r in results)
    assert (finder.searches, finder.reuses) == (1, 4)
    aside = checks.check_face(synth.face_scene(0, size=PREVIEW, offset=0.3), finder=finder)
    assert finder.searches == 2 and aside.guidance == "capture.face_centre"
    assert aside.faces[0][0] > results[0].faces[0][0] + 100  # the box followed the face
    two = checks.check_face(synth.face_scene(0, size=PREVIEW, faces=2, scale=0.6), finder=finder)
    assert two.guidance == "capture.one_face"


def test_a_retake_searches_afresh():
    guide = AutoCapture("document_back")
    good = scene().image
    guide.update(good)
    guide.reset()
    guide.update(good)
    assert guide._outlines.searches == 2
