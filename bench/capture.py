"""Benchmark: the capture pipeline on generated documents (no real documents anywhere).

Not a test: it prints figures and ends with one JSON line.
- live checks: ms per 640x480 preview frame (target <= 5 ms); baseline measured in the same run:
  the unavoidable floor of converting and shrinking that frame;
- the still pipeline on a 4056x3040 (12 MP) frame: find + straighten + JPEG (target <= 150 ms);
  baseline: JPEG-encoding the whole frame once;
- MRZ: time and success rate (all check digits valid and the right fields) on N generated
  documents across blur, tilt, glare and noise (target >= 95 %); baseline: tesseract alone with
  the same corrections, on the first documents;
- bytes per stored image.
Run: bench/capture [--documents N] [--frames N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.capture import checks, mrz_reader, still, synth  # noqa: E402


def ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def live(frames: int) -> dict:
    scenes = [synth.make_scene(synth.random_scenario(seed, size=(640, 480))).image for seed in range(20)]
    checks.check_document(scenes[0])  # warm up
    doc = statistics.median(ms(lambda f=f: checks.check_document(f), frames // 20 or 1) for f in scenes)
    face_frame = synth.face_scene(0, size=(640, 480))
    face = ms(lambda: checks.check_face(face_frame), frames // 4 or 1)
    floor = statistics.median(ms(lambda f=f: cv2.cvtColor(cv2.resize(f, (320, 240), interpolation=cv2.INTER_AREA),
                                                         cv2.COLOR_RGB2GRAY), frames // 20 or 1) for f in scenes)
    return {"live_doc_ms": round(doc, 2), "live_face_ms": round(face, 2), "live_baseline_ms": round(floor, 3)}


def still_pipeline(runs: int) -> dict:
    scene = synth.make_scene(synth.Scenario(seed=3, size=(4056, 3040), angle=6, perspective=0.02, fill=0.6))
    image = scene.image
    result = still.process_document(image)
    assert result.is_outline_found
    total = ms(lambda: still.process_document(image), runs)
    whole_jpeg = ms(lambda: cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88]), runs)
    return {"still_12mp_ms": round(total, 1), "still_baseline_whole_jpeg_ms": round(whole_jpeg, 1),
            "still_jpeg_bytes": len(result.jpeg)}


def mrz(documents: int, tesseract_documents: int) -> dict:
    right = wrong = 0
    times, tess_times, sizes = [], [], []
    tess_right = 0
    by_blur: dict[float, list[int]] = {}
    for seed in range(documents):
        scenario = synth.random_scenario(20_000 + seed, doc_type=("idcard", "passport")[seed % 2])
        scene = synth.make_scene(scenario)
        holder = scene.holder
        start = time.perf_counter()
        quad = still.locate(scene.image)
        reading = None
        if quad is not None:
            stored = still.process_document(scene.image, doc_type=holder.doc_type, quad=quad)
            sizes.append(len(stored.jpeg))
            copy = still.mrz_copy(scene.image, quad, doc_type=holder.doc_type)
            reading = mrz_reader.read_mrz(copy, doc_type=holder.doc_type)
        times.append(time.perf_counter() - start)
        ok = bool(reading and reading.is_valid)
        is_right = ok and (reading.document_number, reading.birth_date, reading.expiry_date) == (
            holder.document_number, holder.birth_date, holder.expiry_date)
        right += is_right
        wrong += ok and not is_right
        by_blur.setdefault(scenario.blur, []).append(int(is_right))
        if seed < tesseract_documents and quad is not None:
            start = time.perf_counter()
            band = mrz_reader.zone_band(copy, holder.doc_type)
            t_reading = mrz_reader.parse_lines(mrz_reader.ocr_lines(band))
            tess_times.append(time.perf_counter() - start)
            tess_right += bool(t_reading and t_reading.is_valid
                               and t_reading.document_number == holder.document_number)
    return {
        "mrz_documents": documents, "mrz_valid_and_right": right, "mrz_valid_but_wrong": wrong,
        "mrz_success_rate": round(right / documents, 3),
        "mrz_success_by_blur": {str(b): round(sum(v) / len(v), 3) for b, v in sorted(by_blur.items())},
        "mrz_ms_median": round(statistics.median(times) * 1000, 1),
        "mrz_ms_p95": round(sorted(times)[int(0.95 * (len(times) - 1))] * 1000, 1),
        "baseline_tesseract_only_documents": len(tess_times),
        "baseline_tesseract_only_success_rate": round(tess_right / max(1, len(tess_times)), 3),
        "baseline_tesseract_only_ms_median": round(statistics.median(tess_times) * 1000, 1) if tess_times else None,
        "stored_image_bytes_median": int(statistics.median(sizes)) if sizes else 0,
        "stored_image_bytes_max": max(sizes) if sizes else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--tesseract-documents", type=int, default=30)
    parser.add_argument("--frames", type=int, default=400)
    args = parser.parse_args()
    figures = {**live(args.frames), **still_pipeline(10), **mrz(args.documents, args.tesseract_documents)}
    figures["live_ratio_to_baseline"] = round(figures["live_doc_ms"] / figures["live_baseline_ms"], 1)
    figures["still_ratio_to_baseline"] = round(figures["still_12mp_ms"] / figures["still_baseline_whole_jpeg_ms"], 2)
    figures.update({"target_live_ms": 5, "target_still_ms": 150, "target_mrz_success": 0.95, "cap_bytes": 2_500_000})
    print(f"live checks, 640x480: document {figures['live_doc_ms']} ms, face {figures['live_face_ms']} ms per frame "
          f"(target <= 5 ms; floor {figures['live_baseline_ms']} ms)")
    print(f"still 4056x3040: find + straighten + JPEG {figures['still_12mp_ms']} ms (target <= 150 ms; "
          f"JPEG of the whole frame alone {figures['still_baseline_whole_jpeg_ms']} ms)")
    print(f"MRZ on {args.documents} generated documents: {figures['mrz_valid_and_right']} valid and right "
          f"({figures['mrz_success_rate'] * 100:.1f} %, target >= 95 %), {figures['mrz_valid_but_wrong']} valid but "
          f"wrong; median {figures['mrz_ms_median']} ms, p95 {figures['mrz_ms_p95']} ms; by blur "
          f"{figures['mrz_success_by_blur']}")
    print(f"tesseract alone (same corrections) on {figures['baseline_tesseract_only_documents']} of them: "
          f"{figures['baseline_tesseract_only_success_rate'] * 100:.1f} %, median "
          f"{figures['baseline_tesseract_only_ms_median']} ms")
    print(f"stored image: median {figures['stored_image_bytes_median']} bytes, max "
          f"{figures['stored_image_bytes_max']} (cap 2.5 MB)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
