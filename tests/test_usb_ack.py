"""USB round trip for kiosks that are never online: export -> `kiosk receiver import --tls-key` -> signed
ack.json on the stick -> the kiosk's service mode verifies it against the pinned receiver certificate and
purges exactly the packets it names. Forged, mismatched or foreign acknowledgements purge nothing."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from kiosk.appliance.usb_ack import ACK_NAME, write_ack
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.journey.events import Intent
from kiosk.journey.screens import Screen
from kiosk.receiver.certs import fingerprint, issue, make_mutual_tls

from shell_helpers import tap
from test_service_mode import Rig, _enroll, _login, config  # noqa: F401 - config is a fixture


@pytest.fixture
def tls(tmp_path):
    return make_mutual_tls(tmp_path / "tls", kiosk_id="demo-kiosk-01")


@pytest.fixture
def rig(config, tmp_path, monkeypatch, tls):
    monkeypatch.setenv("SPORTELLO_RECEIVER__PINNED_CERT", str(tls.server.cert))
    monkeypatch.setenv("SPORTELLO_RECEIVER__PINNED_SHA256", fingerprint(tls.server.cert.read_bytes()))
    rig = Rig(load_config(None), tmp_path)
    yield rig
    rig.close()


def _export(rig, tmp_path):
    (tmp_path / "usb").mkdir(exist_ok=True)
    before = {p.name for p in (tmp_path / "usb").iterdir()}
    _press_export(rig)
    (new,) = [p for p in (tmp_path / "usb").iterdir() if p.name not in before]
    return new


def _press_export(rig) -> None:
    """The technician's "Export to USB": first the acknowledgements on the stick, then the new export."""
    if rig.service.state.page != "queue":
        rig.press("page:queue")
    rig.press("export_usb")


def _next_citizen(rig) -> str:
    """The technician leaves, the last citizen finishes and takes the card; the next one enrolls."""
    rig.service.close()
    rig.hw.card_reader.remove()
    for _ in range(3):
        if rig.shell.journey.session.screen is Screen.WELCOME:
            break
        tap(rig.shell, Intent.FINISH)
    assert rig.shell.journey.session.screen is Screen.WELCOME
    return _enroll(rig)


def _purged(rig, enrollment_id) -> bool:
    entry = rig.shell.store.entry(enrollment_id)
    return entry.status == "delivered" and not entry.has_packet


def test_export_import_ack_and_the_kiosk_purges_exactly_what_the_receiver_holds(rig, tmp_path, tls, capsys):
    first = _enroll(rig)
    _login(rig)
    exported = _export(rig, tmp_path)
    second = _next_citizen(rig)  # sealed after the export: not on the stick
    _login(rig)
    assert main(["receiver", "import", str(exported), "--data", str(rig.receiver_dir),
                 "--tls-key", str(tls.server.key)]) == 0
    out = capsys.readouterr().out
    assert "acknowledgement for 1 packet(s) written" in out
    ack = json.loads((exported / ACK_NAME).read_text())
    assert set(ack) == {"format", "payload", "signature"} and "Bianchi" not in json.dumps(ack)
    assert rig.shell.store.entry(first).status == "exported"  # nothing purged until the stick is back
    _press_export(rig)  # the stick is back at the kiosk
    assert "1 acknowledged by the receiver and purged" in rig.service.state.message
    assert _purged(rig, first)
    assert rig.shell.store.entry(second).has_packet  # exported now, kept until its own acknowledgement
    _press_export(rig)  # the same acknowledgement again: nothing more, nothing twice
    assert rig.shell.store.entry(second).has_packet and _purged(rig, first)


def test_forged_mismatched_or_foreign_acknowledgements_purge_nothing(rig, tmp_path, tls):
    enrollment_id = _enroll(rig)
    _login(rig)
    exported = _export(rig, tmp_path)
    digest = json.loads((exported / "manifest.json").read_text())["packets"][0]["sha256"]
    _press_export(rig)  # no acknowledgement yet
    assert rig.shell.store.entry(enrollment_id).status == "exported"

    # forged: signed by a key that is not the pinned receiver's
    other = issue(tmp_path / "forger", name="receiver", is_server=True)
    write_ack(exported, kiosk_id="demo-kiosk-01", packets=[{"enrollment_id": enrollment_id, "sha256": digest}],
              key_pem=other.key.read_bytes())
    _press_export(rig)
    assert "1 acknowledgement(s) refused (bad signature)" in rig.service.state.message
    assert rig.shell.store.entry(enrollment_id).has_packet

    # altered after signing: the payload names the packet, the signature was for an empty list
    write_ack(exported, kiosk_id="demo-kiosk-01", packets=[], key_pem=tls.server.key.read_bytes())
    document = json.loads((exported / ACK_NAME).read_text())
    genuine = json.loads(base64.b64decode(document["payload"]))
    genuine["packets"] = [{"enrollment_id": enrollment_id, "sha256": digest}]
    document["payload"] = base64.b64encode(json.dumps(genuine).encode()).decode()
    (exported / ACK_NAME).write_text(json.dumps(document))
    _press_export(rig)
    assert "refused (bad signature)" in rig.service.state.message
    assert rig.shell.store.entry(enrollment_id).has_packet

    # genuine signature, wrong digest (the receiver holds other bytes under that id)
    write_ack(exported, kiosk_id="demo-kiosk-01", packets=[{"enrollment_id": enrollment_id, "sha256": "0" * 64}],
              key_pem=tls.server.key.read_bytes())
    _press_export(rig)
    assert rig.shell.store.entry(enrollment_id).has_packet

    # genuine, right digest, but another kiosk's, copied into this kiosk's export
    write_ack(exported, kiosk_id="kiosk-99", packets=[{"enrollment_id": enrollment_id, "sha256": digest}],
              key_pem=tls.server.key.read_bytes())
    _press_export(rig)
    assert "refused (another kiosk's)" in rig.service.state.message
    assert rig.shell.store.entry(enrollment_id).has_packet

    # genuine but written for another export directory of this kiosk
    elsewhere = exported.with_name(exported.name + "-copy")
    shutil.copytree(exported, elsewhere)
    write_ack(exported, kiosk_id="demo-kiosk-01", packets=[{"enrollment_id": enrollment_id, "sha256": digest}],
              key_pem=tls.server.key.read_bytes())
    shutil.copy(exported / ACK_NAME, elsewhere / ACK_NAME)
    (exported / ACK_NAME).unlink()
    _press_export(rig)
    assert "refused (another export's)" in rig.service.state.message
    assert rig.shell.store.entry(enrollment_id).has_packet

    # and the genuine one purges it
    shutil.copy(elsewhere / ACK_NAME, exported / ACK_NAME)
    shutil.rmtree(elsewhere)
    write_ack(exported, kiosk_id="demo-kiosk-01", packets=[{"enrollment_id": enrollment_id, "sha256": digest}],
              key_pem=tls.server.key.read_bytes())
    _press_export(rig)
    assert _purged(rig, enrollment_id)


def test_without_a_pinned_certificate_no_acknowledgement_is_trusted(config, tmp_path, tls):
    rig = Rig(config, tmp_path)  # no [receiver] pinned_cert
    try:
        enrollment_id = _enroll(rig)
        _login(rig)
        exported = _export(rig, tmp_path)
        assert main(["receiver", "import", str(exported), "--data", str(rig.receiver_dir),
                     "--tls-key", str(tls.server.key)]) == 0
        _press_export(rig)
        assert "refused (no pinned receiver certificate)" in rig.service.state.message
        assert rig.shell.store.entry(enrollment_id).has_packet
    finally:
        rig.close()
