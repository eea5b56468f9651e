"""Real printers through python-escpos's own connection classes: USB, serial, network and CUPS.

Each backend builds one python-escpos printer (``escpos.printer.Usb``, ``Serial``, ``Network``,
``CupsPrinter``) at ``start()`` and sends whole receipts with its ``_raw``. Status combines
``paper_status()`` with ``is_online()``: python-escpos reports "paper OK" when the printer does
not answer at all, so a silent printer is offline, never "ready".
"""

from __future__ import annotations

from typing import Any

from hardware.errors import PaperOut, PrinterOffline
from hardware.printer.port import Paper, Printer, PrinterStatus

OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2: offline cause status
COVER_OPEN_BIT = 0x04
_PAPER: dict[int, Paper] = {0: "out", 1: "near_end", 2: "ok"}


class EscposPrinter(Printer):
    """Shared part of the python-escpos backends; a subclass MUST implement ``_connect()``."""

    def __init__(self, *, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self._device: Any = None

    @property
    def where(self) -> str:
        """The connection, for messages (no personal data: only addresses and ids)."""
        raise NotImplementedError

    def _connect(self) -> Any:
        """A new, opened python-escpos printer."""
        raise NotImplementedError

    def _open(self) -> None:
        try:
            self._device = self._connect()
        except Exception as exc:  # python-escpos raises many kinds: name the connection instead
            cause = " ".join(str(exc).split())  # python-escpos messages span lines: keep one
            raise PrinterOffline(f"printer at {self.where} not found: check its cable and power ({cause})") from exc
        if not self._answers():
            self._close()
            raise PrinterOffline(f"printer at {self.where} does not answer: check its cable and power")

    def _close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a dead connection must not fail the kiosk
                pass

    def _answers(self) -> bool:
        try:
            return len(self._device.query_status(OFFLINE_CAUSE)) > 0
        except Exception:  # noqa: BLE001 - a dead socket or cable reads as "offline"
            return False

    def _status(self) -> PrinterStatus:
        silent = PrinterStatus(is_online=False, paper="out", is_cover_open=False)
        if self._device is None:
            return silent
        try:
            is_online = bool(self._device.is_online())  # False when it does not answer at all
            cause = self._device.query_status(OFFLINE_CAUSE)
            paper = _PAPER.get(int(self._device.paper_status()), "ok")  # "ok" when silent: see above
        except Exception:  # noqa: BLE001
            return silent
        is_cover_open = bool(cause) and bool(cause[0] & COVER_OPEN_BIT)
        if not cause or not (is_online or is_cover_open):
            return silent
        return PrinterStatus(is_online=True, paper=paper, is_cover_open=is_cover_open)

    def _write(self, data: bytes) -> None:
        try:
            self._device._raw(data)
        except Exception as exc:  # noqa: BLE001
            if self._status().paper == "out":
                raise PaperOut("printer ran out of paper in the middle of a receipt") from exc
            raise PrinterOffline(f"printer at {self.where} stopped answering in the middle of a receipt") from exc


def _require(connection: type, library: str) -> None:
    """Refuse before building a python-escpos connection whose library is missing (its ``__del__`` would fail)."""
    if not connection.is_usable():
        raise RuntimeError(f"the {library} library is not installed")


class UsbPrinter(EscposPrinter):
    def __init__(self, *, vendor_id: int, product_id: int, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.vendor_id, self.product_id = vendor_id, product_id

    @property
    def where(self) -> str:
        return f"USB {self.vendor_id:04x}:{self.product_id:04x}"

    def _connect(self) -> Any:
        from escpos.printer import Usb

        _require(Usb, "pyusb")

        device = Usb(self.vendor_id, self.product_id, profile=self.profile)
        device.open()
        return device


class SerialPrinter(EscposPrinter):
    """A printer on a serial line (pyserial). ``timeout``: how long a status query waits for a printer
    that does not answer; one that answers is read as soon as its one-byte reply arrives."""

    def __init__(
        self, *, device: str = "/dev/ttyUSB0", baudrate: int = 9600, timeout: float = 1.0, profile: str = "TM-T20II",
    ) -> None:
        super().__init__(profile=profile)
        self.device_path, self.baudrate, self.timeout = device, baudrate, timeout

    @property
    def where(self) -> str:
        return f"serial {self.device_path}"

    def _connect(self) -> Any:
        from escpos.printer import Serial

        _require(Serial, "pyserial")

        class PromptSerial(Serial):
            def _read(self) -> bytes:
                # python-escpos asks pyserial for 16 bytes, so every status query (a one-byte reply)
                # would wait the whole timeout: take the first byte, then whatever else has come
                first = self.device.read(1)
                return first + self.device.read(self.device.in_waiting) if first else first

        device = PromptSerial(devfile=self.device_path, baudrate=self.baudrate, timeout=self.timeout,
                              profile=self.profile)
        device.open()
        return device


class NetworkPrinter(EscposPrinter):
    def __init__(self, *, host: str, port: int = 9100, timeout: float = 5.0, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.host, self.port, self.timeout = host, port, timeout

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> Any:
        from escpos.printer import Network

        device = Network(self.host, port=self.port, timeout=self.timeout, profile=self.profile)
        device.open()
        return device


class CupsPrinter(EscposPrinter):
    """A CUPS queue: jobs go through CUPS, which cannot tell paper or cover status; ``is_online`` only."""

    def __init__(self, *, queue: str, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.queue = queue

    @property
    def where(self) -> str:
        return f"CUPS queue {self.queue}"

    def _connect(self) -> Any:
        from escpos.printer import CupsPrinter as Cups

        _require(Cups, "pycups")

        device = Cups(self.queue, profile=self.profile)
        device.open()
        return device

    def _answers(self) -> bool:
        """The queue is idle (3) or printing (4); a status query would land in the job, so none is sent."""
        try:
            return self._device.printers.get(self.queue, {}).get("printer-state") in (3, 4)
        except Exception:  # noqa: BLE001
            return False

    def _status(self) -> PrinterStatus:
        return PrinterStatus(is_online=self._device is not None and self._answers(), paper="ok", is_cover_open=False)

    def _write(self, data: bytes) -> None:
        try:
            self._device._raw(data)
            self._device.close()  # CUPS sends the job on close
            self._device.open()
        except Exception as exc:  # noqa: BLE001
            raise PrinterOffline(f"{self.where} refused the receipt") from exc
