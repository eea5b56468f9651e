"""``kiosk demo``: the kiosk's main job on the embedded default, end to end.

Simulated card reader with the sample TS-CNS, simulated camera fed with drawn documents, simulated
printer, GPIO on gpiozero's MockFactory, SQLite under the kiosk's data dir, and a local reference
receiver on 127.0.0.1 whose data lives in ``OUT/receiver``. Headless, a scripted sample citizen
walks through every screen and the demo writes screenshots, the receipt and ``summary.json``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from hardware.card.simcard import SimCard
from kiosk import sealing
from kiosk.app import KioskApp, build_shell
from kiosk.config import Config
from kiosk.demo_assets import SEQUENCE
from kiosk.devices import Hardware
from kiosk.errors import KioskError
from kiosk.journey.screens import CAPTURE_SCREENS, Screen
from kiosk.logs import setup_logging
from kiosk.receiver import inspect as receiver_inspect
from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk
from kiosk.receiver.certs import fingerprint, make_mutual_tls
from kiosk.receiver.messages import FileMessenger
from kiosk.receiver.otp import OtpLimits
from kiosk.receiver.server import ReceiverServer, ServerTls
from kiosk.sync.coordinator import SyncCoordinator
from kiosk.journey.events import NetworkChanged
from kiosk.sync.transport import Transport

log = logging.getLogger("kiosk.demo")

SAMPLE_FIELDS = {
    "document_number": "CA12345AB",
    "document_issuer": "Comune di Roma",
    "document_issue_date": "10/05/2021",
    "document_expiry_date": "12/03/2032",
    "email": "giulia.bianchi@example.it",
    "mobile": "333 123 4567",
    "operator_pin": "87654321",
}
# What the sample citizen taps on each screen (field names are typed first, from SAMPLE_FIELDS).
SCRIPT: dict[Screen, list[str]] = {
    Screen.WELCOME: ["start"],
    Screen.CHECKLIST: ["next"],
    Screen.INSERT_CARD: [],  # the demo world inserts the card; the kiosk reads it
    Screen.CARD_DATA: ["next"],
    Screen.DOCUMENT_TYPE: ["choose:idcard"],
    Screen.DOCUMENT_DETAILS: ["field:document_number", "field:document_issuer", "field:document_issue_date",
                              "field:document_expiry_date", "next"],
    Screen.EMAIL: ["field:email", "next"],
    Screen.EMAIL_CODE: ["field:email_code", "next"],  # the code, read from the demo's mail sink
    Screen.MOBILE: ["field:mobile", "next"],
    Screen.MOBILE_CODE: ["field:mobile_code", "next"],  # the code, read from the demo's SMS sink
    Screen.CONSENTS: ["toggle:terms", "next"],
    Screen.REVIEW: ["next"],
    Screen.IDENTIFICATION: ["choose:operator"],
    Screen.OPERATOR: ["field:operator_pin", "next", "choose:confirm"],
    Screen.SEALING: [],
    Screen.RECEIPT: ["finish"],
    Screen.THANK_YOU: ["finish"],
}
for _screen in CAPTURE_SCREENS:
    SCRIPT[_screen] = ["await_photo", "next"]  # the kiosk shoots by itself; "Scatta la foto" if it does not


def read_code(receiver_dir: Path, channel: str) -> str:
    """The latest one-time code sent on ``channel`` ("email" or "mobile"), as the citizen reads it
    on their phone: from the demo receiver's simulated mail and SMS (``DIR/receiver/outbox``)."""
    for message in reversed(FileMessenger(receiver_dir).messages()):
        found = re.search(r"\b(\d{6})\b", message.get("body", ""))
        if message.get("channel") == channel and found:
            return found.group(1)
    raise KioskError(f"demo: no one-time code arrived by {channel}")


class DemoWorld:
    """The world side of the simulated devices, reacting to what the kiosk shows."""

    def __init__(self, hardware: Hardware) -> None:
        self.hw = hardware
        self.citizen_card = SimCard.sample()
        self.operator_card = SimCard.sample_operator()
        self._shown: str = ""
        self.is_insert_due = lambda: True  # the scripted citizen inserts as soon as the screen was seen

    def update(self, screen: Screen) -> None:
        reader, camera = self.hw.card_reader, self.hw.camera
        if not hasattr(reader, "insert"):
            return  # real devices: the world is real too
        if screen is Screen.INSERT_CARD and reader.card is None and self.is_insert_due():
            reader.insert(self.citizen_card)
        elif screen is Screen.OPERATOR and reader.card is self.citizen_card:
            reader.remove()  # the citizen takes their card; the operator inserts theirs
            reader.insert(self.operator_card)
        kind = CAPTURE_SCREENS.get(screen)
        if kind and kind != self._shown and hasattr(camera, "show"):
            camera.show(SEQUENCE[kind]())
            self._shown = kind


AUTO_CAPTURE_TURNS = 60  # preview frames the sample citizen holds still before pressing the shutter


@dataclass
class DemoResult:
    states: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    auto_captured: list[str] = field(default_factory=list)  # photos the live checks took by themselves
    mrz_matches_card: bool = False  # the document's zone was read (valid check digits) and agrees with the card


class ScriptedCitizen:
    """Clicks through the real UI by posting mouse and text events, as fingers would."""

    def __init__(self, app: KioskApp, world: DemoWorld, *, shots: Path, max_turns: int = 2000,
                 read_code: Callable[[str], str] | None = None) -> None:
        self.app, self.world, self.shots, self.max_turns = app, world, shots, max_turns
        self.read_code = read_code  # channel -> the one-time code the citizen received (their phone, their mail)
        self.result = DemoResult()

        app.on_screen = self._arrived
        app.ui.double_tap_s = 0.0  # the scripted citizen taps faster than anyone: no tap is an accident
        self._index = 0

    def _arrived(self, screen: Screen) -> None:
        """A new screen is on display: record it; screens where the citizen only waits are shot now."""
        self.result.states.append(screen.value)
        if SCRIPT.get(screen) == []:
            self._shot(screen)

    def turn(self, events: list | None = None) -> None:
        self.world.update(self.app.screen)
        self.app.step(events or [])

    def settle(self, *, timeout: float = 20.0) -> None:
        """Let devices answer (card reads, captures, commit, print) without input."""
        deadline = time.monotonic() + timeout
        while not self.app.shell.is_idle or self.app.shell.journey.session.is_busy:
            if time.monotonic() > deadline:
                raise KioskError("demo: a device did not answer in time")
            time.sleep(0.005)
            self.turn()

    def tap(self, element_id: str) -> None:
        import pygame

        rect = self.app.ui.element_rect(element_id)
        pos = rect.center
        self.turn([pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1),
                   pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
        self.settle()

    def type_into(self, name: str, text: str) -> None:
        """Touch the field, then tap the on-screen keys one by one (shift when the case asks for it)."""
        self.tap(f"field:{name}")
        for ch in text:
            self.tap_key_for(name, ch)

    def tap_key_for(self, name: str, ch: str) -> None:
        import pygame

        from kiosk.ui import keyboard

        field_name, layout, is_shifted = self.app.ui.keyboard_state
        if field_name != name:
            raise KioskError(f"demo: the keyboard types into '{field_name}', not '{name}'")
        old = self.app.ui.element(f"field:{name}").get_text()
        ids = set(self.app.ui.element_ids())
        for key in (k for row in keyboard.rows_for(layout) for k in row if not k.action and k.key_id in ids):
            for shift in (is_shifted, not is_shifted):
                if keyboard.apply(key, old, layout=layout, is_shifted=shift) == old + ch:
                    if shift != is_shifted:
                        self.tap("key:shift")
                    self.tap(key.key_id)
                    return
        if ch == " " and layout in keyboard.NUMERIC:
            return  # a pad has no space: the citizen types the digits only
        self.turn([pygame.event.Event(pygame.TEXTINPUT, text=ch)])  # no key for it: a hardware keyboard

    def run(self) -> DemoResult:
        self._arrived(self.app.screen)
        previous = None
        for _ in range(self.max_turns):
            self.turn()
            self.settle()
            screen = self.app.screen
            if previous is Screen.THANK_YOU and screen is Screen.WELCOME:
                return self.result
            if screen is previous:
                continue  # still answering (e.g. waiting for the card)
            previous = screen
            actions = SCRIPT.get(screen)
            if actions is None:
                raise KioskError(f"demo: the sample citizen does not know what to do on '{screen.value}'")
            self._perform(screen, actions)
        raise KioskError("demo: the journey did not finish")

    def _perform(self, screen: Screen, actions: list[str]) -> None:
        shot_taken = False
        for action in actions:
            if action == "await_photo":
                self._await_photo(CAPTURE_SCREENS[screen])
                continue
            if action.startswith("field:"):
                name = action.split(":", 1)[1]
                if name.endswith("_code"):
                    if self.read_code is None:
                        raise KioskError("demo: the citizen has no phone or mailbox to read the code from")
                    self.type_into(name, self.read_code(name.removesuffix("_code")))
                    continue
                if self.app.shell.journey.session.fields.get(name) != SAMPLE_FIELDS[name]:
                    self.type_into(name, SAMPLE_FIELDS[name])  # read from the document's zone: no typing
                continue
            if action == "next" and screen in CAPTURE_SCREENS:
                self.settle()
            if not shot_taken and (action in ("next", "finish", "choose:confirm") or action.startswith("choose:")
                                   or action == "start"):
                self._shot(screen)
                shot_taken = True
            self.tap(action)

    def _await_photo(self, kind: str) -> None:
        """Hold the document (or face) in front of the camera until the live checks take the photo."""
        session = self.app.shell.journey.session
        for _ in range(AUTO_CAPTURE_TURNS):
            self.turn()
            self.settle()
            if kind in session.captures:
                self.result.auto_captured.append(kind)
                break
        else:
            self.tap("capture")  # the manual fallback
        if kind == "document_back":
            self.result.mrz_matches_card = bool(session.mrz) and not session.mismatches

    def _shot(self, screen: Screen) -> None:
        path = self.shots / f"{self._index:02d}-{screen.value}.png"
        self._index += 1
        self.app.ui.screenshot(path)
        self.result.screenshots.append(path.name)


def run_demo(config: Config, *, out: Path, headless: bool) -> int:
    out.mkdir(parents=True, exist_ok=True)
    shots = out / "screens"
    shots.mkdir(exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    setup_logging(log_dir=config.kiosk.data_dir / "logs")
    receiver_dir = out / "receiver"
    init_data_dir(receiver_dir)
    signing_key = sealing.load_or_create_signing_key(config.keys_dir / "kiosk.key")
    trust_kiosk(receiver_dir, config.kiosk.id, sealing.public_key_pem(signing_key.public_key()))
    # Mutual TLS as in the field: the receiver's certificate pinned, the kiosk's client certificate.
    certs = make_mutual_tls(receiver_dir / "tls", kiosk_id=config.kiosk.id)
    tls = ServerTls(certs.server.cert, certs.server.key, certs.client_ca.cert)
    summary: dict = {"kiosk_id": config.kiosk.id, "ok": False}
    started = time.monotonic()
    # Back-to-back demo runs send codes to the same sample address: no cool-down in the demo receiver.
    otp_limits = OtpLimits(cooldown_s=0.0, max_sends=1000)
    with ReceiverServer(receiver_dir, tls=tls, otp_limits=otp_limits) as server, \
            Hardware.from_config(config) as hardware:
        shell = build_shell(config, hardware, receiver_public_key=public_key_path(receiver_dir))
        operator = SimCard.sample_operator().identity.codice_fiscale
        shell.operators.add(operator)
        reprinted = shell.reprint_pending()
        coordinator = SyncCoordinator(shell.store, transport=Transport(
            base_url=server.url, pinned_cert=certs.server.cert, client_cert=certs.client.cert,
            client_key=certs.client.key, pinned_sha256=fingerprint(certs.server.cert.read_bytes()),
        ))
        shell.sync = coordinator
        # The receiver answers, so the kiosk is online (what its sync loop would tell the journey) and
        # the citizen verifies email and mobile with one-time codes (offline they would be "to verify").
        shell.events.put(NetworkChanged(coordinator.is_reachable()))
        world = DemoWorld(hardware)
        app = KioskApp.create(shell, config, headless=headless)
        try:
            if not headless:
                # a person at the window: the card goes in two seconds after the screen asks for it
                session = lambda: shell.journey.session  # noqa: E731
                world.is_insert_due = lambda: (shell.clock() - session().entered_at).total_seconds() > 2
                app.run_forever(before_step=world.update)
                coordinator.deliver_due()
                return 0
            committed: list[str] = []
            shell.on_committed = committed.append
            result = ScriptedCitizen(app, world, shots=shots, read_code=partial(read_code, receiver_dir)).run()
        finally:
            app.close()
        report = coordinator.deliver_due()
        enrollment_id = committed[0] if committed else ""
        entry = shell.store.entry(enrollment_id) if enrollment_id else None
        receipts = getattr(hardware.printer, "receipts", None) or ([shell.last_receipt] if shell.last_receipt else [])
        receipt = receipts[-1] if receipts else b""
        (out / "receipt.bin").write_bytes(receipt)
        if receipt:
            from hardware.printer.render import render

            render(receipt, width_px=hardware.printer.width_px).save(out / "receipt.png")
        verdict = receiver_inspect.verdict(receiver_dir, enrollment_id) if enrollment_id else {}
        summary.update({
            "enrollment_id": enrollment_id,
            "reference": entry.reference if entry else "",
            "activation_first_half": shell.last_committed.activation_first_half if shell.last_committed else "",
            "states": result.states,
            "screens": result.screenshots,
            "auto_captured": result.auto_captured,
            "mrz_matches_card": result.mrz_matches_card,
            "sealed": bool(enrollment_id),
            "committed": entry is not None,
            "printed": bool(entry and entry.printed_at),
            "delivered": enrollment_id in report.delivered,
            "receiver": verdict,
            "reprinted_at_start": reprinted,
            "seconds": round(time.monotonic() - started, 2),
        })
        shell.close()
        shell.store.close()
        coordinator.close()
    if summary.get("delivered"):  # the receiver's side: the operator accepts, provisioning, token, email
        from kiosk.receiver.provision.local import follow_up_demo

        summary.update(follow_up_demo(out, receiver_dir, enrollment_id, town=config.kiosk.name))
    summary["ok"] = bool(summary.get("email_sent") and summary.get("provisioned") and summary.get("token") and 
        summary["committed"] and summary["printed"] and summary["delivered"]
        and verdict.get("signature_valid") and verdict.get("decrypted")
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    log.info("demo finished", extra={"ok": summary["ok"], "enrollment_id": enrollment_id})
    return 0 if summary["ok"] else 1

