"""Drive the pure journey along the sample citizen's path (shared by journey and shell tests)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kiosk.demo import SAMPLE_FIELDS
from kiosk.journey import effects as fx
from kiosk.journey import events as ev
from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.machine import Journey, JourneyRules
from kiosk.journey.screens import Screen

NOW = datetime(2026, 11, 23, 10, 0, 0)
SAMPLE_CARD = ev.CardRead(
    codice_fiscale="BNCGLI85C52H501R", surname="BIANCHI", given_name="GIULIA", birth_date=date(1985, 3, 12),
    sex="F", birth_place_code="H501", card_type="TS-CNS", expiry_date=date(2028, 1, 10),
)
FIELDS = {k: v for k, v in SAMPLE_FIELDS.items() if k != "operator_pin"}
HAPPY_PATH = [
    Screen.WELCOME, Screen.CHECKLIST, Screen.INSERT_CARD, Screen.CARD_DATA, Screen.DOCUMENT_TYPE,
    Screen.DOCUMENT_FRONT, Screen.DOCUMENT_BACK, Screen.DOCUMENT_DETAILS, Screen.HEALTH_CARD_FRONT,
    Screen.HEALTH_CARD_BACK, Screen.FACE, Screen.EMAIL, Screen.MOBILE, Screen.CONSENTS, Screen.REVIEW,
    Screen.IDENTIFICATION,
]


class Driver:
    """A journey plus a clock; ``do`` sends an intent, ``send`` a device event."""

    def __init__(self, rules: JourneyRules | None = None, *, now: datetime = NOW) -> None:
        self.journey = Journey(rules or JourneyRules(is_otp_enabled=False))
        self.now = now
        self.effects: list[fx.Effect] = []

    @property
    def s(self):
        return self.journey.session

    def send(self, event) -> list[fx.Effect]:
        out = self.journey.handle(event, self.now)
        self.effects.extend(out)
        return out

    def do(self, intent: Intent, value=None, field: str = "") -> list[fx.Effect]:
        return self.send(UserIntent(intent, value, field))

    def type(self, field: str, value: str) -> None:
        self.do(Intent.SET_FIELD, value, field)

    def wait(self, seconds: float) -> list[fx.Effect]:
        self.now += timedelta(seconds=seconds)
        return self.send(ev.Tick())

    def step(self) -> list[fx.Effect]:
        """Do what the sample citizen does on the current screen."""
        screen = self.s.screen
        if screen is Screen.WELCOME:
            return self.do(Intent.START)
        if screen is Screen.INSERT_CARD:
            out = self.send(ev.CardInserted())
            assert fx.ReadCard() in out
            return self.send(SAMPLE_CARD)
        if screen is Screen.DOCUMENT_TYPE:
            return self.do(Intent.CHOOSE, "idcard")
        if screen.value in ("document_front", "document_back", "health_card_front", "health_card_back", "face"):
            out = self.do(Intent.CAPTURE)
            assert fx.Capture(screen.value, doc_type="idcard") in out
            self.send(ev.Captured(screen.value, b"\xff\xd8jpeg", 640, 400))
            return self.do(Intent.NEXT)
        if screen is Screen.DOCUMENT_DETAILS:
            for name in ("document_number", "document_issuer", "document_issue_date", "document_expiry_date"):
                self.type(name, FIELDS[name])
        if screen in (Screen.EMAIL, Screen.MOBILE):
            self.type(screen.value, FIELDS[screen.value])
        if screen is Screen.CONSENTS:
            self.do(Intent.TOGGLE, field="terms")
        return self.do(Intent.NEXT)

    def walk_to(self, target: Screen) -> Driver:
        for _ in range(40):
            if self.s.screen is target:
                return self
            self.step()
        raise AssertionError(f"never reached {target}, stuck at {self.s.screen}")

    def identify_by_operator(self) -> list[fx.Effect]:
        self.walk_to(Screen.IDENTIFICATION)
        self.do(Intent.CHOOSE, "operator")
        self.type("operator_pin", "87654321")
        self.do(Intent.NEXT)
        self.send(ev.OperatorAuthenticated("op-001"))
        return self.do(Intent.CHOOSE, "confirm")
