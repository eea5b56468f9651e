"""What bench/startup.py and bench/ui.py share: the child that starts the kiosk to its first interactive
welcome frame, the bare pygame-ce baseline that opens the same window, and the timing helpers.

Not a benchmark on its own: imported by the two (``bench/`` is on ``sys.path`` when they run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
ENV.pop("DISPLAY", None)
# As installed (pip byte-compiles the package): the warm-up run writes the bytecode cache the others read.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)

# Config, hardware, shell and app, as `kiosk run` assembles them (argv[1]: a directory for the receiver key).
KIOSK_APP = """
import sys
from pathlib import Path
from kiosk.runtime import prepare_environment
prepare_environment()
from kiosk.config import load_config
from kiosk.app import KioskApp, build_shell
from kiosk.devices import Hardware
from kiosk import sealing
data = Path(sys.argv[1])
if not (data / "receiver.pub").exists():
    sealing.generate_receiver_keys(data)
config = load_config(None)
hardware = Hardware.from_config(config)
hardware.start()
shell = build_shell(config, hardware, receiver_public_key=data / "receiver.pub")
app = KioskApp.create(shell, config, headless=True)
"""
# ... then the first turn: input handled, frame drawn: the welcome screen answers touches.
KIOSK_TO_WELCOME = KIOSK_APP + """
app.step([])
assert app.screen.value == "welcome"
print("interactive", flush=True)
"""

# The floor any kiosk UI pays: a bare pygame-ce program opening the same window.
BARE_PYGAME = """
import pygame
pygame.init()
screen = pygame.display.set_mode((1280, 800))
screen.fill((255, 255, 255))
pygame.display.flip()
pygame.event.get()
print("interactive", flush=True)
"""


def time_to_line(code: str, *args: str, cwd: Path, cpu: list[float] | None = None) -> float:
    """Seconds from starting ``python -c code`` to its "interactive" line; ``cpu`` gets the child's CPU
    seconds (user + system, to its exit), a figure a loaded machine disturbs far less than wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=ENV, cwd=cwd, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if line.strip() != "interactive":
        raise SystemExit(f"child did not reach the welcome screen (exit {proc.returncode})")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return elapsed


def startup_runs(work: Path, runs: int, cpu: dict[str, list[float]] | None = None) -> tuple[list[float], list[float]]:
    """(kiosk, bare pygame) start-up seconds, each sorted, after one warm-up run for the OS file cache;
    ``cpu["kiosk"]`` and ``cpu["bare"]`` get each run's CPU seconds."""
    keys = str(work / "keys")
    cpu = cpu if cpu is not None else {}
    time_to_line(KIOSK_TO_WELCOME, keys, cwd=work)
    kiosk = sorted(time_to_line(KIOSK_TO_WELCOME, keys, cwd=work, cpu=cpu.setdefault("kiosk", []))
                   for _ in range(runs))
    bare = sorted(time_to_line(BARE_PYGAME, cwd=work, cpu=cpu.setdefault("bare", [])) for _ in range(runs))
    return kiosk, bare


def timed(action: Callable[[int], object], n: int) -> list[float]:
    """Seconds each of ``n`` calls of ``action(i)`` took."""
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        action(i)
        out.append(time.perf_counter() - t0)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
