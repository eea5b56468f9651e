"""The lifecycle every port shares: ``start()`` opens and self-tests, ``close()`` releases, ``with`` does both."""

from __future__ import annotations

from types import TracebackType
from typing import ClassVar, Self

from hardware.errors import HardwareError


class Device:
    """Base of the four ports.

    A backend MUST implement ``_open()`` (open the device and self-test it, raising the port's error
    with a clear, non-personal message on failure, leaving nothing half-open) and ``_close()``
    (release everything; it is called once per successful ``_open()``).
    A backend MAY call ``_check_started()`` at the top of its operations; the ports' public methods
    already do.
    """

    error: ClassVar[type[HardwareError]] = HardwareError
    kind: ClassVar[str] = "device"

    def __init__(self) -> None:
        self._is_started = False

    @property
    def is_started(self) -> bool:
        return self._is_started

    def start(self) -> None:
        """Open the device and self-test it. Starting a started device does nothing."""
        if self._is_started:
            return
        self._open()
        self._is_started = True

    def close(self) -> None:
        """Release the device. Closing a closed device does nothing."""
        if not self._is_started:
            return
        self._is_started = False
        self._close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_started(self) -> None:
        if not self._is_started:
            raise self.error(f"{self.kind} is not started: call start() first")

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError
