"""What the appliance costs the UI loop: one idle loop turn of the kiosk (welcome screen) with and
without the supervision around it (health check incl. blank-screen detection, watchdog ping, metrics
update, screen-saver and service-mode routing, the update lock taken and let go), and one full ``kiosk doctor`` run on simulated hardware.

Prints the figures, then ONE JSON line. The baseline is the bare turn measured in the same run.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _median_ms(fn, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    from kiosk.app import KioskApp
    from kiosk.appliance.doctor import run_doctor
    from kiosk.appliance.loop import Appliance
    from kiosk.appliance.runner import supervise
    from kiosk.appliance.sdnotify import Notifier
    from kiosk.appliance.update_lock import SessionLock
    from kiosk.config import load_config
    from shell_helpers import make_shell

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["SPORTELLO_KIOSK__DATA_DIR"] = str(tmp / "var")
        os.environ["SPORTELLO_METRICS__PORT"] = "0"
        config = load_config(None)
        shell = make_shell(tmp)
        app = KioskApp.create(shell, config, headless=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp / "notify"))
        notifier = Notifier(environ={"NOTIFY_SOCKET": str(tmp / "notify"), "WATCHDOG_USEC": "30000000"})
        supervisor = supervise(app, config=config, notifier=notifier)
        appliance = Appliance(app, config, session_lock=SessionLock(tmp / "update.lock"))
        n = 300
        turns = {"bare": lambda: app.step([]),
                 "every": lambda: (appliance.step([]), supervisor.beat()),
                 "default": lambda: (appliance.step([]), supervisor.beat())}
        samples: dict[str, list[float]] = {k: [] for k in turns}
        for _ in range(n):  # interleaved, so a busy machine slows all three alike
            for name, turn in turns.items():
                # "every": the full check is due (blank screen, devices, stuck work); "default": the turns in
                # between, which only ping (the full check runs once every 2 s)
                supervisor.watch._next_check = 0.0 if name == "every" else float("inf")
                t = time.perf_counter()
                turn()
                samples[name].append((time.perf_counter() - t) * 1000)
        bare, supervised, supervised_default = (statistics.median(samples[k]) for k in ("bare", "every", "default"))
        doctor_ms = _median_ms(lambda: run_doctor(config, hardware=shell.hw, timeout=1), 5)
        supervisor.metrics.close()
        app.close()
        shell.close()
        shell.hw.close()
        shell.store.close()
        sock.close()
    figures = {
        "loop_turn_bare_ms_median": round(bare, 3),
        "loop_turn_supervised_ms_median": round(supervised, 3),
        "supervision_ratio_to_bare": round(supervised / bare, 2),
        "supervision_overhead_ms": round(supervised - bare, 3),
        "loop_turn_supervised_default_ms_median": round(supervised_default, 3),
        "default_ratio_to_bare": round(supervised_default / bare, 2),
        "doctor_sim_ms_median": round(doctor_ms, 1),
        "turns": n,
    }
    print(f"idle loop turn: bare {figures['loop_turn_bare_ms_median']} ms, supervised "
          f"{figures['loop_turn_supervised_ms_median']} ms ({figures['supervision_ratio_to_bare']}x, "
          f"+{figures['supervision_overhead_ms']} ms with the health check every turn); as configured "
          f"(between checks) {figures['loop_turn_supervised_default_ms_median']} ms "
          f"({figures['default_ratio_to_bare']}x)")
    print(f"kiosk doctor on simulated hardware: {figures['doctor_sim_ms_median']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
