"""Structured logs straight into journald (its native protocol over ``/run/systemd/journal/socket``).

Under systemd the kiosk's stderr is already a journal stream (``$JOURNAL_STREAM``); writing natively
keeps each record's fields searchable (``journalctl -u sportello-kiosk KIOSK_EVENT=...``) and its
priority. Stdlib only. Records carry only non-personal fields (``kiosk.logs``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import sys

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def is_journal_stream(stream=None, *, environ=None) -> bool:
    """Whether ``stream`` (stderr) is connected to the journal, as ``$JOURNAL_STREAM`` (dev:inode) says."""
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    if not value:
        return False
    stream = stream or sys.stderr
    try:
        st = os.fstat(stream.fileno())
        device, inode = value.split(":")
        return (st.st_dev, st.st_ino) == (int(device), int(inode))
    except (ValueError, OSError, AttributeError):
        return False


def _field(key: str, value: str) -> bytes:
    data = value.encode("utf-8", "replace")
    name = key.encode("ascii")
    if b"\n" in data:
        return name + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return name + b"=" + data + b"\n"


def _field_name(key: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in key.upper())
    return "KIOSK_" + cleaned.lstrip("_")


class JournalHandler(logging.Handler):
    """Sends each record as one journald datagram: MESSAGE (the JSON line), PRIORITY, SYSLOG_IDENTIFIER,
    and one ``KIOSK_<FIELD>`` per structured field. Falls back to stderr if the socket is gone."""

    def __init__(self, *, address: str = JOURNAL_SOCKET, identifier: str = "sportello") -> None:
        super().__init__()
        self.address = address
        self.identifier = identifier
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            parts = [
                _field("MESSAGE", line),
                _field("PRIORITY", str(_PRIORITY.get(record.levelno, 6))),
                _field("SYSLOG_IDENTIFIER", self.identifier),
                _field("LOGGER", record.name),
            ]
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {}
            for key, value in entry.items():
                if key not in ("time", "message", "level"):
                    parts.append(_field(_field_name(key), value if isinstance(value, str) else json.dumps(value)))
            self._sock.sendto(b"".join(parts), self.address)
        except OSError:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never crash the kiosk
            self.handleError(record)

    def close(self) -> None:
        self._sock.close()
        super().close()
