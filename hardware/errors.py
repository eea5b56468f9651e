"""The root of the firmware's error tree and the hardware branch of it.

``KioskError`` lives here, not in ``kiosk``, because drivers must not import the application
while every driver error must still be a ``KioskError``. ``kiosk.errors`` re-exports it.
"""


class KioskError(Exception):
    """Root of every error the firmware raises on purpose. ``str(err)`` is a clear, non-personal message."""


class HardwareError(KioskError):
    """A device is missing, unplugged or answered something unexpected."""


class BackendUnknown(HardwareError, LookupError):
    """Configuration names a backend that no registry entry provides."""


class CardError(HardwareError):
    """The card reader or the card failed."""


class CameraError(HardwareError):
    """The camera failed or produced no usable frame."""


class PrinterError(HardwareError):
    """The printer is offline, out of paper, or refused the job."""


class PanelError(HardwareError):
    """A GPIO pin is busy, missing, or misconfigured."""
