"""What the shell hands to the UI each frame: the session and the few facts that live outside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.journey.session import Session

if TYPE_CHECKING:  # numpy is only needed by the shell that makes frames
    import numpy


@dataclass(frozen=True, repr=False)
class View:
    session: Session
    now: datetime
    kiosk_name: str = ""
    is_pin_route_offered: bool = False
    is_operator_route_offered: bool = True  # JourneyRules.is_operator_route_enabled
    camera_frame: numpy.ndarray | None = None  # (H, W, 3) RGB uint8 live preview on capture screens
    capture_guidance: str = ""  # capture.* message key: what the citizen should change (live checks)
    inactivity_grace_s: float = 30.0  # JourneyRules.inactivity_grace_s
    receipt_qr: str = ""  # text for the QR on the receipt screen when printing failed

    def __repr__(self) -> str:
        return f"<View screen={self.session.screen} (personal data hidden)>"

    def seconds_left(self) -> int:
        """Seconds before the inactivity wipe, while the warning is shown (never negative)."""
        started = self.session.warning_started_at
        if started is None:
            return int(self.inactivity_grace_s)
        left = self.inactivity_grace_s - (self.now - started).total_seconds()
        return max(0, int(left + 0.999))
