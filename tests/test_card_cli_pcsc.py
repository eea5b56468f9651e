"""``kiosk card read``, the standalone emulator, and OpenSC, on the real PC/SC stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from hardware.card.pcsc import PcscCardReader
from pcsc_harness import VPCD_READER

ROOT = Path(__file__).resolve().parents[1]
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def _config(tmp_path: Path, stack, reader: str = VPCD_READER) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[hardware]\ncard_reader = "pcsc"\n\n[card]\nreader = "{reader}"\nca_certs = ["{stack.ca_path}"]\n')
    return path


def _kiosk(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_card_read_json_reports_the_emulated_ts_cns(tmp_path, pcsc_stack):
    pcsc_stack.insert("ts-cns")
    try:
        result = _kiosk("--config", str(_config(tmp_path, pcsc_stack)), "card", "read", "--json", cwd=tmp_path)
    finally:
        pcsc_stack.remove()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["type"] == "TS-CNS" and report["codice_fiscale"] == "BNCGLI85C52H501R"
    assert (report["given_name"], report["surname"], report["birth_date"]) == ("GIULIA", "BIANCHI", "1985-03-12")
    assert "Sportello Test CNS CA" in report["certificate"]["issuer"]
    assert report["certificate"]["not_after"] > report["certificate"]["not_before"]
    assert report["elapsed_ms"] > 0 and 0 < report["apdus"] <= 12


def test_card_read_text_reports_a_cie(tmp_path, pcsc_stack):
    pcsc_stack.insert("cie")
    try:
        result = _kiosk("--config", str(_config(tmp_path, pcsc_stack)), "card", "read", cwd=tmp_path)
    finally:
        pcsc_stack.remove()
    assert result.returncode == 0, result.stderr
    assert "CIE" in result.stdout and "123456789012" in result.stdout and "chip genuine    yes" in result.stdout


def test_card_read_says_clearly_when_there_is_no_card_or_no_reader(tmp_path, pcsc_stack):
    pcsc_stack.remove()
    result = _kiosk("--config", str(_config(tmp_path, pcsc_stack)), "card", "read", cwd=tmp_path)
    assert result.returncode != 0 and "no card in the reader" in result.stderr and "Traceback" not in result.stderr
    result = _kiosk("--config", str(_config(tmp_path, pcsc_stack, reader="Nessun Lettore")), "card", "read", cwd=tmp_path)
    assert result.returncode != 0 and "no smart-card reader matching" in result.stderr
    assert "Traceback" not in result.stderr


def test_standalone_emulator_serves_a_card_until_stopped(tmp_path, pcsc_stack):
    pcsc_stack.remove()
    ca_dir = tmp_path / "ca"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "hardware.card.emulator", "--profile", "TS-CNS", "--ca-dir", str(ca_dir)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert emulator.stdout.readline().startswith("ready ts-cns")
        reader = PcscCardReader(reader=VPCD_READER, ca_certs=[ca_dir / "ca.pem"])
        with reader:
            pcsc_stack.wait_slot(present=True)
            assert reader.read_identity().codice_fiscale == "BNCGLI85C52H501R"
        assert not (ROOT / "ca-key.pem").exists()
    finally:
        emulator.send_signal(signal.SIGTERM)
        assert emulator.wait(timeout=10) == 0
        pcsc_stack.wait_slot(present=False)


def test_opensc_reads_the_emulated_card_as_a_cns(pcsc_stack):
    card = pcsc_stack.insert("ts-cns")
    try:
        atr = subprocess.run(["opensc-tool", "-a"], capture_output=True, text=True, timeout=30)
        name = subprocess.run(["opensc-tool", "-n"], capture_output=True, text=True, timeout=30)
        pem = subprocess.run(["pkcs15-tool", "--read-certificate", "01"],
                             capture_output=True, text=True, timeout=60)
    finally:
        pcsc_stack.remove()
    assert atr.stdout.strip().replace(":", "").upper() == card.atr.hex().upper()
    assert name.stdout.strip() == "CNS card", "OpenSC's itacns driver claims it"
    assert pem.returncode == 0, pem.stderr
    certificate = x509.load_pem_x509_certificate(pem.stdout.encode())
    assert certificate.subject.rfc4514_string().find("BNCGLI85C52H501R") >= 0
