"""Benchmark: process start to an interactive welcome screen, and the peak RSS of a headless demo.

Not a test: it prints figures and ends with one JSON line. The baseline, measured in the same run,
is a bare pygame-ce program opening the same window, the floor any kiosk UI pays.
Run: .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from welcome import ENV, startup_runs


def demo_peak_rss_mb(work: Path) -> tuple[float, float]:
    env = {**ENV, "SPORTELLO_KIOSK__DATA_DIR": str(work / "var")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "demo", "--headless", "--out", str(work / "demo")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=work)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"demo failed (exit {proc.returncode})")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cpu: dict[str, list[float]] = {}
        kiosk, bare = startup_runs(work, args.runs, cpu)
        rss_mb, demo_s = demo_peak_rss_mb(work)
    figures = {
        "startup_to_welcome_s_median": round(statistics.median(kiosk), 3),
        "startup_to_welcome_s_max": round(kiosk[-1], 3),
        "baseline_bare_pygame_s_median": round(statistics.median(bare), 3),
        "startup_ratio_to_baseline": round(statistics.median(kiosk) / statistics.median(bare), 2),
        "startup_target_s": 1.5,
        "startup_cpu_s_median": round(statistics.median(cpu["kiosk"]), 3),
        "baseline_cpu_s_median": round(statistics.median(cpu["bare"]), 3),
        "demo_peak_rss_mb": round(rss_mb, 1),
        "demo_wall_s": round(demo_s, 2),
        "runs": args.runs,
    }
    print(f"start to interactive welcome: median {figures['startup_to_welcome_s_median']} s, "
          f"max {figures['startup_to_welcome_s_max']} s (target <= 1.5 s)")
    print(f"bare pygame window: median {figures['baseline_bare_pygame_s_median']} s "
          f"(kiosk is {figures['startup_ratio_to_baseline']}x)")
    print(f"headless demo: peak RSS {figures['demo_peak_rss_mb']} MB, {figures['demo_wall_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
