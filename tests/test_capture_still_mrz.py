"""The still pipeline (straighten, JPEG under the cap, no metadata) and the MRZ reader."""

from __future__ import annotations

import dataclasses
import io
import random

import cv2
import numpy as np
import pytest
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td3 import TD3CodeChecker
from PIL import Image

from kiosk.capture import mrz_reader, still, synth


def test_generated_zones_have_valid_check_digits():
    rng = random.Random(5)
    for doc_type, checker in (("idcard", TD1CodeChecker), ("passport", TD3CodeChecker)):
        for _ in range(10):
            holder = synth.random_holder(rng, doc_type=doc_type)
            assert bool(checker(holder.mrz))
            assert mrz_reader.check_digit(holder.document_number) in holder.mrz


def test_a_still_is_straightened_to_id1_and_encoded_without_metadata():
    s = synth.make_scene(synth.Scenario(seed=4, size=(2028, 1520), angle=8, perspective=0.03, fill=0.6))
    result = still.process_document(s.image, doc_type="idcard")
    assert result.is_outline_found and (result.width, result.height) == (1012, 638)
    assert abs(result.width / result.height - 85.6 / 54) < 0.01
    jpeg = result.jpeg
    assert jpeg[:2] == b"\xff\xd8" and b"Exif" not in jpeg and b"\xff\xe1" not in jpeg
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.size == (1012, 638) and not image.getexif()
    assert len(jpeg) < 400_000  # far below the 2.5 MB cap
    # straight: the zone's rows are horizontal in the stored picture
    assert mrz_reader.read_mrz(result.document, doc_type="idcard").document_number == s.holder.document_number


def test_the_size_cap_holds_even_when_tiny():
    noisy = np.random.default_rng(1).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    for cap in (2_500_000, 200_000, 40_000):
        assert len(still.encode_jpeg(noisy, max_bytes=cap)) <= cap
    with pytest.raises(still.ImageTooLarge):
        still.encode_jpeg(noisy, max_bytes=100)


def test_without_an_outline_the_whole_frame_is_kept_smaller():
    blank = np.full((3040, 4056, 3), 90, np.uint8)
    result = still.process_document(blank)
    assert not result.is_outline_found and max(result.width, result.height) == still.MAX_SIDE


def _read(seed: int, **knobs) -> tuple[synth.Scene, mrz_reader.MrzReading | None]:
    scenario = synth.random_scenario(seed, **knobs)
    s = synth.make_scene(scenario)
    quad = still.locate(s.image)
    if quad is None:
        return s, None
    return s, mrz_reader.read_mrz(still.mrz_copy(s.image, quad, doc_type=s.holder.doc_type), doc_type=s.holder.doc_type)


@pytest.mark.parametrize("first", [0, 9000])  # tuned on the first set; the second is held out
def test_zones_are_read_with_valid_check_digits_across_blur_tilt_and_glare(first):
    right, wrong, formats = 0, 0, set()
    for seed in range(first, first + 12):
        s, reading = _read(seed, doc_type=("idcard", "passport")[seed % 2])
        if reading is not None and reading.is_valid:
            # the fields under check digits; names have none (the cross-check compares them loosely)
            is_right = (reading.document_number == s.holder.document_number
                        and reading.birth_date == s.holder.birth_date and reading.expiry_date == s.holder.expiry_date)
            right += is_right
            wrong += not is_right
            formats.add(reading.format)
    assert formats == {"TD1", "TD3"}
    # check digits cannot catch every pair of errors (O/0 and 6/8 can cancel out): rare, and a
    # wrong number then shows up as a mismatch for the citizen, never as silent acceptance
    assert right >= 10 and wrong <= 1, (right, wrong)


def test_an_unreadable_zone_is_never_reported_valid():
    s = synth.make_scene(synth.Scenario(seed=2, blur=9.0))
    quad = still.locate(s.image)
    reading = mrz_reader.read_mrz(still.mrz_copy(s.image, quad), doc_type="idcard") if quad is not None else None
    assert reading is None or not reading.is_valid


def test_no_zone_on_the_front_of_an_identity_card():
    s = synth.make_scene(synth.Scenario(seed=6, side="front"))
    quad = still.locate(s.image)
    reading = mrz_reader.read_mrz(still.mrz_copy(s.image, quad), doc_type="idcard")
    assert reading is None or not reading.is_valid


def test_position_aware_corrections_of_tesseract_text():
    holder = synth.SAMPLE_HOLDER
    l1, l2, l3 = holder.mrz.split("\n")
    # what an OCR engine typically makes of OCR-B: O for 0 in dates, K for fillers, 1 for I in names
    garbled = [l1.replace("<<<<", "KKKK", 1), l2[:4].replace("0", "O") + l2[4:].replace("3", "3"),
               l3.replace("GIULIA", "G1UL1A")]
    reading = mrz_reader.parse_lines(garbled)
    assert reading is not None and reading.is_valid
    assert (reading.document_number, reading.birth_date, reading.given_names) == (
        holder.document_number, holder.birth_date, holder.given_name)


def test_tesseract_runs_on_the_zone():
    doc = np.asarray(synth.render_document(synth.SAMPLE_HOLDER, side="back"))
    band = mrz_reader.zone_band(doc, "idcard")
    lines = [line for line in mrz_reader.ocr_lines(cv2.resize(band, None, fx=0.6, fy=0.6)) if len(line) >= 20]
    assert len(lines) == 3 and "BIANCHI" in lines[2]


@pytest.mark.parametrize("doc_type", ["idcard", "passport"])
def test_tesseract_reads_the_zone_by_position(doc_type):
    """tesseract alone (no OCR-B cells): characters put in their cells by their boxes, fillers by shape.

    On the identity card tesseract misreads the final composite digit of this picture, so only the
    fields with their own check digits are asserted there; the passport reads whole."""
    holder = synth.SAMPLE_HOLDER if doc_type == "idcard" else dataclasses.replace(
        synth.SAMPLE_HOLDER, doc_type="passport", document_number="YA1234567")
    s = synth.make_scene(synth.Scenario(seed=5, side="back", doc_type=doc_type, holder=holder, fill=0.7,
                                        angle=3.0, noise=2.0))
    quad = still.locate(s.image)
    band = mrz_reader.zone_band(still.mrz_copy(s.image, quad, doc_type=doc_type), doc_type)
    reading = mrz_reader.read_tesseract(band, "TD3" if doc_type == "passport" else "TD1")
    assert reading is not None
    held = {name for name, ok in reading.checks.items() if ok}
    assert {"document_number", "birth_date", "expiry_date"} <= held
    assert reading.is_valid or doc_type == "idcard", reading.checks
    assert (reading.document_number, reading.birth_date, reading.expiry_date, reading.surname) == (
        holder.document_number, holder.birth_date, holder.expiry_date, holder.surname)


def test_when_the_cells_cannot_be_read_tesseract_still_reads_the_zone(monkeypatch):
    holder = dataclasses.replace(synth.SAMPLE_HOLDER, doc_type="passport", document_number="YA1234567")
    s = synth.make_scene(synth.Scenario(seed=5, side="back", doc_type="passport", holder=holder, fill=0.7,
                                        angle=3.0, noise=2.0))
    copy = still.mrz_copy(s.image, still.locate(s.image), doc_type="passport")
    monkeypatch.setattr(mrz_reader, "read_cells", lambda band: None)
    reading = mrz_reader.read_mrz(copy, doc_type="passport")
    assert reading is not None and reading.is_valid and reading.document_number == "YA1234567"
    assert mrz_reader.read_mrz(copy, doc_type="passport", use_tesseract=False) is None
