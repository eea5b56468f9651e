"""Logs go to journald natively under systemd, and a whole demo logs nothing about the citizen."""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.appliance.journal import JournalHandler, is_journal_stream
from kiosk.logs import JsonFormatter


ROOT = Path(__file__).resolve().parents[1]


def _parse(datagram: bytes) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(datagram):
        nl = datagram.index(b"\n", i)
        line = datagram[i:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            fields[key.decode()] = value.decode()
            i = nl + 1
        else:
            size = struct.unpack("<Q", datagram[nl + 1:nl + 9])[0]
            fields[line.decode()] = datagram[nl + 9:nl + 9 + size].decode()
            i = nl + 9 + size + 1
    return fields


def test_records_reach_the_journal_socket_with_fields_and_priority(tmp_path):
    path = tmp_path / "journal.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    handler = JournalHandler(address=str(path))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kiosk.test-journal")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("receipt not printed", extra={"enrollment_id": "e-1", "error": "PaperOut"})
        logger.info("two lines", extra={"count": 3, "note": "first\nsecond"})
        first, second = _parse(sock.recv(65536)), _parse(sock.recv(65536))
    finally:
        logger.removeHandler(handler)
        handler.close()
        sock.close()
    assert first["PRIORITY"] == "4" and first["SYSLOG_IDENTIFIER"] == "sportello"
    assert first["KIOSK_ENROLLMENT_ID"] == "e-1" and first["KIOSK_ERROR"] == "PaperOut"
    assert json.loads(first["MESSAGE"])["message"] == "receipt not printed"
    assert second["PRIORITY"] == "6" and json.loads(second["MESSAGE"])["message"] == "two lines"
    assert second["KIOSK_COUNT"] == "3" and second["KIOSK_NOTE"] == "first\nsecond"  # the binary-safe form


def test_journal_stream_is_recognised_by_device_and_inode(tmp_path):
    with open(tmp_path / "stream", "w") as f:
        st = os.fstat(f.fileno())
        assert is_journal_stream(f, environ={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not is_journal_stream(f, environ={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not is_journal_stream(f, environ={})


# -- no personal data in any log of a whole demo --------------------------------------------------

def _needles() -> list[str]:
    from hardware.card.simcard import SimCard

    identity = SimCard.sample().identity
    values = {identity.codice_fiscale, identity.surname, identity.given_name,
              f"{identity.surname} {identity.given_name}", identity.card_id, identity.birth_date.isoformat(),
              identity.birth_date.strftime("%d/%m/%Y")}
    from kiosk.demo import SAMPLE_FIELDS

    values |= {str(v) for v in SAMPLE_FIELDS.values()}  # document, email, mobile, the operator's PIN
    values.add(SAMPLE_FIELDS["mobile"].replace(" ", ""))
    values.add(SimCard.sample_operator().identity.codice_fiscale)
    return sorted(values)


def test_a_whole_demo_logs_nothing_about_the_sample_citizen(tmp_path):
    env = dict(os.environ, SPORTELLO_KIOSK__DATA_DIR=str(tmp_path / "var"), SDL_VIDEODRIVER="dummy",
               SDL_AUDIODRIVER="dummy")
    result = subprocess.run([sys.executable, "-m", "kiosk", "demo", "--headless", "--out", str(tmp_path / "out")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    logs = [result.stdout, result.stderr]
    log_files = list((tmp_path / "var").rglob("*.log")) + list((tmp_path / "out").rglob("*.log"))
    assert log_files, "the demo wrote no log file"
    logs += [p.read_text(encoding="utf-8", errors="replace") for p in log_files]
    text = "\n".join(logs)
    assert "enrollment committed" in text  # the logs are there and structured
    lowered = text.lower()
    needles = _needles()
    assert {"BNCGLI85C52H501R", "BIANCHI GIULIA", "giulia.bianchi@example.it", "3331234567"} <= set(needles)
    leaked = [n for n in needles if n.lower() in lowered]
    assert not leaked, f"personal data in the logs: {leaked}"
