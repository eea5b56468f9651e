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


class BackendOptionInvalid(HardwareError, TypeError):
    """Configuration passes an option that the chosen backend does not take (a typo, usually)."""


class NoCard(CardError):
    """No card is in the reader."""


class CardRemoved(NoCard):
    """The card was taken out of the reader after it was inserted; insert it again to go on."""


class PinRequired(CardError, PermissionError):
    """The card refuses to sign until its PIN has been verified."""


class PinFormatInvalid(CardError, ValueError):
    """The PIN is not 4 to 8 digits; refused before it reaches the card, so no try is spent."""


class PrinterOffline(PrinterError, ConnectionError):
    """The printer is unplugged, switched off, or does not answer."""


class PaperOut(PrinterError):
    """The paper roll is finished (possibly in the middle of a receipt)."""


class CoverOpen(PrinterError):
    """The printer's cover is open."""


class ReaderUnavailable(CardError, ConnectionError):
    """No PC/SC service or no reader: pcscd is not running, or the configured reader is unplugged."""


class CardNotSupported(CardError):
    """The card is neither a TS-CNS/CNS nor a CIE (or answers like neither)."""


class CardIsCie(CardNotSupported):
    """A CIE: recognised (NIS read, chip checked); its personal data needs PACE with the CAN."""


class CardDataInvalid(CardError):
    """A file on the card is truncated or malformed, or its fields contradict each other."""


class CertificateInvalid(CardError):
    """The card's certificate is garbage, expired, from an unknown CA, or names someone else.

    ``reason`` is one of ``"garbage"``, ``"expired"``, ``"unknown_ca"``, ``"mismatch"``, ``"missing"``.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CardBlocked(CardError):
    """The card's PIN is blocked (no tries left): only the PUK, elsewhere, can unblock it."""


class CanFormatInvalid(CardError, ValueError):
    """The CAN is not the 6 digits printed on the card's front; refused before anything is sent."""


class PaceFailed(CardError):
    """PACE with the CAN, or the secure messaging after it, failed.

    ``reason`` is ``"wrong_can"`` (the card refused the CAN, or its token did not verify: never
    retried automatically), ``"secure_messaging"`` (a response failed its MAC or was not protected:
    refused), ``"unsupported"`` (no PACE the kiosk speaks) or ``"protocol"`` (a malformed answer).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CardStatusError(CardError):
    """The card answered a command with an error status word (``sw``, e.g. ``0x6A82``)."""

    def __init__(self, message: str, *, sw: int) -> None:
        super().__init__(message)
        self.sw = sw


class CameraMissing(CameraError, FileNotFoundError):
    """No camera at the configured place (not connected, wrong device, library missing)."""


class FramesStopped(CameraError, TimeoutError):
    """The camera is open but no new frame arrived in time (unplugged, crashed, stalled)."""
