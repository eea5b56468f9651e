"""The shell: wires devices, journey, store and sync; the only place where effects touch the world.

Device callbacks arrive on other threads and are queued; ``pump()`` (called from the UI loop) hands
queued events and ticks to the journey. Effects that talk to devices or the store (a card read, a
capture, seal and commit, printing) run in order on one worker thread, so the screen stays
responsive and shows "please wait" while they run; their outcomes come back through the same queue.
The journey itself stays pure and only the UI thread changes it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import queue
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from PIL import Image

from hardware.errors import (
    CameraError, CanFormatInvalid, CardBlocked, CardDataInvalid, CardError, CardIsCie, CardNotSupported, CardRemoved,
    CertificateInvalid, CoverOpen, NoCard, PaceFailed, PaperOut, PrinterError, PrinterOffline,
)
from hardware.printer.port import PrinterStatus
from kiosk.devices import Hardware
from kiosk.enroll import Enroller
from kiosk.errors import StoreError, ValidationError
from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.machine import Journey, MIN_TRIES_TO_SEND
from kiosk.journey.screens import Screen
from kiosk.domain.ids import normalise_reference
from kiosk.receipt import QR_PREFIX, build_receipt
from kiosk.store import Store

log = logging.getLogger("kiosk.shell")

MAX_IMAGE_SIDE = 1600  # px: readable documents, far below the IdP's 2.5 MB cap
JPEG_QUALITY = 85


def encode_jpeg(frame: np.ndarray, *, max_side: int = MAX_IMAGE_SIDE, quality: int = JPEG_QUALITY) -> tuple[bytes, int, int]:
    """RGB frame → JPEG bytes without EXIF, scaled down to ``max_side``."""
    image = Image.fromarray(frame)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue(), image.width, image.height


def _card_event(identity) -> ev.CardRead:
    return ev.CardRead(
        codice_fiscale=identity.codice_fiscale, surname=identity.surname, given_name=identity.given_name,
        birth_date=identity.birth_date, sex=identity.sex, birth_place_code=identity.birth_place_code,
        card_type=identity.card_type, expiry_date=identity.expiry_date,
        has_certificate=identity.card_type in ("TS-CNS", "CNS"),
    )


def _card_error_code(exc: CardError) -> str:
    """The message key the citizen sees for a card fault (the journey goes on: manual entry remains)."""
    for kind, code in (
        (CardRemoved, "card_removed"), (NoCard, "card_needed"), (CertificateInvalid, "card_certificate_invalid"),
        (CardDataInvalid, "card_data_inconsistent"), (CardIsCie, "card_is_cie"), (CanFormatInvalid, "can_format"),
        (CardNotSupported, "card_unknown"), (CardBlocked, "pin_blocked"),
    ):
        if isinstance(exc, kind):
            return code
    if isinstance(exc, PaceFailed) and exc.reason == "wrong_can":
        return "wrong_can"
    return "card_unreadable"


def _printer_error_code(exc: PrinterError) -> str:
    if isinstance(exc, PaperOut):
        return "paper_out"
    if isinstance(exc, PrinterOffline):
        return "printer_offline"
    return "printer_failed"


def _printer_alert(status: PrinterStatus | None) -> str:
    """The technician alert a printer status calls for ("" when none); ``None`` reads as offline."""
    if status is None or not status.is_online:
        return "printer_offline"
    if status.is_cover_open:
        return "cover_open"
    return {"out": "paper_out", "near_end": "paper_near_end"}.get(status.paper, "")


def operator_reference(codice_fiscale: str) -> str:
    """A stable, non-reversible operator reference for the evidence record and logs."""
    return "op-" + hashlib.sha256(("sportello-operator:" + codice_fiscale).encode()).hexdigest()[:12]


class Inbox(queue.Queue):
    """The shell's queue of device reports and effect outcomes. ``wake`` (optional, set by the UI loop)
    is called after every put, from any thread, so a sleeping loop handles the report at once."""

    wake = None

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        wake = self.wake
        if wake is not None:
            wake()


@dataclass
class PrintOutcome:
    is_printed: bool
    error: str = ""


class Shell:
    def __init__(
        self, *, journey: Journey, hardware: Hardware, store: Store, enroller: Enroller, kiosk_name: str,
        operators: tuple[str, ...] = (), clock=datetime.now, kiosk_logo: Path | None = None, sync=None,
        max_image_bytes: int = 2_500_000,
    ) -> None:
        self.journey = journey
        self.hw = hardware
        self.store = store
        self.enroller = enroller
        self.kiosk_name = kiosk_name
        self.kiosk_logo = kiosk_logo
        self.max_image_bytes = max_image_bytes
        self.operators = set(operators)
        self.clock = clock
        self.events = Inbox()
        self.last_receipt: bytes = b""
        self.last_committed = None  # the last CommittedEnrollment (in memory only)
        self.on_committed = None  # optional callback(enrollment_id) for sync to pick up
        self.sync = sync  # the SyncCoordinator when a receiver is configured (OTP, status check)
        self._otp_ids: dict[str, str] = {}  # channel -> the receiver's id for the code sent (memory only)
        self._otp_session = ""  # opaque id of this citizen's session for the receiver's code limits
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-effects")
        self._in_flight = 0
        self._lock = threading.Lock()
        hardware.card_reader.when_card_inserted = lambda _identity: self.events.put(ev.CardInserted())
        hardware.card_reader.when_card_removed = lambda _none: self.events.put(ev.CardRemoved())
        self.printer_alert = ""  # "", "paper_near_end", "paper_out", "printer_offline", "cover_open"
        self.printer_check_s = 5.0  # while a printer alert is up: how often to look again
        self._next_printer_check = 0.0
        self._panel_status = ""
        hardware.panel.when_help_pressed = lambda: self.events.put(ev.UserIntent(ev.Intent.HELP))
        hardware.panel.when_tamper_opened = self._on_tamper_opened
        if hardware.card_reader.is_started and hardware.card_reader.is_card_present:
            self.events.put(ev.CardInserted())

    # -- the loop's entry points (UI thread only) ------------------------------------------------
    INLINE = (fx.CallStaff, fx.WipeSession)  # instant: no need for the worker

    def post(self, event) -> None:
        """Hand an event (a UI intent, a device report) to the journey and start the effects it asks for."""
        pending = [event]
        while pending:
            for effect in self.journey.handle(pending.pop(0), self.clock()):
                if isinstance(effect, self.INLINE):
                    outcome = self.execute(effect)
                elif isinstance(effect, fx.ReadCard) and (identity := self.hw.card_reader.ready_identity()):
                    # read and checked as the card arrived: its data goes on screen in this very turn,
                    # with no "please wait" frame and no trip through the worker
                    outcome = _card_event(identity)
                else:
                    self._submit(effect)
                    continue
                if outcome is not None:
                    pending.append(outcome)

    def pump(self) -> None:
        """Deliver queued device reports and effect outcomes, then a tick."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self.post(event)
        self.post(ev.Tick())
        self._show_status()
        self._maybe_check_printer()

    @property
    def is_idle(self) -> bool:
        with self._lock:
            return self._in_flight == 0 and self.events.empty()

    def settle(self, *, timeout: float = 10.0) -> None:
        """Pump until every effect has finished and its outcome reached the journey (tests, demo)."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if self.is_idle:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("effects did not finish in time")
            time.sleep(0.002)

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    # -- panel and printer health -------------------------------------------------------------------
    def _on_tamper_opened(self) -> None:
        """The enclosure was opened (panel thread): lock the kiosk and wipe the session."""
        log.warning("ALERT: enclosure opened: kiosk locked until a technician clears it")
        self.events.put(ev.Tampered())

    def clear_tamper(self) -> bool:
        """A technician closed the enclosure and resumes the kiosk; refused while it is still open."""
        if self.hw.panel.is_tamper_open:
            return False
        self.post(ev.TamperCleared())
        log.info("tamper alert cleared by a technician")
        return True

    def led_status(self) -> str:
        """What the status LED shows: attention, offline, busy (a session is on) or ready."""
        s = self.journey.session
        if self.printer_alert or s.frozen_reason == "tamper":
            return "attention"
        if s.screen is Screen.OUT_OF_SERVICE:
            return "offline"
        return "ready" if s.screen is Screen.WELCOME else "busy"

    def _show_status(self) -> None:
        state = self.led_status()
        if state == self._panel_status:
            return
        try:
            self.hw.panel.set_status(state)
        except Exception as exc:  # a broken LED must never stop a citizen  # noqa: BLE001
            log.warning("panel failed", extra={"error": type(exc).__name__})
            return
        self._panel_status = state

    def _set_printer_alert(self, alert: str) -> None:
        if alert == self.printer_alert:
            return
        self.printer_alert = alert
        if alert:
            log.warning("ALERT: printer needs a technician", extra={"alert": alert})
        else:
            log.info("printer alert cleared")

    def check_printer(self) -> list[str]:
        """Read the printer's status and update the alert; once it can print, reprint pending receipts whole."""
        try:
            status = self.hw.printer.status()
        except PrinterError:
            status = None
        alert = _printer_alert(status)
        self._set_printer_alert(alert)
        if alert in ("", "paper_near_end"):
            return self.reprint_pending()
        return []

    def _maybe_check_printer(self) -> None:
        if not self.printer_alert or time.monotonic() < self._next_printer_check:
            return
        if not self.is_idle:  # never between a commit and its own print: that receipt would come out twice
            return
        self._next_printer_check = time.monotonic() + self.printer_check_s

        def run() -> None:
            try:
                self.check_printer()
            except Exception as exc:  # noqa: BLE001 - a printer bug must not kill the kiosk
                log.warning("printer check failed", extra={"error": type(exc).__name__})

        self._on_worker(run)

    def _submit(self, effect) -> None:
        def run() -> None:
            try:
                outcome = self.execute(effect)
            except Exception as exc:  # noqa: BLE001 - a device bug must not kill the kiosk
                log.exception("effect failed", extra={"effect": type(effect).__name__, "error": type(exc).__name__})
                outcome = _failure_for(effect)
            if outcome is not None:
                self.events.put(outcome)

        self._on_worker(run)

    def _on_worker(self, job) -> None:
        """Run ``job`` on the effects thread, counted in flight until it has finished (see ``is_idle``).
        Jobs are only ever submitted from the UI thread, so checking ``is_idle`` first is race-free."""
        with self._lock:
            self._in_flight += 1

        def counted() -> None:
            try:
                job()
            finally:
                with self._lock:
                    self._in_flight -= 1

        self._worker.submit(counted)

    # -- effects ----------------------------------------------------------------------------------
    def execute(self, effect):
        handler = getattr(self, "_do_" + type(effect).__name__)
        return handler(effect)

    def _do_LookupStatus(self, effect: fx.LookupStatus):
        """Where an enrollment stands, from the receiving side; no coordinator or no network: "offline"."""
        lookup = getattr(self.sync, "lookup_status", None)
        if lookup is None:
            return ev.StatusLookedUp("offline")
        try:
            answer = lookup(effect.reference)
        except Exception as exc:  # noqa: BLE001 - any transport fault is "offline" to the citizen
            log.warning("status lookup failed", extra={"error": type(exc).__name__})
            return ev.StatusLookedUp("offline")
        answer = answer if isinstance(answer, dict) else {}
        reasons = tuple(str(r) for r in answer.get("reasons") or () if isinstance(r, str))
        return ev.StatusLookedUp(str(answer.get("status") or "unknown"), reasons)

    def _do_ScanStatusQr(self, effect: fx.ScanStatusQr):
        """Read the receipt's QR from the camera (zxing-cpp), then look that enrollment up."""
        import zxingcpp  # only when a citizen shows a receipt

        try:
            frame = self.hw.camera.capture_still()
        except CameraError as exc:
            log.warning("status QR capture failed", extra={"error": type(exc).__name__})
            return ev.StatusLookedUp("unreadable")
        for found in zxingcpp.read_barcodes(frame):
            text = found.text or ""
            if text.startswith(QR_PREFIX):
                reference = normalise_reference(text[len(QR_PREFIX):])
                if reference:
                    return self._do_LookupStatus(fx.LookupStatus(reference))
        return ev.StatusLookedUp("unreadable")

    def _do_ReadCard(self, effect: fx.ReadCard):
        try:
            return _card_event(self.hw.card_reader.read_identity())
        except CardError as exc:
            log.warning("card read failed", extra={"error": type(exc).__name__})
            return ev.CardReadFailed(_card_error_code(exc))

    def _do_ReadTravelDocument(self, effect: fx.ReadTravelDocument):
        read = getattr(self.hw.card_reader, "read_travel_document", None)
        if read is None:
            return ev.CardReadFailed("card_unknown")
        try:
            mrz = read(effect.can, with_face=False).mrz
        except CardError as exc:
            log.warning("travel document read failed", extra={"error": type(exc).__name__})
            return ev.CardReadFailed(_card_error_code(exc))
        return ev.TravelDocumentRead(surname=mrz.surname, given_name=mrz.given_names, birth_date=mrz.birth_date,
                                     sex=mrz.sex)

    def _do_Capture(self, effect: fx.Capture):
        from kiosk.capture.pipeline import process_capture  # OpenCV loads on the first capture only

        try:
            frame = self.hw.camera.capture_still()
        except CameraError as exc:
            log.warning("capture failed", extra={"error": type(exc).__name__})
            return ev.CaptureFailed(effect.kind, "camera_missing")
        result = process_capture(frame, kind=effect.kind, doc_type=effect.doc_type, max_bytes=self.max_image_bytes)
        if result.fault:
            log.warning("capture unusable", extra={"error": result.fault})
            return ev.CaptureFailed(effect.kind, result.fault)
        return ev.Captured(effect.kind, result.jpeg, result.width, result.height, mrz=result.mrz)

    def _do_SendOtp(self, effect: fx.SendOtp):
        """The receiver sends the code; offline (or refused) the journey goes on and the packet says "to verify"."""
        if self.sync is None:
            return ev.OtpSent(effect.channel, False)
        if not self._otp_session:  # an opaque id for this citizen's session: the receiver's per-session limit
            self._otp_session = secrets.token_urlsafe(16)
        sent = self.sync.send_otp(effect.channel, effect.address, session=self._otp_session)
        if getattr(sent, "retry_after", 0):  # OtpWait: too many codes asked for; the receiver says how long
            return ev.OtpSent(effect.channel, False, retry_after_s=sent.retry_after)
        if sent:
            self._otp_ids[effect.channel] = sent
        return ev.OtpSent(effect.channel, bool(sent))

    def _do_CheckOtp(self, effect: fx.CheckOtp):
        otp_id = self._otp_ids.get(effect.channel)
        check = self.sync.verify_otp(otp_id, effect.code) if otp_id and self.sync is not None else None
        if check is not None and (check.verified or check.is_burnt):
            self._otp_ids.pop(effect.channel, None)
        return ev.OtpChecked(effect.channel, bool(check and check.verified), is_burnt=bool(check and check.is_burnt))

    def _do_QueryPinTries(self, effect: fx.QueryPinTries):
        try:
            return ev.PinTries(self.hw.card_reader.pin_tries_left())
        except CardError as exc:
            return ev.CitizenPinResult(False, 0, reason=_card_error_code(exc))

    def _do_VerifyCitizenPin(self, effect: fx.VerifyCitizenPin):
        reader = self.hw.card_reader
        try:
            tries = reader.pin_tries_left()
            if tries < MIN_TRIES_TO_SEND:
                return ev.CitizenPinResult(False, tries)
            result = reader.verify_pin(effect.pin)
            if not result.ok:
                return ev.CitizenPinResult(False, result.tries_left, reason="pin_wrong")
            challenge = os.urandom(32)
            signature = reader.sign(challenge)
            certificate = reader.certificate()
            identity = reader.read_identity()
        except ValueError:
            return ev.CitizenPinResult(False, self.journey.session.pin_tries_left or 0, reason="pin_format")
        except CardError as exc:
            return ev.CitizenPinResult(False, self.journey.session.pin_tries_left or 0, reason=_card_error_code(exc))
        citizen = self.journey.session.citizen
        if citizen is None or identity.codice_fiscale != citizen.codice_fiscale:
            return ev.CitizenPinResult(False, result.tries_left, reason="card_other_person")
        if not _signature_holds(certificate, challenge, signature, citizen.codice_fiscale):
            return ev.CitizenPinResult(False, result.tries_left, reason="card_signature_invalid")
        return ev.CitizenPinResult(
            True, result.tries_left, certificate_der=certificate, challenge=challenge, signature=signature
        )

    def _do_AuthenticateOperator(self, effect: fx.AuthenticateOperator):
        reader = self.hw.card_reader
        try:
            identity = reader.read_identity()
            if identity.codice_fiscale not in self.operators:
                return ev.OperatorRejected("operator_unknown")
            if reader.pin_tries_left() < MIN_TRIES_TO_SEND:
                return ev.OperatorRejected("pin_last_try")
            result = reader.verify_pin(effect.pin)
        except ValueError:
            return ev.OperatorRejected("pin_format")
        except CardError as exc:
            return ev.OperatorRejected(_card_error_code(exc))
        if not result.ok:
            return ev.OperatorRejected("pin_wrong")
        operator_id = operator_reference(identity.codice_fiscale)
        log.info("operator authenticated", extra={"operator": operator_id})
        return ev.OperatorAuthenticated(operator_id)

    def _do_SealAndCommit(self, effect: fx.SealAndCommit):
        try:
            committed = self.enroller.commit(effect.draft)
        except StoreError as exc:
            log.error("commit failed", extra={"error": str(exc)})
            return ev.CommitFailed("disk_full" if "disk_full" in str(exc) else "store_failed")
        except ValidationError as exc:
            return ev.CommitFailed(exc.code)
        self.last_committed = committed
        log.info("enrollment committed", extra={"enrollment_id": committed.enrollment_id, "bytes": committed.packet_size})
        if self.on_committed:
            self.on_committed(committed.enrollment_id)
        return ev.Committed(committed.enrollment_id, committed.reference, committed.activation_first_half)

    def _do_PrintReceipt(self, effect: fx.PrintReceipt):
        outcome = self.print_receipt(
            enrollment_id=effect.enrollment_id, reference=effect.reference,
            activation_first_half=effect.activation_first_half, language=effect.language,
        )
        return ev.Printed() if outcome.is_printed else ev.PrintFailed(outcome.error)

    def print_receipt(self, *, enrollment_id: str, reference: str, activation_first_half: str, language: str = "it") -> PrintOutcome:
        """Print one whole receipt (only ever after the commit), then forget the code half."""
        printer = self.hw.printer
        data = build_receipt(
            kiosk_name=self.kiosk_name, enrollment_id=enrollment_id, reference=reference,
            activation_first_half=activation_first_half, language=language, printed_at=self.clock(),
            profile=printer.profile, logo=self.kiosk_logo,
        )
        self.last_receipt = data
        try:
            status = printer.status()
            self._set_printer_alert(_printer_alert(status))
            if not status.is_online:
                raise PrinterOffline("printer is offline")
            if status.paper == "out":
                raise PaperOut("printer is out of paper")
            printer.print_bytes(data)
        except PrinterError as exc:
            log.warning("receipt not printed", extra={"enrollment_id": enrollment_id, "error": type(exc).__name__})
            self._set_printer_alert(_fault_alert(exc))
            return PrintOutcome(False, _printer_error_code(exc))
        self.store.mark_printed(enrollment_id)
        log.info("receipt printed", extra={"enrollment_id": enrollment_id})
        return PrintOutcome(True)

    def reprint_pending(self) -> list[str]:
        """Print the receipts of enrollments committed before a crash; returns the ids printed."""
        printed = []
        for pending in self.store.pending_print():  # each in the language its citizen chose
            if self.print_receipt(
                enrollment_id=pending.enrollment_id, reference=pending.reference,
                activation_first_half=pending.activation_first_half, language=pending.language,
            ).is_printed:
                printed.append(pending.enrollment_id)
        return printed

    def _do_CallStaff(self, effect: fx.CallStaff):
        try:
            self.hw.panel.call_staff(effect.is_active)
        except Exception as exc:  # a broken LED must never stop a citizen  # noqa: BLE001
            log.warning("panel failed", extra={"error": type(exc).__name__})
        return None

    def _do_WipeSession(self, effect: fx.WipeSession):
        self._otp_ids.clear()
        self._otp_session = ""
        log.info("session wiped", extra={"reason": effect.reason})
        return None


def _fault_alert(exc: PrinterError) -> str:
    if isinstance(exc, PaperOut):
        return "paper_out"
    if isinstance(exc, CoverOpen):
        return "cover_open"
    return "printer_offline"


def _failure_for(effect):
    """The outcome to report when an effect crashed unexpectedly: the journey always gets an answer."""
    return {
        fx.ReadCard: lambda: ev.CardReadFailed("card_unreadable"),
        fx.ReadTravelDocument: lambda: ev.CardReadFailed("card_unreadable"),
        fx.Capture: lambda: ev.CaptureFailed(getattr(effect, "kind", ""), "camera_missing"),
        fx.QueryPinTries: lambda: ev.CitizenPinResult(False, 0, reason="card_unreadable"),
        fx.VerifyCitizenPin: lambda: ev.CitizenPinResult(False, 0, reason="card_unreadable"),
        fx.AuthenticateOperator: lambda: ev.OperatorRejected("card_unreadable"),
        fx.SealAndCommit: lambda: ev.CommitFailed("store_failed"),
        fx.PrintReceipt: lambda: ev.PrintFailed("printer_failed"),
        fx.LookupStatus: lambda: ev.StatusLookedUp("offline"),
        fx.ScanStatusQr: lambda: ev.StatusLookedUp("unreadable"),
    }.get(type(effect), lambda: None)()


def _signature_holds(certificate_der: bytes, challenge: bytes, signature: bytes, codice_fiscale: str) -> bool:
    """The card signed our fresh challenge with the key of a certificate that names this citizen."""
    try:
        cert = x509.load_der_x509_certificate(certificate_der)
        cert.public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature, TypeError):
        return False
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return bool(names) and str(names[0].value).upper().startswith(codice_fiscale)
