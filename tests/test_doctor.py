"""``kiosk doctor``: every check, on the simulated setup and against a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from hardware.card.simcard import SimCard
from kiosk import sealing
from kiosk.appliance import doctor
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.devices import Hardware
from kiosk.receiver.keys import public_key_path
from kiosk.receiver.server import ReceiverServer
from kiosk.store import Store


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    return load_config(None)


@pytest.fixture
def hardware(config):
    with Hardware.from_config(config) as hw:
        yield hw


def test_doctor_json_on_the_demo_setup_reports_every_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPORTELLO_KIOSK__DATA_DIR", str(tmp_path / "var"))
    with ReceiverServer(tmp_path / "receiver") as server:
        monkeypatch.setenv("SPORTELLO_RECEIVER__URL", server.url)
        monkeypatch.setenv("SPORTELLO_RECEIVER__PUBLIC_KEY", str(public_key_path(tmp_path / "receiver")))
        sealing.load_or_create_signing_key(tmp_path / "var" / "keys" / "kiosk.key")
        code = main(["doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    by_name = {c["name"]: c for c in report["checks"]}
    assert set(by_name) == set(doctor.CHECK_NAMES)
    assert all(c["status"] in ("ok", "warn", "fail") and c["detail"] for c in report["checks"])
    assert code == 0 and report["healthy"] is True
    assert by_name["receiver"]["status"] == "ok" and abs(by_name["receiver"]["data"]["clock_skew_s"]) < 60
    assert by_name["clock"]["status"] == "ok"
    assert by_name["keys"]["status"] == "ok" and by_name["keys"]["data"]["signing_key_mode"] == "0o600"
    for device in ("card_reader", "printer", "gpio"):
        assert by_name[device]["status"] == "ok", by_name[device]


def test_plain_output_and_exit_code_when_the_receiver_is_down(config, monkeypatch, capsys):
    monkeypatch.setenv("SPORTELLO_RECEIVER__URL", "http://127.0.0.1:9")  # discard port: nothing listens
    assert main(["doctor", "--timeout", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  receiver     receiver unreachable" in out
    assert out.strip().splitlines()[-1] == "NOT healthy: receiver"


def test_device_faults_fail_their_check(config, hardware):
    hardware.printer.unplug()
    hardware.panel.press("tamper")
    hardware.camera.unplug()
    report = doctor.run_doctor(config, hardware=hardware)
    assert report.check("printer").status == "fail" and "offline" in report.check("printer").detail
    assert report.check("gpio").status == "fail" and "enclosure open" in report.check("gpio").detail
    assert report.check("camera").status == "fail" and "CameraError" in report.check("camera").detail
    assert not report.is_healthy


def test_paper_near_end_warns_and_out_fails(config, hardware):
    hardware.printer.set_paper("near_end")
    assert doctor.run_doctor(config, hardware=hardware).check("printer").status == "warn"
    hardware.printer.set_paper("out")
    assert doctor.run_doctor(config, hardware=hardware).check("printer").status == "fail"


def test_an_inserted_card_is_read_and_only_its_type_is_reported(config, hardware):
    card = SimCard.sample()
    hardware.card_reader.insert(card)
    check = doctor.run_doctor(config, hardware=hardware).check("card_reader")
    assert check.status == "ok" and check.data["card_type"] == card.identity.card_type
    text = json.dumps(check.data) + check.detail
    assert card.identity.codice_fiscale not in text and card.identity.surname not in text


def test_a_missing_reader_fails(config, monkeypatch):
    from hardware.card.sim import SimCardReader

    reader = SimCardReader(is_plugged_in=False)
    check = doctor.check_card_reader(doctor._Opened(reader, owned=True))
    assert check.status == "fail" and "not answering" in check.detail


def test_camera_focus_tells_a_sharp_scene_from_a_blurred_one(config, hardware):
    rng = np.random.default_rng(1)
    sharp = (rng.random((480, 640)) > 0.5).astype(np.uint8) * 255
    hardware.camera.show(np.stack([sharp] * 3, axis=2))
    assert doctor.run_doctor(config, hardware=hardware).check("camera").status == "ok"
    hardware.camera.show(np.full((480, 640, 3), 120, np.uint8))
    check = doctor.run_doctor(config, hardware=hardware).check("camera")
    assert check.status == "warn" and "no detail" in check.detail


def test_clock_before_install_or_far_from_the_receiver_fails():
    assert doctor.check_clock(now=datetime(1970, 1, 1, tzinfo=timezone.utc), receiver_skew_s=None).status == "fail"
    now = datetime.now(timezone.utc)
    assert doctor.check_clock(now=now, receiver_skew_s=3600).status == "fail"
    assert doctor.check_clock(now=now, receiver_skew_s=2).status == "ok"


def test_the_freeze_rules_fail_the_backlog_check(config):
    with Store.open(config.db_path) as store:
        store.commit_packet(enrollment_id="e1", reference="R1", packet=b"x", digest="d", print_code="ab")
    now = datetime.now(timezone.utc)
    assert doctor.check_backlog(config, now=now).status == "ok"
    assert doctor.check_backlog(config, now=now + timedelta(days=6)).status == "warn"  # freeze_age_days = 7
    check = doctor.check_backlog(config, now=now + timedelta(days=8))
    assert check.status == "fail" and check.data["frozen"] is True and "days old" in check.detail


PI_TOUCH = """I: Bus=0000 Vendor=0000 Product=0000 Version=0000
N: Name="raspberrypi-ts"
P: Phys=raspberrypi-ts/input0
H: Handlers=mouse0 event2
B: PROP=2
B: EV=b
B: KEY=400 0 0 0 0 0
B: ABS=260800000000003

I: Bus=0003 Vendor=046d Product=c31c Version=0110
N: Name="Logitech USB Keyboard"
H: Handlers=sysrq kbd event0 leds
B: EV=120013
B: KEY=1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe
"""


def test_touchscreen_found_in_proc_bus_input(tmp_path):
    assert doctor.touch_devices(PI_TOUCH) == ["raspberrypi-ts"]
    devices = tmp_path / "devices"
    devices.write_text(PI_TOUCH)
    assert doctor.check_touchscreen(is_required=True, devices_file=devices).status == "ok"
    devices.write_text(PI_TOUCH.split("\n\n")[1])
    assert doctor.check_touchscreen(is_required=True, devices_file=devices).status == "fail"
    assert doctor.check_touchscreen(is_required=False, devices_file=devices).status == "warn"


def test_low_disk_fails(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda _p: type("U", (), {"free": 50 << 20, "total": 8 << 30})())
    assert doctor.check_disk(tmp_path).status == "fail"


# -- the receiver's certificate over real TLS on 127.0.0.1 ------------------------------------------

def _self_signed(tmp_path, *, days: int):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "receiver.test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    tmp_path.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = tmp_path / f"cert{days}.pem", tmp_path / f"key{days}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    servers = []

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b'{"status": "ok"}'
            self.send_response(200 if self.path == "/healthz" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def start(days: int) -> tuple[str, object]:
        cert_file, key_file = _self_signed(tmp_path, days=days)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"https://127.0.0.1:{httpd.server_address[1]}", cert_file

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _section(url, pinned):
    from kiosk.config import ReceiverSection

    return ReceiverSection(url=url, pinned_cert=pinned)


def test_receiver_certificate_trusted_and_valid(tls_receiver):
    url, cert_file = tls_receiver(400)
    check = doctor.check_receiver(_section(url, cert_file), now=datetime.now(timezone.utc), timeout=5)
    assert check.status == "ok" and 398 <= check.data["certificate_days_left"] <= 400


def test_receiver_certificate_about_to_expire_warns(tls_receiver):
    url, cert_file = tls_receiver(10)
    check = doctor.check_receiver(_section(url, cert_file), now=datetime.now(timezone.utc), timeout=5)
    assert check.status == "warn" and "expires in" in check.detail


def test_receiver_with_an_untrusted_certificate_fails(tls_receiver, tmp_path):
    url, _cert = tls_receiver(400)
    other, _key = _self_signed(tmp_path / "other", days=400)  # pinned: some other certificate
    check = doctor.check_receiver(_section(url, other), now=datetime.now(timezone.utc), timeout=5)
    assert check.status == "fail" and "certificate not trusted" in check.detail


# -- the real PC/SC stack (pcscd + vpcd + the card emulator) ------------------------------------------

def test_doctor_reads_a_card_through_pcscd(tmp_path, monkeypatch, pcsc_stack):
    from pcsc_harness import VPCD_READER

    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "var"}"\n[hardware]\ncard_reader = "pcsc"\n\n'
                    f'[card]\nreader = "{VPCD_READER}"\nca_certs = ["{pcsc_stack.ca_path}"]\n')
    config = load_config(path)
    assert doctor.run_doctor(config).check("card_reader").detail == "reader answering; no card inserted"
    pcsc_stack.insert("ts-cns")
    try:
        check = doctor.run_doctor(config).check("card_reader")
    finally:
        pcsc_stack.remove()
    assert check.status == "ok" and check.data["card_type"] == "TS-CNS" and check.data["backend"] == "PcscCardReader"
    assert "BNCGLI85C52H501R" not in json.dumps(check.data) + check.detail


def test_doctor_fails_a_reader_pcscd_does_not_list(tmp_path, pcsc_stack):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "var"}"\n[hardware]\ncard_reader = "pcsc"\n\n'
                    f'[card]\nreader = "No Such Reader 00 00"\n')
    check = doctor.run_doctor(load_config(path)).check("card_reader")
    assert check.status == "fail" and "not answering" in check.detail
