"""The appliance around the citizen's UI: screen saver, quiet hours, presence sensor, service mode.

Every loop turn ``Appliance.step(events)`` decides who gets the touches: the service screen when a
technician has it open, the screen saver (a touch only wakes it: it presses nothing), else the
kiosk UI. A turn that could start a session runs only while the kiosk holds the update lock
(``kiosk.appliance.update_lock``): while the updater holds it, the welcome screen says the kiosk is
updating and touches do nothing. A long press (``LONG_PRESS_S``) in the top-left corner, where the town hall's name sits, or
any touch on a kiosk locked by the tamper switch, opens the technician login.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from datetime import time as clock_time

import pygame

from kiosk.appliance.service import ServiceMode
from kiosk.appliance.service_screen import ScreenSaver, ServiceScreen, UpdatingNotice
from kiosk.appliance.update_lock import SessionLock
from kiosk.journey.screens import Screen

CORNER = 96  # px: the hidden service corner (top-left)
LONG_PRESS_S = 3.0
QUIET_SAVER_S = 15.0  # in quiet hours the screen goes dark again this soon after a touch
log = logging.getLogger("kiosk.appliance")
IDLE_SCREENS = frozenset({Screen.WELCOME, Screen.OUT_OF_SERVICE})


def parse_quiet_hours(text: str) -> tuple[clock_time, clock_time] | None:
    if not text:
        return None
    start, end = text.split("-")
    return clock_time.fromisoformat(start), clock_time.fromisoformat(end)


def in_quiet_hours(span: tuple[clock_time, clock_time] | None, now: datetime) -> bool:
    if span is None:
        return False
    start, end = span
    t = now.time()
    return start <= t < end if start <= end else (t >= start or t < end)


class Appliance:
    def __init__(self, app, config, *, service: ServiceMode | None = None, clock=time.monotonic,
                 wall=datetime.now, session_lock: SessionLock | None = None) -> None:
        self.app = app
        self.config = config
        self.clock = clock
        self.wall = wall
        self.saver_after_s = config.service.screen_saver_after_s
        self.quiet_hours = parse_quiet_hours(config.service.quiet_hours)
        self.service = service or ServiceMode(shell=app.shell, config=config)
        size = app.ui.surface.get_size() if app.ui.surface is not None else app.ui.size
        self.service_screen = ServiceScreen(self.service, size)
        self.saver = ScreenSaver(size, text=config.kiosk.name)
        self.is_saver_on = False
        self.last_activity = clock()
        self._presence = threading.Event()
        self._corner_down: float | None = None
        self.session_lock = session_lock or SessionLock.from_config(config)
        self.updating = UpdatingNotice(size)
        self.is_updating = False
        app.shell.hw.panel.when_presence = self._presence.set  # from the panel's thread

    # -- state ------------------------------------------------------------------------------------
    @property
    def is_quiet(self) -> bool:
        return in_quiet_hours(self.quiet_hours, self.wall())

    def _is_idle_screen(self) -> bool:
        return self.app.screen is Screen.WELCOME

    def wake(self, now: float) -> None:
        self.last_activity = now
        if self.is_saver_on:
            self.is_saver_on = False
            self.app.render()

    # -- the turn -----------------------------------------------------------------------------------
    def step(self, events: list) -> None:
        if not self.session_lock.hold():  # the updater holds the lock: no session may start
            self._show_updating()
            return
        if self.is_updating:
            self.is_updating = False
            self.updating.reset()
            self.app.render()
        self._step(events)
        if not (self.service.state.is_open or self.app.screen not in IDLE_SCREENS):
            self.session_lock.release()  # idle again: an update may go ahead

    def _show_updating(self) -> None:
        """The welcome screen with "updating, back in a minute" in the kiosk's language; touches, cards
        and the service corner do nothing until the updater is done."""
        if not self.is_updating:
            self.is_updating = True
            log.info("update in progress: sessions wait")
        self.updating.draw(self.app.ui.surface, language=self.app.shell.journey.session.language)
        pygame.display.flip()

    def _step(self, events: list) -> None:
        now = self.clock()
        if self._presence.is_set():
            self._presence.clear()
            if not self.is_quiet:  # at night a passer-by does not light the hall up
                self.wake(now)
        kiosk_events = []
        for event in events:
            press = self._press(event)
            if press is None:
                kiosk_events.append(event)
                continue
            kind, pos = press
            self.last_activity = now
            if self.service.state.is_open:
                self.service.touched(now)
                if kind == "down":
                    self._service_tap(pos)
            elif self.is_saver_on:
                if kind == "down":
                    self.wake(now)  # this touch only wakes the screen
            elif self._corner(kind, pos, now) or self._tamper_tap(kind, now):
                pass
            else:
                kiosk_events.append(event)
        if self.service.state.is_open:
            self.service.tick(now)
        if self.service.state.is_open:
            self.app.shell.pump()  # devices keep reporting (tamper, card) while the technician works
            self._draw_service()
            return
        if self.is_saver_on:
            self.app.shell.pump()
            if not self._is_idle_screen():
                self.wake(now)
            else:
                self.saver.draw(self.app.ui.surface, now)
                pygame.display.flip()
                return
        self.app.step(kiosk_events)
        self._maybe_sleep(now)

    def _maybe_sleep(self, now: float) -> None:
        if not self._is_idle_screen():
            return
        after = QUIET_SAVER_S if self.is_quiet else self.saver_after_s
        if after and now - self.last_activity >= after:
            self.is_saver_on = True

    # -- input --------------------------------------------------------------------------------------
    def _press(self, event) -> tuple[str, tuple[int, int]] | None:
        size = self.app.ui.surface.get_size() if self.app.ui.surface is not None else self.app.ui.size
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and not getattr(event, "touch", False):
            return ("down" if event.type == pygame.MOUSEBUTTONDOWN else "up"), event.pos
        if event.type in (pygame.FINGERDOWN, pygame.FINGERUP):
            pos = (round(event.x * size[0]), round(event.y * size[1]))
            return ("down" if event.type == pygame.FINGERDOWN else "up"), pos
        if event.type == pygame.KEYDOWN:
            self.last_activity = self.clock()
        return None

    def _corner(self, kind: str, pos: tuple[int, int], now: float) -> bool:
        """Swallow touches in the service corner; a long press there opens the login."""
        if not (pos[0] < CORNER and pos[1] < CORNER):
            self._corner_down = None
            return False
        if kind == "down":
            self._corner_down = now
        elif self._corner_down is not None and now - self._corner_down >= LONG_PRESS_S:
            self._corner_down = None
            self.service.open(now)
        return True

    def _tamper_tap(self, kind: str, now: float) -> bool:
        if kind == "down" and self.app.shell.journey.session.frozen_reason == "tamper":
            self.service.open(now)
            return True
        return False

    def _service_tap(self, pos: tuple[int, int]) -> None:
        name = self.service_screen.tap(pos)
        s = self.service
        if not name:
            return
        if name == "exit":
            s.close()
            self.app.render()
        elif not s.state.is_logged_in:
            if name == "ok":
                s.submit_pin()
            elif name == "card":
                s.submit_card()
            else:
                s.key(name)
        elif name.startswith("page:"):
            s.show_page(name.split(":", 1)[1])
        else:
            action = {"test_page": s.print_test_page, "live_view": s.live_view, "read_card": s.read_card,
                      "test_leds": s.test_leds, "resume": s.resume_from_tamper, "sync": s.force_sync,
                      "export_usb": s.export_usb, "reboot": s.reboot,
                      "rerun": lambda: s.show_page(s.state.page)}.get(name)
            if action is not None:
                action()
                if name not in ("live_view",) and s.state.is_logged_in:
                    s.state.lines = getattr(s, "_lines_" + s.state.page)()

    def _draw_service(self) -> None:
        frame = None
        if self.service.state.is_live_view:
            try:
                frame = self.app.shell.hw.camera.frame()
            except Exception:  # noqa: BLE001 - shown as no picture; the doctor page says why
                frame = None
        self.service_screen.draw(self.app.ui.surface, camera_frame=frame)
        pygame.display.flip()
