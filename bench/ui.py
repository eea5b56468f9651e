"""Benchmark: the touchscreen UI. Start to an interactive welcome screen, frame time on the busiest screen,
CPU while idle, input-to-updated-frame latency, and screen changes (every citizen screen built and drawn).

Not a test: it prints figures and ends with one JSON line. Baselines measured in the same run: a bare
pygame-ce program opening the same window (start-up), and a bare fill-and-flip of a 1280x800 frame
(frame time, the floor any drawing pays), and the same screen changes with pygame-gui drawing its rounded
shapes itself (its own shape cache instead of ``kiosk.ui.shapes``).
Run: .venv/bin/python bench/ui.py [--runs N] [--frames N] [--idle-s S]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from welcome import ENV, KIOSK_APP, ROOT, percentile, startup_runs, timed

SIZE = (1280, 800)

# The real interactive loop (run_forever) on the welcome screen, left alone: CPU seconds over the window.
IDLE_LOOP = KIOSK_APP + """
import threading, time
import pygame
window = float(sys.argv[2])
def watch():
    time.sleep(2.0)  # settle first
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(window)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"{cpu:.4f} {wall:.4f}", flush=True)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    app.waiter.wake()
threading.Thread(target=watch, daemon=True).start()
app.run_forever()
"""


# What SDL's own wait costs: a bare pygame-ce window in pygame.event.wait (250 ms timeout). On the dummy
# and KMS/DRM drivers SDL polls every millisecond inside it, which is why the kiosk does not use it there.
BARE_WAIT = """
import sys, time
import pygame
pygame.init()
pygame.display.set_mode((1280, 800))
window = float(sys.argv[1])
cpu0, wall0 = time.process_time(), time.perf_counter()
while time.perf_counter() - wall0 < window:
    pygame.event.wait(250)
print(f"{time.process_time() - cpu0:.4f} {time.perf_counter() - wall0:.4f}", flush=True)
"""


# The true floor: a bare pygame-ce window whose process just sleeps (one wake a second).
BARE_SLEEP = """
import sys, time
import pygame
pygame.init()
pygame.display.set_mode((1280, 800))
window = float(sys.argv[1])
cpu0, wall0 = time.process_time(), time.perf_counter()
while time.perf_counter() - wall0 < window:
    time.sleep(1.0)
    pygame.event.get()
print(f"{time.process_time() - cpu0:.4f} {time.perf_counter() - wall0:.4f}", flush=True)
"""


def idle_cpu_percent(work: Path, window_s: float, *, code: str = IDLE_LOOP) -> float:
    args = [str(work / "keys"), str(window_s)] if code is IDLE_LOOP else [str(window_s)]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                         env=ENV, cwd=work, text=True, timeout=window_s + 60)
    try:
        cpu, wall = (float(x) for x in out.stdout.split()[-2:])
    except ValueError:
        raise SystemExit(f"idle loop failed: {out.stderr[-500:]}") from None
    return 100 * cpu / wall


def frame_and_latency(frames: int) -> dict:
    """In this process: the busiest screen (the email keyboard: ~60 keys) redrawn whole, and taps on it."""
    os.environ.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    sys.path.insert(0, str(ROOT))
    from datetime import datetime

    import pygame

    from kiosk.journey.screens import Screen
    from kiosk.journey.session import Session
    from kiosk.ui.app import KioskUI
    from kiosk.ui.view import View

    pygame.init()
    bare = pygame.display.set_mode(SIZE)

    def bare_frame(i: int) -> None:
        bare.fill((i % 255, 255, 255))
        pygame.display.flip()

    floor = timed(bare_frame, frames)
    pygame.quit()

    now = datetime.now()
    ui = KioskUI(size=SIZE)
    ui.start()
    session = Session(screen=Screen.EMAIL, history=[Screen.CHECKLIST], last_input_at=now, entered_at=now)
    ui.render(View(session=session, now=now))
    ui.draw(force=True)
    elements = len(ui.elements())
    gc.collect()
    gc.freeze()  # as KioskApp.wait does at the first idle moment after start-up
    pauses: list[float] = []
    started: list[float] = []

    def collector(phase: str, info: dict) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(collector)
    times = timed(lambda _: ui.draw(force=True), frames)

    keys = [k for k in ui.element_ids() if k.startswith("key:") and len(k) == 5 and k[-1].isalpha()]
    latencies = tap_latencies(ui, session, now, keys, min(frames, 200))
    gc.callbacks.remove(collector)
    session.is_large_text, session.fields = True, {}  # the same screen in large-text mode (its own layout)
    ui.render(View(session=session, now=now))
    ui.draw(force=True)
    large_elements = len(ui.elements())
    large_times = timed(lambda _: ui.draw(force=True), frames)
    large_latencies = tap_latencies(ui, session, now, keys, min(frames, 100))
    ui.close()
    return {"elements": elements, "frame": times, "floor": floor, "latency": latencies, "gc": pauses,
            "large_elements": large_elements, "large_frame": large_times, "large_latency": large_latencies}


def tap_latencies(ui, session, now, keys, count: int) -> list[float]:
    """Tap ``count`` keys (the clear key every 20th, like a citizen correcting the address): for each,
    the time from the tap to the updated frame drawn."""
    import pygame

    from kiosk.ui.view import View

    latencies = []
    for i in range(count):
        key = "key:clear" if i % 20 == 19 else keys[i % len(keys)]
        pos = ui.element_rect(key).center
        t0 = time.perf_counter()
        intents = ui.handle_events([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1),
                                    pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
        for intent in intents:
            session.fields[intent.field] = intent.value
        ui.render(View(session=session, now=now))
        ui.draw()
        latencies.append(time.perf_counter() - t0)
        if not intents:
            raise SystemExit(f"tap on {key} typed nothing")
    return latencies


def sample_session(screen):
    """A session on ``screen`` with what its widgets show (a card-read citizen, a document, contacts)."""
    from datetime import date, datetime

    from kiosk.domain.citizen import Citizen, DocumentType, IdentityDocument, Sex
    from kiosk.journey.screens import Screen, can_go_back
    from kiosk.journey.session import Session

    now = datetime.now()
    s = Session(screen=screen, history=[Screen.CHECKLIST] if can_go_back(screen) else [],
                citizen=Citizen(codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA",
                                birth_date=date(1985, 3, 12), sex=Sex.FEMALE, birth_place_code="H501",
                                source="card", card_type="TS-CNS", card_expiry=date(2029, 3, 12)),
                has_card_certificate=True, is_card_present=True, doc_type=DocumentType.IDCARD,
                document=IdentityDocument(DocumentType.IDCARD, "CA12345AB", "Comune di Roma", date(2021, 5, 4),
                                          date(2031, 5, 4)),
                email="giulia.bianchi@esempio.it", mobile="+393331234567", has_accepted_terms=True,
                pin_tries_left=3, last_input_at=now, entered_at=now)
    if screen is Screen.INSERT_CARD:
        s.error = "card_unreadable"  # an error box too
    if screen is Screen.NOT_ELIGIBLE:
        s.ineligible_reason = "document_expired"
    if screen is Screen.OUT_OF_SERVICE:
        s.frozen_reason = "frozen_backlog"
    if screen is Screen.RECEIPT:
        s.reference, s.activation_first_half = "SP-2025-7K3Q9", "aB3$k9"
        s.print_status, s.print_error = "failed", "paper_out"
    if screen is Screen.DOCUMENT_MISMATCH:
        s.mismatches = ("given_name", "birth_date")
    return s


def screen_changes(rounds: int, *, is_pygame_gui_shapes: bool = False) -> list[float]:
    """Seconds to build and draw each citizen screen, coming from the one before, ``rounds`` times over
    (after one round to warm up). ``is_pygame_gui_shapes``: the baseline, rounded shapes drawn by pygame-gui."""
    os.environ.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    sys.path.insert(0, str(ROOT))
    from datetime import datetime

    from pygame_gui.core.surface_cache import SurfaceCache

    from kiosk.journey.screens import CAPTURE_SCREENS, Screen
    from kiosk.ui.app import KioskUI
    from kiosk.ui.view import View

    ui = KioskUI(size=SIZE)
    if is_pygame_gui_shapes:
        ui._shapes = SurfaceCache()
    ui.start()
    screens = [screen for screen in Screen if screen not in CAPTURE_SCREENS]  # no camera here
    sessions = [sample_session(screen) for screen in screens]
    times = []
    for round_ in range(rounds + 1):
        for session in sessions:
            session.language = "it"
            t0 = time.perf_counter()
            ui.render(View(session=session, now=datetime.now(), kiosk_name="Comune di Roccasecca"))
            ui.draw()
            if round_:
                times.append(time.perf_counter() - t0)
    ui.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="start-up runs (default 5)")
    parser.add_argument("--frames", type=int, default=600, help="frames to time (default 600)")
    parser.add_argument("--idle-s", type=float, default=10.0, help="idle window in seconds (default 10)")
    parser.add_argument("--change-rounds", type=int, default=3, help="rounds of every screen change (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cpu: dict[str, list[float]] = {}
        start, bare = startup_runs(work, args.runs, cpu)
        idle = idle_cpu_percent(work, args.idle_s)
        idle_sdl_wait = idle_cpu_percent(work, args.idle_s, code=BARE_WAIT)
        idle_floor = idle_cpu_percent(work, args.idle_s, code=BARE_SLEEP)
    drawn = frame_and_latency(args.frames)
    changes = screen_changes(args.change_rounds)
    changes_baseline = screen_changes(args.change_rounds, is_pygame_gui_shapes=True)
    ms = 1000
    frame_median, frame_p99 = statistics.median(drawn["frame"]) * ms, percentile(drawn["frame"], 0.99) * ms
    floor_median = statistics.median(drawn["floor"]) * ms
    lat_median, lat_p99 = statistics.median(drawn["latency"]) * ms, percentile(drawn["latency"], 0.99) * ms
    figures = {
        "startup_to_welcome_s_median": round(statistics.median(start), 3),
        "startup_baseline_bare_pygame_s_median": round(statistics.median(bare), 3),
        "startup_ratio_to_baseline": round(statistics.median(start) / statistics.median(bare), 2),
        "startup_target_s": 1.5,
        "startup_cpu_s_median": round(statistics.median(cpu["kiosk"]), 3),
        "startup_baseline_cpu_s_median": round(statistics.median(cpu["bare"]), 3),
        "busiest_screen": "email keyboard",
        "busiest_screen_elements": drawn["elements"],
        "frame_ms_median": round(frame_median, 2),
        "frame_ms_p99": round(frame_p99, 2),
        "frame_baseline_fill_flip_ms_median": round(floor_median, 3),
        "frame_ratio_to_baseline": round(frame_median / max(floor_median, 1e-6), 1),
        "frame_target_ms": [4, 12],
        "idle_cpu_percent": round(idle, 2),
        "idle_cpu_baseline_bare_sdl_wait_percent": round(idle_sdl_wait, 2),
        "idle_cpu_baseline_bare_sleep_percent": round(idle_floor, 2),
        "idle_window_s": args.idle_s,
        "idle_cpu_target_percent": 1,
        "input_to_frame_ms_median": round(lat_median, 2),
        "input_to_frame_ms_p99": round(lat_p99, 2),
        "input_to_frame_target_ms": round(1000 / 60, 1),
        "screen_change_ms_median": round(statistics.median(changes) * ms, 2),
        "screen_change_ms_max": round(max(changes) * ms, 2),
        "screen_change_baseline_pygame_gui_shapes_ms_median": round(statistics.median(changes_baseline) * ms, 2),
        "screen_change_baseline_pygame_gui_shapes_ms_max": round(max(changes_baseline) * ms, 2),
        "screen_change_ratio_to_baseline": round(statistics.median(changes) / statistics.median(changes_baseline), 3),
        "large_text_busiest_screen_elements": drawn["large_elements"],
        "large_text_frame_ms_median": round(statistics.median(drawn["large_frame"]) * ms, 2),
        "large_text_frame_ms_p99": round(percentile(drawn["large_frame"], 0.99) * ms, 2),
        "large_text_input_to_frame_ms_median": round(statistics.median(drawn["large_latency"]) * ms, 2),
        "large_text_input_to_frame_ms_p99": round(percentile(drawn["large_latency"], 0.99) * ms, 2),
        "gc_pauses": len(drawn["gc"]),
        "gc_pause_ms_max": round(max(drawn["gc"], default=0.0) * ms, 2),
    }
    print(f"start to interactive welcome: median {figures['startup_to_welcome_s_median']} s (target <= 1.5 s); "
          f"bare pygame {figures['startup_baseline_bare_pygame_s_median']} s; CPU {figures['startup_cpu_s_median']} s "
          f"vs {figures['startup_baseline_cpu_s_median']} s bare")
    print(f"frame on the email keyboard screen ({drawn['elements']} elements) at 1280x800: median "
          f"{frame_median:.2f} ms, p99 {frame_p99:.2f} ms (targets 4 / 12 ms); bare fill+flip {floor_median:.3f} ms")
    print(f"idle CPU over {args.idle_s:g} s: {idle:.2f} % (target <= 1 %); a bare pygame window in SDL's event "
          f"wait: {idle_sdl_wait:.2f} % (SDL {ENV['SDL_VIDEODRIVER']} driver); a bare window sleeping: {idle_floor:.2f} %")
    print(f"tap to updated frame: median {lat_median:.2f} ms, p99 {lat_p99:.2f} ms (target <= 16.7 ms)")
    print(f"screen change (built and drawn, every citizen screen but the camera's): median "
          f"{figures['screen_change_ms_median']} ms, max {figures['screen_change_ms_max']} ms; with pygame-gui drawing "
          f"its rounded shapes: median {figures['screen_change_baseline_pygame_gui_shapes_ms_median']} ms, max "
          f"{figures['screen_change_baseline_pygame_gui_shapes_ms_max']} ms")
    print(f"the same screen in large-text mode ({drawn['large_elements']} elements): frame median "
          f"{figures['large_text_frame_ms_median']} ms, p99 {figures['large_text_frame_ms_p99']} ms; tap to frame "
          f"median {figures['large_text_input_to_frame_ms_median']} ms, "
          f"p99 {figures['large_text_input_to_frame_ms_p99']} ms")
    print(f"garbage collections while drawing and tapping: {len(drawn['gc'])}, longest "
          f"{figures['gc_pause_ms_max']} ms (start-up objects frozen out of the collector)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
