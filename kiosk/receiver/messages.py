"""Messages the receiver sends to citizens: one-time codes, verification links (email and SMS).

Simulated here: each message is written as one JSON file in ``DATA/outbox/`` (mode 0600; it holds
the address and the text, as an SMTP spool would). The real channels (SMTP, an SMS gateway) plug in
as another ``Messenger`` with the same ``send``. Logs name the channel and a message id only.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger("kiosk.receiver.messages")

OUTBOX_DIR = "outbox"


class Messenger(Protocol):
    def send(self, *, channel: str, to: str, subject: str, body: str, message_id: str | None = None) -> str:
        """Send one message; returns its id. ``channel`` is ``email`` or ``mobile`` (SMS).

        With ``message_id`` (hex) a message already sent under that id is not sent again."""


class FileMessenger:
    """The simulated channels: ``DATA/outbox/<nanoseconds>-<id>.json``."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.directory = Path(data_dir) / OUTBOX_DIR

    def send(self, *, channel: str, to: str, subject: str, body: str, message_id: str | None = None) -> str:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if message_id is not None and any(self.directory.glob(f"*-{message_id}.json")):
            log.info("message already sent", extra={"channel": channel, "message_id": message_id})
            return message_id
        message_id = message_id or secrets.token_hex(8)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{time.time_ns():020d}-{message_id}.json"  # names sort in sending order
        temporary = self.directory / f".{message_id}.tmp"  # complete or absent: written, synced, then named
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"id": message_id, "channel": channel, "to": to, "subject": subject, "body": body,
                       "sent_at": stamp}, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.rename(temporary, path)
        log.info("message sent", extra={"channel": channel, "message_id": message_id})
        return message_id

    def messages(self) -> list[dict]:
        """Every message sent, oldest first (for tests and the demo)."""
        if not self.directory.is_dir():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.directory.glob("*.json"))]
