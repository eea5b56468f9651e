"""A real shell on simulated hardware, a real outbox and real keys, driven by intents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hardware.card.simcard import SimCard
from kiosk import sealing
from kiosk.demo_assets import SEQUENCE
from kiosk.devices import Hardware
from kiosk.enroll import Enroller
from kiosk.journey.events import Intent, UserIntent
from kiosk.journey.machine import Journey, JourneyRules
from kiosk.journey.screens import CAPTURE_SCREENS, Screen
from kiosk.shell import Shell
from kiosk.store import Store

from journey_helpers import FIELDS

OPERATOR_PIN = "87654321"


@contextmanager
def running_shell(tmp: Path, **options) -> Iterator[Shell]:
    """``make_shell`` that closes the shell, its devices and its store on the way out."""
    shell = make_shell(tmp, **options)
    try:
        yield shell
    finally:
        shell.close()
        shell.hw.close()
        shell.store.close()


def make_shell(tmp: Path, *, card_reader=None) -> Shell:
    """``card_reader``: another backend than the simulated one (e.g. PC/SC), not yet started."""
    hardware = Hardware.from_config(_SimConfig())
    if card_reader is not None:
        hardware.card_reader = card_reader
    hardware.start()
    receiver_dir = tmp / "receiver"
    if not (receiver_dir / "keys" / "receiver.pub").exists():
        sealing.generate_receiver_keys(receiver_dir / "keys")
    store = Store.open(tmp / "var" / "kiosk.db")
    enroller = Enroller.from_files(
        store=store, kiosk_id="test-kiosk", signing_key_path=tmp / "var" / "keys" / "kiosk.key",
        receiver_public_key=receiver_dir / "keys" / "receiver.pub",
    )
    operator = SimCard.sample_operator().identity.codice_fiscale
    return Shell(journey=Journey(JourneyRules(is_otp_enabled=False)), hardware=hardware, store=store,
                 enroller=enroller, kiosk_name="Comune di Prova", operators=(operator,))


class _SimConfig:
    class hardware:  # noqa: N801 - the shape of Config.hardware
        card_reader, camera, printer, panel = "sim", "sim", "sim", "mock"


def tap(shell: Shell, intent: Intent, value=None, field: str = "") -> None:
    shell.post(UserIntent(intent, value, field))
    shell.settle()


def walk_to_identification(shell: Shell) -> None:
    """From wherever the journey is (a simulated card is inserted if it waits for one) to identification."""
    hw = shell.hw
    for _ in range(60):
        screen = shell.journey.session.screen
        if screen is Screen.IDENTIFICATION:
            return
        if screen is Screen.WELCOME:
            tap(shell, Intent.START)
        elif screen is Screen.INSERT_CARD:
            hw.card_reader.insert(SimCard.sample())
            shell.settle()
        elif screen is Screen.DOCUMENT_TYPE:
            tap(shell, Intent.CHOOSE, "idcard")
        elif screen in CAPTURE_SCREENS:
            hw.camera.show(SEQUENCE[CAPTURE_SCREENS[screen]]())
            tap(shell, Intent.CAPTURE)
            tap(shell, Intent.NEXT)
        else:
            for name, value in FIELDS.items():
                tap(shell, Intent.SET_FIELD, value, name)
            if screen is Screen.CONSENTS:
                tap(shell, Intent.TOGGLE, field="terms")
            tap(shell, Intent.NEXT)
    raise AssertionError(f"stuck at {shell.journey.session.screen}")


def identify_by_operator(shell: Shell) -> None:
    walk_to_identification(shell)
    tap(shell, Intent.CHOOSE, "operator")
    shell.hw.card_reader.remove()
    shell.hw.card_reader.insert(SimCard.sample_operator())
    tap(shell, Intent.SET_FIELD, OPERATOR_PIN, "operator_pin")
    tap(shell, Intent.NEXT)
    assert shell.journey.session.operator_id, shell.journey.session.error
    tap(shell, Intent.CHOOSE, "confirm")
