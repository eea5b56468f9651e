"""Benchmark: what a receipt costs in each language (lines CP858 lacks are printed as pictures).

Not a test: it prints figures and ends with one JSON line.
- build time (ms, median) and size (bytes) of one receipt per language on the 80 mm profile;
- the time the bytes take on a serial line at 9600 and 115200 baud (10 bits a byte);
- baseline measured in the same run: the Italian receipt (all printer text but the QR).
Run: .venv/bin/python bench/receipts.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.receipt import TEXTS, build_receipt  # noqa: E402


def receipt(language: str) -> bytes:
    return build_receipt(kiosk_name="Comune di Esempio", enrollment_id="01JD8Z5Q4W7YV3K2M9TXCRB6HN",
                         reference="7F3A-91C2", activation_first_half="Ab3xK9", language=language,
                         printed_at=datetime(2026, 3, 12, 10, 42), profile="TM-T20II")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    receipt("it")  # python-escpos's profile data and the fonts load once
    figures = {}
    for language in TEXTS:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            data = receipt(language)
            times.append((time.perf_counter() - start) * 1000)
        figures[language] = {"build_ms": round(statistics.median(times), 1), "bytes": len(data),
                             "serial_9600_s": round(len(data) * 10 / 9600, 1),
                             "serial_115200_s": round(len(data) * 10 / 115200, 2)}
        f = figures[language]
        print(f"{language}: {f['build_ms']:7.1f} ms  {f['bytes']:6d} bytes  "
              f"{f['serial_9600_s']:5.1f} s at 9600 baud  {f['serial_115200_s']:5.2f} s at 115200 baud")
    base = figures["it"]
    worst = max(figures, key=lambda lang: figures[lang]["bytes"])
    print(json.dumps({
        "bench": "receipts", "runs": args.runs, "baseline": "it",
        "baseline_build_ms": base["build_ms"], "baseline_bytes": base["bytes"],
        "max_build_ratio": round(max(f["build_ms"] for f in figures.values()) / base["build_ms"], 2),
        "max_bytes_ratio": round(figures[worst]["bytes"] / base["bytes"], 2), "largest": worst,
        "largest_serial_9600_s": figures[worst]["serial_9600_s"],
    }))


if __name__ == "__main__":
    main()
