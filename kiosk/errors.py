"""The error tree: ``KioskError`` → hardware, sync, config, store, sealing, domain errors.

Every message is safe to show and to log: never put personal data into one.
"""

from hardware.errors import (  # noqa: F401  (re-exported: one tree for the whole firmware)
    BackendUnknown,
    CameraError,
    CardError,
    HardwareError,
    KioskError,
    PanelError,
    PrinterError,
)


class ConfigError(KioskError, ValueError):
    """The configuration file is missing, unreadable, or holds an unknown key or a bad value."""


class StoreError(KioskError):
    """The local database failed (disk full, corrupt, locked)."""


class SealError(KioskError):
    """A packet could not be sealed, or could not be opened/verified by the receiver."""


class SyncError(KioskError):
    """Delivery to the receiving service failed; the packet stays in the outbox."""


class ValidationError(KioskError, ValueError):
    """Citizen data failed a check. ``code`` is a stable key the UI translates."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
