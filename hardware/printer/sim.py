"""``SimPrinter``: a printer whose paper, cable and cover the test controls.

World side: ``set_paper(...)``, ``unplug()``, ``plug()``, ``open_cover()``, ``close_cover()``,
``fail_after(n_bytes)``. History: ``receipts`` (whole receipts only, byte-exact as
python-escpos's ``Dummy`` holds them) and ``partial`` (receipts cut short by the paper running out).
"""

from __future__ import annotations

import threading

from hardware.errors import PaperOut, PrinterOffline
from hardware.printer.port import Paper, Printer, PrinterStatus

PAPER_STATES = ("ok", "near_end", "out")


class SimPrinter(Printer):
    def __init__(self, *, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.receipts: list[bytes] = []
        self.partial: list[bytes] = []
        self._lock = threading.Lock()
        self._paper: Paper = "ok"
        self._is_online = True
        self._is_cover_open = False
        self._budget: int | None = None

    # -- world side ---------------------------------------------------------------------------

    def set_paper(self, paper: Paper) -> None:
        if paper not in PAPER_STATES:
            raise ValueError(f"paper is one of {', '.join(PAPER_STATES)}, not {paper!r}")
        self._paper = paper

    def unplug(self) -> None:
        self._is_online = False

    def plug(self) -> None:
        self._is_online = True

    def open_cover(self) -> None:
        self._is_cover_open = True

    def close_cover(self) -> None:
        self._is_cover_open = False

    def fail_after(self, n_bytes: int) -> None:
        """The paper runs out after ``n_bytes`` more bytes, possibly in the middle of a receipt."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        self._budget = n_bytes

    # -- port ---------------------------------------------------------------------------------

    def _open(self) -> None:
        if not self._is_online:
            raise PrinterOffline(f"printer ({self.profile}) not found: check its cable and power")

    def _close(self) -> None:
        pass

    def _status(self) -> PrinterStatus:
        return PrinterStatus(
            is_online=self._is_online, paper=self._paper, is_cover_open=self._is_cover_open
        )

    def _write(self, data: bytes) -> None:
        from escpos.printer import Dummy

        with self._lock:
            budget = self._budget
            if budget is not None and len(data) > budget:
                self._budget = None
                self._paper = "out"
                self.partial.append(_through_dummy(Dummy, self.profile, data[:budget]))
                raise PaperOut("printer ran out of paper in the middle of a receipt")
            if budget is not None:
                self._budget = budget - len(data)
            self.receipts.append(_through_dummy(Dummy, self.profile, data))


def _through_dummy(dummy_class: type, profile: str, data: bytes) -> bytes:
    dummy = dummy_class(profile=profile)
    dummy._raw(data)
    return dummy.output
