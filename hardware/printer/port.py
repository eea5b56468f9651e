"""The ``Printer`` port and ``PrinterStatus``.

The application lays a receipt out on an ``escpos.printer.Dummy`` built with ``printer.profile``
and hands ``dummy.output`` to ``print_bytes``; the port only moves bytes and reports status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hardware.device import Device
from hardware.errors import CoverOpen, PaperOut, PrinterError, PrinterOffline

Paper = Literal["ok", "near_end", "out"]


@dataclass(frozen=True, kw_only=True)
class PrinterStatus:
    is_online: bool
    paper: Paper
    is_cover_open: bool


@dataclass(frozen=True, kw_only=True)
class ProfileInfo:
    """What a python-escpos profile says about the paper: Font A columns and printable dots."""

    name: str
    columns: int
    width_px: int


def profile_info(name: str) -> ProfileInfo:
    """Look ``name`` up among python-escpos's printer profiles (``PrinterError`` if unknown)."""
    from escpos import capabilities  # loads the capabilities database: only when asked

    data = capabilities.CAPABILITIES["profiles"].get(name)
    if data is None:
        raise PrinterError(f"unknown python-escpos printer profile {name!r}")
    columns = int(data.get("fonts", {}).get("0", {}).get("columns", 42))
    width = data.get("media", {}).get("width", {}).get("pixels")
    width_px = int(width) if isinstance(width, int) else columns * 12
    return ProfileInfo(name=name, columns=columns, width_px=width_px)


class Printer(Device):
    """One ESC/POS receipt printer, shaped to fit python-escpos.

    A backend MUST implement ``_open()`` / ``_close()`` (``_open`` checks the printer answers
    and raises ``PrinterOffline`` naming the connection otherwise), ``_status()`` and
    ``_write(data)``, which sends bytes and raises ``PaperOut`` / ``PrinterOffline`` if the
    job stops part-way. ``print_bytes`` checks ``status()`` first and refuses a job that
    cannot start. A backend MAY override ``print_bytes`` when a status query is costly.
    """

    error = PrinterError
    kind = "printer"

    def __init__(self, *, profile: str) -> None:
        super().__init__()
        info = profile_info(profile)
        self.profile: str = info.name
        self.columns: int = info.columns
        self.width_px: int = info.width_px

    def status(self) -> PrinterStatus:
        self._check_started()
        return self._status()

    def print_bytes(self, data: bytes) -> None:
        """Print one whole receipt (ESC/POS bytes, including its cut)."""
        self._check_started()
        if not data:
            raise ValueError("nothing to print")
        status = self._status()
        if not status.is_online:
            raise PrinterOffline("printer is offline: check its cable and power")
        if status.is_cover_open:
            raise CoverOpen("printer cover is open: close it")
        if status.paper == "out":
            raise PaperOut("printer is out of paper: load a new roll")
        self._write(bytes(data))

    def _status(self) -> PrinterStatus:
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        raise NotImplementedError
