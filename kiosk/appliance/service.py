"""The on-screen service mode: what a technician can do at the kiosk, independent of how it is drawn.

Opened by a technician login (PIN checked against a scrypt hash with a persisted lockout, or the
technician's own CNS and its PIN), it offers: device tests (printer test page, camera live view,
card read, LEDs and buttons), the queue and a forced sync, export of sealed packets to a USB stick,
the doctor's checks, the log, the configuration, resuming a kiosk locked by the tamper switch, and a
reboot. Only a technician login here clears a tamper lock. Nothing personal is ever shown.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kiosk.appliance.technician import TechnicianLogin

log = logging.getLogger("kiosk.service")

PAGES = ("devices", "queue", "doctor", "logs", "config")
IDLE_CLOSE_S = 300


def runtime_dir() -> Path:
    """systemd's RuntimeDirectory of the kiosk (``/run/sportello``): flags shared with root's units."""
    return Path(os.environ.get("RUNTIME_DIRECTORY", "/run/sportello").split(":")[0])


@dataclass
class ServiceState:
    is_open: bool = False  # the service screen is showing (login or menu)
    is_logged_in: bool = False
    page: str = "login"
    pin: str = ""  # digits typed so far (never logged, cleared on every outcome)
    message: str = ""  # the last action's outcome, one line, non-personal
    lines: list[str] = field(default_factory=list)  # what the current page lists
    is_live_view: bool = False
    last_input: float = 0.0


class ServiceMode:
    def __init__(self, *, shell, config, login: TechnicianLogin | None = None,
                 reboot_flag: Path | None = None, clock=None, sync=None) -> None:
        self.shell = shell
        self.sync = sync  # the running kiosk's SyncService (kiosk.sync.service), when there is one
        self.config = config
        self.login = login or TechnicianLogin.from_config(config)
        self.reboot_flag = reboot_flag or runtime_dir() / "reboot-requested"  # watched by sportello-reboot.path
        self.state = ServiceState()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._busy = threading.Lock()
        from kiosk.ui.i18n import Translator

        # the technicians' screens speak the kiosk's own language when it is Italian, else English
        self.t = Translator(config.journey.default_language, domain="service")

    # -- opening and closing ----------------------------------------------------------------------
    def open(self, now: float) -> None:
        self.state = ServiceState(is_open=True, last_input=now)
        log.info("service mode login shown")

    def close(self) -> None:
        if self.state.is_logged_in:
            log.info("technician logged out")
        self.state = ServiceState()

    def tick(self, now: float) -> None:
        if self.state.is_open and now - self.state.last_input > IDLE_CLOSE_S:
            self.close()

    def touched(self, now: float) -> None:
        self.state.last_input = now

    # -- login --------------------------------------------------------------------------------------
    def key(self, digit: str) -> None:
        if digit == "back":
            self.state.pin = self.state.pin[:-1]
        elif digit.isdigit() and len(self.state.pin) < 12:
            self.state.pin += digit

    def submit_pin(self) -> bool:
        pin, self.state.pin = self.state.pin, ""
        result = self.login.attempt(pin, now=self.clock())
        if result.ok:
            return self._logged_in("pin")
        log.warning("technician login refused", extra={"reason": result.reason})
        t = self.t
        self.state.message = {
            "wrong_pin": t("Wrong PIN: {tries} tries before a lockout").format(tries=result.tries_left),
            "locked": t("Locked until {time} UTC after repeated wrong PINs").format(
                time=f"{result.locked_until:%H:%M}") if result.locked_until else t("Locked"),
            "no_pin_configured": t("No technician PIN configured: use a technician card"),
        }[result.reason]
        return False

    def submit_card(self) -> bool:
        """The technician's own CNS in the reader and its PIN typed on the keypad."""
        from kiosk.journey.machine import MIN_TRIES_TO_SEND
        from kiosk.shell import operator_reference

        pin, self.state.pin = self.state.pin, ""
        reader = self.shell.hw.card_reader
        try:
            identity = reader.read_identity()
            if identity.codice_fiscale not in set(self.config.service.technician_cards):
                self.state.message = self.t("This card is not a technician's card")
                return False
            if reader.pin_tries_left() < MIN_TRIES_TO_SEND:
                self.state.message = self.t("The card has one PIN try left: unblock it first (not tried)")
                return False
            result = reader.verify_pin(pin)
        except ValueError:
            self.state.message = self.t("A card PIN is 4 to 8 digits (nothing sent to the card)")
            return False
        except Exception as exc:  # noqa: BLE001 - CardError and friends: one line on screen
            self.state.message = self.t("Card not read: {error}").format(error=type(exc).__name__)
            return False
        if not result.ok:
            self.state.message = self.t("Wrong card PIN: {tries} tries left on the card").format(tries=result.tries_left)
            return False
        return self._logged_in("card", technician=operator_reference(identity.codice_fiscale))

    def _logged_in(self, how: str, *, technician: str = "") -> bool:
        self.state.is_logged_in = True
        self.state.page = "devices"
        self.state.message = self.t("Logged in")
        log.info("technician logged in", extra={"method": how, **({"technician": technician} if technician else {})})
        self.show_page("devices")
        return True

    # -- pages --------------------------------------------------------------------------------------
    def _require_login(self) -> None:
        if not self.state.is_logged_in:
            raise PermissionError("service mode needs a technician login")

    def show_page(self, page: str) -> None:
        self._require_login()
        self.state.page = page
        self.state.is_live_view = False
        self.state.lines = getattr(self, "_lines_" + page)()

    def _lines_devices(self) -> list[str]:
        hw = self.shell.hw
        panel = hw.panel
        t = self.t
        has_card = hw.card_reader.is_started and hw.card_reader.is_card_present
        return [
            t("Card reader: {state}; card {card}").format(
                state=t("started") if hw.card_reader.is_started else t("STOPPED"),
                card=t("inserted") if has_card else t("not inserted")),
            t("Camera: {state}").format(state=t("started") if hw.camera.is_started else t("STOPPED")),
            t("Printer: alert {alert}").format(alert=self.shell.printer_alert or t("none")),
            t("Panel: tamper {tamper}, headphones {headphones}, presence {presence}").format(
                tamper=t("OPEN") if panel.is_tamper_open else t("closed"),
                headphones=t("in") if panel.has_headphones else t("out"),
                presence=t("yes") if panel.is_someone_present else t("no")),
            t("Kiosk: {state}").format(state=t("LOCKED (tamper)") if self.is_tamper_locked else t("in service")),
        ]

    def _lines_queue(self) -> list[str]:
        entries = self.shell.store.entries(where="status IN ('queued', 'exported')")
        count, oldest = self.shell.store.backlog()
        lines = [self.t("{count} packet(s) waiting; oldest {oldest}").format(count=count, oldest=oldest or "-")]
        lines += [f"{e.enrollment_id[:12]}  {e.status:<9} attempts {e.attempts}  {e.last_error or ''}"
                  for e in entries[-12:]]
        return lines

    def _lines_doctor(self) -> list[str]:
        from kiosk.appliance.doctor import run_doctor

        report = run_doctor(self.config, hardware=self.shell.hw, timeout=3)
        return [f"{c.status.upper():<4} {c.name:<12} {c.detail}" for c in report.checks]

    def _lines_logs(self) -> list[str]:
        path = self.config.kiosk.data_dir / "logs" / "kiosk.log"
        try:
            return path.read_text(encoding="utf-8", errors="replace").splitlines()[-16:]
        except OSError:
            return [self.t("no log file")]

    def _lines_config(self) -> list[str]:
        lines = []
        for section, values in self.config.model_dump(mode="json").items():
            for key, value in values.items():
                if key == "technician_pin_hash":
                    value = "(set)" if value else "(not set)"
                lines.append(f"{section}.{key} = {value}")
        return lines

    # -- actions ------------------------------------------------------------------------------------
    @property
    def is_tamper_locked(self) -> bool:
        return self.shell.journey.session.frozen_reason == "tamper"

    def resume_from_tamper(self) -> bool:
        """Lift the tamper lock: only from here, only logged in, and only with the enclosure closed."""
        self._require_login()
        if not self.is_tamper_locked:
            self.state.message = self.t("The kiosk is not locked")
            return False
        if not self.shell.clear_tamper():
            self.state.message = self.t("The enclosure is still open: close it first")
            return False
        self.state.message = self.t("Tamper lock cleared: the kiosk takes citizens again")
        return True

    def print_test_page(self) -> bool:
        from kiosk.test_page import build_test_page

        self._require_login()
        printer = self.shell.hw.printer
        try:
            printer.print_bytes(build_test_page(profile=printer.profile, columns=printer.columns,
                                                kiosk_name=self.config.kiosk.name, printed_at=datetime.now()))
        except Exception as exc:  # noqa: BLE001
            self.state.message = self.t("Test page not printed: {error}").format(error=exc)
            return False
        self.state.message = self.t("Test page printed")
        return True

    def read_card(self) -> bool:
        self._require_login()
        try:
            identity = self.shell.hw.card_reader.read_identity()
        except Exception as exc:  # noqa: BLE001
            self.state.message = self.t("Card not read: {error}").format(error=type(exc).__name__)
            return False
        self.state.message = self.t("Card read: {card}").format(card=f"{identity.card_type} {identity.masked_card_id}")
        return True

    def live_view(self) -> None:
        self._require_login()
        self.state.is_live_view = not self.state.is_live_view

    def test_leds(self) -> None:
        """Cycle the status LED through its states and blink the help LED once (restored by the shell)."""
        self._require_login()
        panel = self.shell.hw.panel
        try:
            for status in ("ready", "busy", "attention", "offline"):
                panel.set_status(status)
            panel.call_staff(True)
            panel.call_staff(False)
        except Exception as exc:  # noqa: BLE001
            self.state.message = self.t("Panel fault: {error}").format(error=exc)
            return
        self.shell._panel_status = ""  # the shell shows the real status again on its next turn
        self.state.message = self.t("LEDs cycled: ready, busy, attention, offline; help LED blinked")

    def force_sync(self) -> None:
        """Deliver every queued packet now, whatever its backoff says (on a thread: the screen stays live)."""
        self._require_login()
        if not self.config.receiver.url and self.sync is None:
            self.state.message = self.t("No receiver.url configured")
            return
        if not self._busy.acquire(blocking=False):
            self.state.message = self.t("A sync is already running")
            return
        self.state.message = self.t("Syncing...")

        def run() -> None:
            try:
                delivered, failed = self._deliver_all()
                self.state.message = self.t("Sync: {delivered} delivered, {queued} still queued").format(
                    delivered=delivered, queued=failed)
                log.info("forced sync", extra={"delivered": delivered, "failed": failed})
            except Exception as exc:  # noqa: BLE001 - one line on screen, the outbox keeps everything
                self.state.message = self.t("Sync failed: {error}").format(error=type(exc).__name__)
            finally:
                self._busy.release()

        self._sync_thread = threading.Thread(target=run, name="service-sync", daemon=True)
        self._sync_thread.start()

    def _deliver_all(self) -> tuple[int, int]:
        from kiosk.store import Store
        from kiosk.sync.coordinator import SyncCoordinator
        from kiosk.sync.transport import Transport

        if self.sync is not None:  # the kiosk's own coordinator: one writer, its TLS and its round lock
            coordinator, owned = self.sync.coordinator, None
        else:
            owned = Store.open(self.config.db_path)
            coordinator = SyncCoordinator(owned, transport=Transport.from_config(self.config.receiver))
        def progress(report) -> None:
            self.state.message = self.t("Syncing: {delivered} delivered, {left} left").format(
                delivered=len(report.delivered), left=max(0, queued - len(report.delivered) - len(report.failed)))

        try:
            # one pipelined round over the whole queue, backoff ignored; it stops starting new ones once
            # the receiver is out of reach (what was not delivered stays queued, untouched)
            queued = coordinator.store.backlog()[0]
            report = coordinator.deliver_due(limit=max(1, queued), is_forced=True, on_progress=progress)
        finally:
            if owned is not None:
                coordinator.close()
                owned.close()
        if self.sync is not None:
            self.sync.wake()  # let the loop reconcile statuses and re-check the freeze rules
        delivered = len(report.delivered)
        return delivered, max(len(report.failed), queued - delivered)

    def export_usb(self) -> bool:
        from kiosk.appliance.usb_export import ExportError, export_packets

        self._require_login()
        acks = self._apply_usb_acks()
        if not self.config.service.usb_export_dir.is_dir():
            self.state.message = self.t("no USB stick mounted at {path}").format(path=self.config.service.usb_export_dir)
            return False
        try:
            result = export_packets(self.shell.store, self.config.service.usb_export_dir,
                                    kiosk_id=self.config.kiosk.id)
        except ExportError as exc:
            self.state.message = str(exc)
            return False
        if result.directory is None:
            message = self.t("Nothing new to export")
        else:
            message = self.t("Exported {count} packet(s) to {directory}").format(
                count=len(result.enrollment_ids), directory=result.directory.name)
        if acks is not None and (acks.purged or acks.refused):
            message += "; " + self.t("{count} acknowledged by the receiver and purged").format(count=len(acks.purged))
            if acks.refused:
                message += "; " + self.t("{count} acknowledgement(s) refused ({reasons})").format(
                    count=len(acks.refused), reasons=", ".join(sorted(set(acks.refused.values()))))
        self.state.message = message
        log.info("packets exported to USB", extra={"count": len(result.enrollment_ids)})
        return True

    def _apply_usb_acks(self):
        """The receiver's acknowledgements on the stick (``kiosk receiver import --tls-key``), checked
        against the pinned receiver certificate: purge exactly what they name (``kiosk.appliance.usb_ack``)."""
        from kiosk.appliance.usb_ack import AckError, apply_acks, load_pinned

        stick = self.config.service.usb_export_dir
        if not stick.is_dir():
            return None
        try:
            public_key = load_pinned(self.config.receiver.pinned_cert, self.config.receiver.pinned_sha256)
        except AckError:
            public_key = None
        return apply_acks(self.shell.store, stick, kiosk_id=self.config.kiosk.id, public_key=public_key)

    def reboot(self) -> bool:
        """Ask root's ``sportello-reboot.path`` to reboot the machine (the kiosk itself is unprivileged)."""
        self._require_login()
        log.warning("reboot requested by a technician")
        try:
            self.reboot_flag.write_text(datetime.now(timezone.utc).isoformat(timespec="seconds") + "\n")
        except OSError as exc:
            self.state.message = self.t("Reboot refused: {error} ({directory})").format(
                error=exc.strerror or exc, directory=self.reboot_flag.parent)
            return False
        self.state.message = self.t("Rebooting...")
        return True
