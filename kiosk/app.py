"""The kiosk application: the UI loop around the shell, and how it is assembled from configuration."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.config import Config
from kiosk.devices import Hardware
from kiosk.enroll import Enroller
from kiosk.journey.machine import Journey, JourneyRules
from kiosk.journey.screens import CAPTURE_SCREENS, Screen
from kiosk.receipt import qr_content
from kiosk.shell import Shell
from kiosk.store import Store

log = logging.getLogger("kiosk.app")

IDLE_WAIT_S = 2.0  # the longest the loop sleeps when no timer is due (a touch or a device wakes it at once)
LIVE_WAIT_S = 0.033  # on capture screens: live preview and guidance at up to 30 frames a second


def rules_from(config: Config) -> JourneyRules:
    j = config.journey
    return JourneyRules(
        languages=j.languages, default_language=j.default_language, inactivity_warning_s=j.inactivity_warning_s,
        inactivity_grace_s=j.inactivity_grace_s, thank_you_s=j.thank_you_s, is_otp_enabled=j.otp,
        is_cns_route_enabled=j.cns_route, is_operator_route_enabled=j.operator_route,
    )


# The wake event's type: a fixed number at the top of SDL's user range. custom_type() starts over after
# pygame.quit() and would hand out pygame-gui's own numbers (UI_BUTTON_PRESSED) to a later window.
WAKE_EVENT_OFFSET = 1


def _waker(waiter=None):
    """A thread-safe callable that wakes the loop's wait: ``pygame.event.wait`` with an event the UI
    ignores, and the ``LoopWaiter``'s pipe when it sleeps in ``select()``."""
    import pygame

    kind = pygame.NUMEVENTS - WAKE_EVENT_OFFSET

    def wake() -> None:
        try:
            pygame.event.post(pygame.event.Event(kind))
        except pygame.error:  # the window is gone (shutting down): nobody to wake
            pass
        if waiter is not None:
            waiter.wake()

    return wake


def build_shell(config: Config, hardware: Hardware, *, receiver_public_key: Path, clock=datetime.now) -> Shell:
    store = Store.open(config.db_path)
    enroller = Enroller.from_files(
        store=store, kiosk_id=config.kiosk.id, signing_key_path=config.keys_dir / "kiosk.key",
        receiver_public_key=receiver_public_key,
    )
    return Shell(
        journey=Journey(rules_from(config)), hardware=hardware, store=store, enroller=enroller,
        kiosk_name=config.kiosk.name, operators=config.operators.codici_fiscali, clock=clock,
        kiosk_logo=config.kiosk.logo, max_image_bytes=config.camera.max_image_bytes,
    )


def _speech():
    """Spoken guidance through espeak-ng, when it is installed (silent until headphones are plugged in)."""
    from kiosk.ui.speech import EspeakNg, Speech

    try:
        return Speech(EspeakNg())
    except FileNotFoundError:
        log.warning("espeak-ng is not installed: no spoken guidance")
        return None


def wire_speech(ui, panel) -> None:
    """Speech follows the Panel's headphone jack: on when plugged in, off when pulled out."""
    speech = getattr(ui, "speech", None)
    if speech is None:
        return
    try:
        speech.is_enabled = bool(panel.has_headphones)
    except Exception:  # noqa: BLE001 - a panel without a jack switch: silent
        speech.is_enabled = False

    def changed(is_plugged: bool) -> None:
        speech.is_enabled = bool(is_plugged)
        if is_plugged:
            ui.invalidate()  # read the screen on show from the start
        else:
            speech.backend.stop()

    panel.when_headphones_changed = changed


@dataclass
class KioskApp:
    """One shell and one UI; ``step()`` runs one turn of the loop (the demo drives it turn by turn)."""

    shell: Shell
    ui: object  # kiosk.ui.app.KioskUI (imported lazily: pygame is heavy)
    on_screen = None  # optional callback(screen) when a new screen has been drawn
    _drawn: Screen | None = None
    auto_capture_frames: int = 4  # config.camera.auto_capture_frames
    _live_guide: object = None  # kiosk.capture.live.LiveGuide, made on first use (OpenCV is heavy)
    waiter: object = None  # kiosk.wait.LoopWaiter: how the loop sleeps
    _is_gc_frozen: bool = False

    @property
    def _guide(self):
        if self._live_guide is None:
            from kiosk.capture.live import LiveGuide

            self._live_guide = LiveGuide(frames_needed=self.auto_capture_frames)
        return self._live_guide

    @classmethod
    def create(cls, shell: Shell, config: Config, *, headless: bool) -> KioskApp:
        if headless:
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        from kiosk.ui.app import KioskUI

        d = config.display
        ui = KioskUI(size=(d.width, d.height), fullscreen=d.fullscreen, physical_mm=(d.width_mm, d.height_mm),
                     speech=_speech(), rotation=d.rotation)
        ui.start()
        wire_speech(ui, shell.hw.panel)
        from kiosk.wait import LoopWaiter

        app = cls(shell, ui, auto_capture_frames=config.camera.auto_capture_frames, waiter=LoopWaiter())
        shell.events.wake = _waker(app.waiter)  # a card inserted, an effect done: the idle loop wakes at once
        app.render()
        return app

    def view(self):
        from kiosk.ui.view import View

        s = self.shell.journey.session
        frame, guidance = None, ""
        if s.screen in CAPTURE_SCREENS and not s.is_busy:
            frame, guidance = self._live(CAPTURE_SCREENS[s.screen])
        elif self._live_guide is not None:
            self._live_guide.reset()
        return View(
            session=s, now=self.shell.clock(), kiosk_name=self.shell.kiosk_name,
            is_pin_route_offered=self.shell.journey.is_pin_route_offered(), camera_frame=frame,
            is_operator_route_offered=self.shell.journey.rules.is_operator_route_enabled,
            capture_guidance=guidance,
            inactivity_grace_s=self.shell.journey.rules.inactivity_grace_s,
            receipt_qr=qr_content(s.enrollment_id) if s.enrollment_id else "",
        )

    def _live(self, kind: str):
        """The preview frame with its overlay and guidance; takes the picture when it is good."""
        from hardware.errors import CameraError
        from kiosk.journey.events import Intent, UserIntent

        s = self.shell.journey.session
        try:
            frame = self.shell.hw.camera.frame()
        except CameraError as exc:  # unplugged, stalled: say so; manual capture and help still work
            log.warning("camera preview failed", extra={"error": type(exc).__name__})
            return None, "capture.camera_lost"
        if kind in s.captures:
            self._guide.reset()
            return frame, ""
        live = self._guide.see(kind, frame)
        if live.should_capture:
            self.shell.post(UserIntent(Intent.CAPTURE))
            log.info("auto capture", extra={"kind": kind})
        return live.frame, live.guidance

    def render(self) -> None:
        self.ui.render(self.view())
        self.ui.draw()
        if self.screen is not self._drawn:
            self._drawn = self.screen
            if self.on_screen:
                self.on_screen(self.screen)

    def step(self, events: list) -> None:
        """One turn: the citizen's input, then what devices reported. A new screen is drawn at once,
        before slow work (sealing, printing) reports back, so the citizen always sees what happens."""
        before = self.screen
        for intent in self.ui.handle_events(events):
            self.shell.post(intent)
        if self.screen is not before:
            self.render()
        self.shell.pump()
        self.render()

    def wait_s(self, longest: float = IDLE_WAIT_S) -> float:
        """How long the loop may sleep: until the next timer (inactivity warning, countdown second, a
        hint to read aloud), at most ``longest``; a touch or a device report wakes it sooner."""
        if self.screen in CAPTURE_SCREENS:
            return LIVE_WAIT_S
        due = [longest, self.shell.journey.seconds_to_next_tick(self.shell.clock()), self.ui.seconds_to_next_event()]
        return max(0.0, min(d for d in due if d is not None))

    def wait(self, longest: float = IDLE_WAIT_S) -> list:
        """Sleep until something happens (or the next timer); the pygame events that arrived."""
        if self.waiter is None:
            from kiosk.wait import LoopWaiter

            self.waiter = LoopWaiter()
        if not self._is_gc_frozen:
            # the first idle moment after start-up: what start-up made (modules, fonts, themes, the hardware)
            # lives as long as the process, so the collector stops scanning it: shorter pauses mid-frame
            self._is_gc_frozen = True
            gc.collect()
            gc.freeze()
        return self.waiter.wait(self.wait_s(longest))

    def run_forever(self, *, before_step=None) -> None:
        """The interactive loop: sleeps (no CPU) while nothing happens."""
        import pygame

        while True:
            if before_step:
                before_step(self.screen)
            events = self.wait()
            if any(e.type == pygame.QUIT for e in events):
                return
            self.step(events)

    def close(self) -> None:
        self.ui.close()
        if self.waiter is not None:
            self.waiter.close()

    @property
    def screen(self) -> Screen:
        return self.shell.journey.session.screen
