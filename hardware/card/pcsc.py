"""``PcscCardReader``: the real backend, pyscard over pcscd (PC/SC), as on the kiosk.

A monitor thread blocks in ``SCardGetStatusChange`` (no sleep-polling) on the configured reader and
on PC/SC's plug-and-play pseudo-reader, so it sees cards arrive and leave and readers come and go.
When pcscd stops or restarts, the calls fail with ``SCARD_E_NO_SERVICE`` and friends: the monitor
makes a new context (retrying with a short back-off while pcscd is away) and carries on; a card that
is still in the reader is announced again.

On insertion the monitor reads the card at once (EF_DatiPersonali, EF_IDCarta, the certificate,
cross-checked; the chain checked against the configured CAs), so ``read_identity()`` right after
``when_card_inserted`` costs no APDU. Nothing personal is logged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from hardware.card import pace
from hardware.card.emrtd import TravelDocument, read_travel_document
from hardware.card.port import CardIdentity, CardReader, PinResult
from hardware.card.session import CardRead, CardSession, CieRead, check_validity
from hardware.card.trust import TrustStore
from hardware.errors import (
    CardError, CardIsCie, CardNotSupported, CardRemoved, NoCard, ReaderUnavailable,
)

log = logging.getLogger("hardware.card.pcsc")

PNP = "\\\\?PnP?\\Notification"
WAIT_MS = 5000  # the monitor's blocking wait; SCardCancel wakes it at once on close()
RETRY_S = 0.2  # back-off while pcscd is away


def _scard():
    try:
        from smartcard import scard
    except ImportError as err:  # pragma: no cover - pyscard is a dependency
        raise ReaderUnavailable(f"pyscard is not installed ({err}); pip install pyscard") from None
    return scard


class PcscCardReader(CardReader):
    """A PC/SC reader slot. ``reader``: a substring of the reader's name ("" = the first reader).

    ``ca_certs``: PEM files of the CAs whose CNS certificates are trusted (the AgID list in
    production); empty means the chain is not checked (the dates always are).
    """

    def __init__(self, *, reader: str = "", ca_certs: Iterable[Path | str] = ()) -> None:
        super().__init__()
        self.reader_match = reader
        self.ca_paths = tuple(Path(p) for p in ca_certs)
        self.trust: TrustStore | None = None
        self.reader_name: str | None = None
        self.last_apdu_count = 0
        self.last_insertion: dict = {}
        """Timing of the last insertion (no personal data): ``detected_at`` (monotonic s), ``read_ms``, ``apdus``."""
        self._scard = None
        self._context = None  # for card operations (the monitor has its own)
        self._monitor_context = None
        self._card = None  # (hcard, protocol)
        self._session: CardSession | None = None
        self._read: CardRead | None = None
        self._is_present = False
        self._was_removed = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def _open(self) -> None:
        self._scard = _scard()
        self.trust = TrustStore.from_files(self.ca_paths) if self.ca_paths else None
        self._context = self._establish()
        self.reader_name = self._find_reader(self._context)
        if self.reader_name is None:
            self._release(self._context)
            self._context = None
            wanted = f" matching {self.reader_match!r}" if self.reader_match else ""
            raise ReaderUnavailable(f"no smart-card reader{wanted} found (is it plugged in?)")
        self._stop.clear()
        self._monitor_context = self._establish()
        self._thread = threading.Thread(target=self._monitor, name="pcsc-monitor", daemon=True)
        self._thread.start()

    def _close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        deadline = time.monotonic() + 10
        while thread is not None and thread.is_alive() and time.monotonic() < deadline:
            context = self._monitor_context  # cancel again until it lands inside the wait
            if context is not None:
                try:
                    self._scard.SCardCancel(context)
                except Exception:  # noqa: BLE001 - the context died with pcscd
                    pass
            thread.join(timeout=0.05)
        with self._lock:
            self._disconnect()
            self._release(self._context)
            self._context = None
            self._read = None
            self._is_present = False

    def _establish(self):
        scard = self._scard
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"the PC/SC service (pcscd) is not running: {self._text(hresult)}")
        return context

    def _release(self, context) -> None:
        if context is not None:
            try:
                self._scard.SCardReleaseContext(context)
            except Exception:  # noqa: BLE001 - a dead context cannot be released twice
                pass

    def _find_reader(self, context) -> str | None:
        scard = self._scard
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        for name in readers:
            if self.reader_match.lower() in name.lower():
                return name
        return None

    def _text(self, hresult: int) -> str:
        try:
            return self._scard.SCardGetErrorMessage(hresult).strip()
        except Exception:  # noqa: BLE001
            return f"0x{hresult & 0xFFFFFFFF:08X}"

    # -- the monitor thread ---------------------------------------------------------------------

    def _monitor(self) -> None:
        scard = self._scard
        context = self._monitor_context
        states: list = []
        self._pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            if context is None:
                try:
                    context = self._monitor_context = self._establish()
                except ReaderUnavailable:
                    self._stop.wait(RETRY_S)  # pcscd is away: try again shortly
                    continue
                states, self._pnp_state = [], scard.SCARD_STATE_UNAWARE
            if not states:
                # (re)list the readers; the plug-and-play entry keeps its known state, so with no
                # reader the wait blocks until one is plugged in instead of returning at once
                name = self._find_reader(context)
                if name is not None:
                    self.reader_name = name
                states = [(PNP, self._pnp_state)]
                if name is not None:
                    states.append((name, scard.SCARD_STATE_UNAWARE))
            hresult, new_states = scard.SCardGetStatusChange(context, WAIT_MS, states)
            if self._stop.is_set():
                break
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult == scard.SCARD_E_CANCELLED:
                continue
            if hresult == scard.SCARD_E_UNKNOWN_READER:
                states = []  # our reader went away between listing and waiting
                self._card_gone()
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                log.warning("PC/SC service lost; reconnecting", extra={"error": self._text(hresult)})
                self._card_gone()
                self._release(context)
                context = self._monitor_context = None
                with self._lock:
                    self._release(self._context)
                    self._context = None
                self._stop.wait(RETRY_S)
                continue
            states = self._handle(new_states)

    def _handle(self, new_states) -> list:
        scard = self._scard
        next_states = []
        reader_list_changed = False
        for name, event, atr in new_states:
            if name == PNP:
                if event & scard.SCARD_STATE_CHANGED and self._pnp_state != scard.SCARD_STATE_UNAWARE:
                    reader_list_changed = True
                self._pnp_state = event & ~scard.SCARD_STATE_CHANGED
                next_states.append((name, self._pnp_state))
                continue
            if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE | scard.SCARD_STATE_UNAVAILABLE):
                reader_list_changed = True
                self._card_gone()
                continue
            is_present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
            if is_present and not self._is_present:
                self._card_arrived(bytes(atr))
            elif not is_present and self._is_present:
                self._card_gone()
            next_states.append((name, event & ~scard.SCARD_STATE_CHANGED))
        if reader_list_changed or len(next_states) < 2:
            return []  # list the readers again (one was plugged or unplugged)
        return next_states

    def _card_arrived(self, atr: bytes) -> None:
        detected_at = time.monotonic()
        identity = None
        with self._lock:
            self._is_present, self._was_removed = True, False
            self._read = None
            try:
                self._connect()
                if self._session is not None and self._session.is_cns:
                    identity = self._read_cns().identity
            except CardError as err:
                log.info("card inserted but not read", extra={"error": type(err).__name__})
            self.last_insertion = {
                "detected_at": detected_at, "read_ms": (time.monotonic() - detected_at) * 1000,
                "apdus": self.last_apdu_count if identity is not None else None,
            }
        log.info("card inserted")
        self._notify_inserted(identity)

    def _card_gone(self) -> None:
        with self._lock:
            if not self._is_present:
                return
            self._is_present, self._was_removed = False, True
            self._read = None
            self._disconnect()
        log.info("card removed")
        self._notify_removed()

    # -- connection -----------------------------------------------------------------------------

    def _connect(self) -> CardSession:
        if self._session is not None and self._card is not None:
            return self._session
        scard = self._scard
        if self._context is None:
            self._context = self._establish()
        if self.reader_name is None:
            self.reader_name = self._find_reader(self._context)
            if self.reader_name is None:
                raise ReaderUnavailable("the smart-card reader is gone")
        hresult, hcard, protocol = scard.SCardConnect(
            self._context, self.reader_name, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
            raise self._no_card()
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardError(f"cannot connect to the card: {self._text(hresult)}")
        hresult, _reader, _state, _protocol, atr = scard.SCardStatus(hcard)
        if hresult != scard.SCARD_S_SUCCESS:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
            raise self._no_card()
        self._card = (hcard, protocol)
        self._session = CardSession(self._transmit, bytes(atr))
        return self._session

    def _disconnect(self) -> None:
        card, self._card, self._session = self._card, None, None
        if card is not None:
            try:
                self._scard.SCardDisconnect(card[0], self._scard.SCARD_RESET_CARD)
            except Exception:  # noqa: BLE001 - the handle may be dead already
                pass

    def _transmit(self, command: bytes) -> bytes:
        scard = self._scard
        if self._card is None:
            raise self._no_card()
        hcard, protocol = self._card
        hresult, response = scard.SCardTransmit(hcard, protocol, list(command))
        if hresult == scard.SCARD_W_RESET_CARD:
            # another program (a technician's tool) reset the card: it is still here, with no PIN
            # verified and no file selected; reconnect and send the command again, once
            hresult, protocol = scard.SCardReconnect(hcard, scard.SCARD_SHARE_SHARED,
                                                     scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                                                     scard.SCARD_LEAVE_CARD)
            if hresult == scard.SCARD_S_SUCCESS:
                self._card = (hcard, protocol)
                hresult, response = scard.SCardTransmit(hcard, protocol, list(command))
        if hresult == scard.SCARD_S_SUCCESS and len(response) < 2:
            # vpcd (and some readers) answer nothing when the card leaves during the command
            hresult = scard.SCARD_W_REMOVED_CARD if self._card_leaving() else scard.SCARD_E_NOT_TRANSACTED
        if hresult == scard.SCARD_S_SUCCESS:
            return bytes(response)
        self._card = None
        self._session = None
        if hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD):
            self._was_removed = True
            raise CardRemoved("the card was removed from the reader")
        if hresult in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
                       scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_UNKNOWN_READER):
            self._release(self._context)
            self._context = None
            raise ReaderUnavailable(f"the smart-card reader stopped answering: {self._text(hresult)}")
        raise CardError(f"the card did not answer: {self._text(hresult)}")

    def _card_leaving(self, timeout_ms: int = 1500) -> bool:
        """After an empty answer: does the reader report the card gone (within ``timeout_ms``)?"""
        scard = self._scard
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            wait = max(int((deadline - time.monotonic()) * 1000), 1)
            hresult, states = scard.SCardGetStatusChange(self._context, wait, [(self.reader_name, state)])
            if hresult != scard.SCARD_S_SUCCESS:
                return hresult != scard.SCARD_E_TIMEOUT
            _, state, _ = states[0]
            if not state & scard.SCARD_STATE_PRESENT:
                return True
            state &= ~scard.SCARD_STATE_CHANGED
        return False

    def _no_card(self) -> NoCard:
        return CardRemoved("the card was removed from the reader") if self._was_removed else NoCard("no card in the reader")

    def _with_session(self, operation):
        with self._lock:
            session = self._connect()
            before = session.apdu_count
            try:
                return operation(session)
            finally:
                self.last_apdu_count = session.apdu_count - before

    def _read_cns(self) -> CardRead:
        session = self._connect()
        before = session.apdu_count
        try:
            read = session.read_cns(trust=self._check_certificate)
        finally:
            self.last_apdu_count = session.apdu_count - before
        self._read = read
        return read

    def _check_certificate(self, info) -> None:
        if self.trust is not None:
            self.trust.check(info.certificate)
        else:
            check_validity(info)

    # -- port -----------------------------------------------------------------------------------

    @property
    def is_card_present(self) -> bool:
        return self._is_present

    def read_card(self, *, fresh: bool = False) -> CardRead | CieRead:
        """Backend extra for technicians (``kiosk card read``): a CNS's data, or a CIE's NIS and check.

        ``fresh``: read the card again even if the insertion already read it.
        """
        self._check_started()
        with self._lock:
            session = self._connect()
            if session.is_cns:
                return self._read if self._read is not None and not fresh else self._read_cns()
            return self._with_session(lambda s: s.read_cie(challenge=os.urandom(8)))

    def read_travel_document(self, can: str, *, with_face: bool = True, extended_length: bool = True) -> TravelDocument:
        """Backend extra (``kiosk card read --can``): a CIE's travel-document applet through PACE.

        Runs PACE with ``can`` once (a wrong CAN raises ``PaceFailed(reason="wrong_can")`` and is
        never retried: the citizen types it again), then reads DG1 and DG2 through secure messaging.
        ``last_apdu_count`` tells how many APDUs it took. ``extended_length=False``: read in short
        chunks (for a reader that cannot pass extended-length APDUs).
        """
        self._check_started()
        pace.can_key(can)  # a malformed CAN is refused before anything is sent
        with self._lock:
            if self._connect().is_cns:
                raise CardNotSupported("a CNS has no travel-document applet: only a CIE has")
            try:
                return self._with_session(lambda s: read_travel_document(
                    s.send, can, with_face=with_face, extended=extended_length))
            finally:
                self._disconnect()  # secure messaging ends with the read; the next read starts afresh

    def _read_identity(self) -> CardIdentity:
        with self._lock:
            if self._read is not None:
                self.last_apdu_count = 0
                return self._read.identity
            session = self._connect()
            if not session.is_cns:
                cie = self._with_session(lambda s: s.read_cie(challenge=os.urandom(8)))
                raise CardIsCie(
                    "a CIE (NIS read, chip " + ("genuine" if cie.is_genuine else "NOT genuine")
                    + "): its personal data needs PACE with the CAN (read_travel_document)"
                )
            return self._read_cns().identity

    def _ready_identity(self) -> CardIdentity | None:
        # the insertion read, cross-checked and with its certificate checked; never wait for the lock
        # (the monitor holds it while it reads a card that has just arrived)
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._read.identity if self._read is not None and self._is_present else None
        finally:
            self._lock.release()

    def _pin_tries_left(self) -> int:
        return self._with_session(lambda s: s.pin_tries_left())

    def _verify_pin(self, pin: str) -> PinResult:
        return self._with_session(lambda s: s.verify_pin(pin))

    def _sign(self, challenge: bytes) -> bytes:
        with self._lock:
            read = self._read if self._read is not None else self._read_cns()
            bits = read.certificate.certificate.public_key().key_size
            return self._with_session(lambda s: s.sign(challenge, key_bits=bits))

    def _certificate(self) -> bytes:
        with self._lock:
            read = self._read if self._read is not None else self._read_cns()
            return read.certificate_der
