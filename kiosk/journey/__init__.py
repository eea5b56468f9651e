"""The enrollment journey: a pure state machine (no pygame, no hardware, no store, no network)."""

from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.machine import Journey, JourneyRules
from kiosk.journey.screens import Screen
from kiosk.journey.session import Draft, Session

__all__ = ["Draft", "Intent", "Journey", "JourneyRules", "Screen", "Session", "UserIntent"]
