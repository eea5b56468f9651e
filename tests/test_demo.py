"""The README's first command, end to end: what a newcomer gets, and what a stolen kiosk reveals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = {
    "codice fiscale": "BNCGLI85C52H501R",
    "surname": "BIANCHI",
    "surname (title case)": "Bianchi",
    "given name": "GIULIA",
    "given name (title case)": "Giulia",
    "email": "giulia.bianchi@example.it",
    "mobile": "3331234567",
    "document number": "CA12345AB",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    out, data = base / "out", base / "var"
    env = {**os.environ, "SPORTELLO_KIOSK__DATA_DIR": str(data), "SDL_VIDEODRIVER": "dummy"}
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "kiosk", "demo", "--out", str(out)], capture_output=True,
                            text=True, env=env, cwd=base, timeout=300)
    return result, out, data


def test_demo_runs_a_whole_enrollment(demo):
    result, out, _ = demo
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["sealed"] and summary["committed"] and summary["printed"] and summary["delivered"]
    assert summary["receiver"]["signature_valid"] and summary["receiver"]["decrypted"]
    assert len(summary["activation_first_half"]) == 6
    for screen in ("welcome", "insert_card", "card_data", "document_front", "face", "email", "consents",
                   "review", "identification", "operator", "sealing", "receipt", "thank_you"):
        assert screen in summary["states"]
    shots = sorted(p.name for p in (out / "screens").glob("*.png"))
    assert shots == summary["screens"] and len(shots) == len(summary["states"]) - 1  # back at welcome at the end
    assert [s.split("-", 1)[1].removesuffix(".png") for s in shots] == summary["states"][:-1]


def test_receipt_bytes_render_to_a_scannable_receipt(demo):
    import zxingcpp
    from PIL import Image

    _, out, _ = demo
    summary = json.loads((out / "summary.json").read_text())
    raw = (out / "receipt.bin").read_bytes()
    assert raw.startswith(b"\x1b@") and b"\x1dV" in raw, "initialised, and cut at the end"
    assert summary["reference"].encode() in raw
    assert " ".join(summary["activation_first_half"]).encode("cp858") in raw
    (code,) = zxingcpp.read_barcodes(Image.open(out / "receipt.png"))
    assert code.text == "SPORTELLO:" + summary["enrollment_id"]


def test_receipt_holds_nothing_personal(demo):
    _, out, _ = demo
    raw = (out / "receipt.bin").read_bytes()
    for label, value in SAMPLE.items():
        assert value.encode("cp858") not in raw, label


def _kiosk_files(out: Path, data: Path) -> list[Path]:
    files = [p for p in data.rglob("*") if p.is_file()]
    # mail/ is what the demo's SMTP server received: the citizen's mailbox, not the kiosk's disk
    files += [p for p in out.rglob("*") if p.is_file() and not {"screens", "receiver", "mail"} & set(p.parts)]
    return files


def test_nothing_personal_on_the_kiosk_disk(demo):
    _, out, data = demo
    files = _kiosk_files(out, data)
    names = {p.name for p in files}
    assert {"kiosk.db", "kiosk.log", "summary.json", "receipt.bin"} <= names
    for path in files:
        blob = path.read_bytes()
        for label, value in SAMPLE.items():
            for encoding in ("utf-8", "utf-16-le"):
                assert value.encode(encoding) not in blob, f"{label} in clear in {path}"


def test_the_receiver_can_open_what_the_kiosk_cannot(demo):
    _, out, _ = demo
    summary = json.loads((out / "summary.json").read_text())
    result = subprocess.run([sys.executable, "-m", "kiosk", "receiver", "show", summary["enrollment_id"], "--json",
                             "--data", str(out / "receiver")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["citizen"]["codice_fiscale"] == SAMPLE["codice fiscale"]
    evidence = payload["verified_claims"]["verification"]["evidence"][0]
    assert [c["check_method"] for c in evidence["check_details"]] == ["vpip", "pvp"]
    assert {a["kind"] for a in payload["attachments"]} == {
        "document_front", "document_back", "health_card_front", "health_card_back", "face"}


def test_a_second_run_reuses_the_kiosk_key_and_delivers_again(demo, tmp_path):
    _, out, data = demo
    env = {**os.environ, "SPORTELLO_KIOSK__DATA_DIR": str(data), "SDL_VIDEODRIVER": "dummy"}
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "kiosk", "demo", "--headless", "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    queue = subprocess.run([sys.executable, "-m", "kiosk", "queue", "--json"], capture_output=True, text=True,
                           env=env, timeout=60)
    entries = json.loads(queue.stdout)
    assert len(entries) == 2 and all(e["status"] == "delivered" and not e["has_packet"] for e in entries)


def test_the_demo_follows_the_acceptance_to_the_citizens_inbox(demo):
    from email import message_from_bytes, policy

    from kiosk.receiver.provision.token import open_token

    _, out, _ = demo
    summary = json.loads((out / "summary.json").read_text())
    assert summary["accepted"] and summary["stage"] == "email_sent" and summary["email_sent"] is True
    assert summary["provisioned"]["scim_user_id"] and summary["provisioned"]["users_for_enrollment"] == 1
    assert summary["token"]["signature_valid"] and summary["token"]["valid_days"] == 30
    assert summary["mail"] == ["mail/01.eml"]
    message = message_from_bytes((out / "mail" / "01.eml").read_bytes(), policy=policy.default)
    assert message["To"] == SAMPLE["email"]
    (attachment,) = list(message.iter_attachments())
    token = (out / "token.jwt").read_text().strip()
    assert attachment.get_content().decode() == token
    plain = message.get_body(("plain",)).get_content()
    second_half = next(line.strip() for line in plain.splitlines() if line.startswith("    "))
    data = open_token(token, summary["activation_first_half"] + second_half)
    assert data["spidAttributes"]["fiscalNumber"] == "TINIT-" + SAMPLE["codice fiscale"]
    assert data["info"]["requestId"] == summary["enrollment_id"]


@pytest.mark.parametrize("screen, field, typed", [("email", "email", SAMPLE["email"]),
                                                  ("mobile", "mobile", SAMPLE["mobile"])])
def test_contact_screenshots_show_the_typed_text_with_its_hint(demo, tmp_path, screen, field, typed):
    """The screenshot of the email/mobile screen shows the typed text, not an empty field under a ✓ hint."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from PIL import Image, ImageChops

    from kiosk.journey.screens import Screen
    from kiosk.ui.app import KioskUI
    from kiosk.journey.session import Session
    from tests.test_ui_screens import NOW, view_of, visible_text

    _, out, _ = demo
    shot = Image.open(next((out / "screens").glob(f"*-{screen}.png"))).convert("RGB")
    references = {}
    ui = KioskUI(size=shot.size, physical_mm=(217.0, 136.0))
    ui.start()
    try:
        for name, text in (("filled", typed), ("empty", "")):
            s = Session(screen=Screen(screen), language="it", history=[Screen.CHECKLIST], last_input_at=NOW,
                        entered_at=NOW, fields={field: text} if text else {})
            ui.render(view_of(s))
            ui.draw(force=True)
            references[name] = ui.screenshot(tmp_path / f"{name}.png")
            if name == "filled":
                box = ui.element_rect(f"field:{field}").union(ui.element_rect("hint"))
                assert "corrett" in visible_text(ui.element("hint"))  # the reference says the value is right
    finally:
        ui.close()

    def differing(path: Path) -> int:
        ref = Image.open(path).convert("RGB").crop(tuple(box.topleft + box.bottomright))
        diff = ImageChops.difference(shot.crop(tuple(box.topleft + box.bottomright)), ref).convert("L")
        return sum(diff.histogram()[61:])  # pixels differing by more than 60

    to_filled, to_empty = differing(references["filled"]), differing(references["empty"])
    assert to_filled < to_empty / 4, f"{screen}: the field and hint on the screenshot do not show {field} typed"


def test_the_demo_citizen_verifies_email_and_mobile_with_the_codes_received(demo):
    """Online, the one-time code screens appear; the codes come from the demo's mail and SMS sink."""
    import re

    from PIL import Image

    from kiosk.receiver.messages import FileMessenger

    _, out, _ = demo
    summary = json.loads((out / "summary.json").read_text())
    states = summary["states"]
    assert states.index("email") + 1 == states.index("email_code")
    assert states.index("mobile") + 1 == states.index("mobile_code")
    for screen in ("email_code", "mobile_code"):
        shot = next((out / "screens").glob(f"*-{screen}.png"))
        assert Image.open(shot).size == Image.open(next((out / "screens").glob("*-email.png"))).size
    sent = FileMessenger(out / "receiver").messages()
    assert {m["channel"] for m in sent} >= {"email", "mobile"}
    assert all(re.search(r"\b\d{6}\b", m["body"]) for m in sent if "codice" in m["body"])
    result = subprocess.run([sys.executable, "-m", "kiosk", "receiver", "show", summary["enrollment_id"], "--json",
                             "--data", str(out / "receiver")], capture_output=True, text=True, timeout=60)
    shown = json.loads(result.stdout)
    assert shown["contact"]["email_verified"] is True and shown["contact"]["mobile_verified"] is True
    assert shown["receiver"]["contacts"] == {}, "verified at the kiosk: no link to wait for before accepting"
