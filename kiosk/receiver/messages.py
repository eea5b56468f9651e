"""Messages the receiver sends to citizens: one-time codes, verification links (email and SMS).

Simulated here: each message is written as one JSON file in ``DATA/outbox/`` (mode 0600; it holds
the address and the text, as an SMTP spool would). The real channels (SMTP, an SMS gateway) plug in
as another ``Messenger`` with the same ``send``. Logs name the channel and a message id only.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from kiosk.durable import sync_directory

log = logging.getLogger("kiosk.receiver.messages")

OUTBOX_DIR = "outbox"


class Messenger(Protocol):
    def send(self, *, channel: str, to: str, subject: str, body: str, message_id: str | None = None) -> str:
        """Send one message; returns its id. ``channel`` is ``email`` or ``mobile`` (SMS).

        With ``message_id`` (hex) a message already sent under that id is not sent again."""


class FileMessenger:
    """The simulated channels: ``DATA/outbox/<id>.json``, one file per message.

    A message is complete or absent: written to a temporary file, synced, then renamed to its name
    (and the directory synced), so "already sent under this id" is one ``exists`` on that name, however
    many messages the outbox holds. The sending order is kept in the message (``sent_ns``).
    Outboxes written before this named their files ``<nanoseconds>-<id>.json``; those are still read,
    and their ids still count as sent.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.directory = Path(data_dir) / OUTBOX_DIR
        self._legacy_ids: frozenset[str] | None = None  # ids of old-style files, listed once

    def send(self, *, channel: str, to: str, subject: str, body: str, message_id: str | None = None) -> str:
        if message_id is not None and not _is_hex(message_id):
            raise ValueError("a message id is hexadecimal")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if message_id is not None and self._was_sent(message_id):
            log.info("message already sent", extra={"channel": channel, "message_id": message_id})
            return message_id
        message_id = message_id or secrets.token_hex(8)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{message_id}.json"
        temporary = self.directory / f".{message_id}.tmp"  # complete or absent: written, synced, then named
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"id": message_id, "channel": channel, "to": to, "subject": subject, "body": body,
                       "sent_at": stamp, "sent_ns": time.time_ns()}, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.rename(temporary, path)
        sync_directory(self.directory)  # sent means durable: its job may be marked done right after
        log.info("message sent", extra={"channel": channel, "message_id": message_id})
        return message_id

    def _was_sent(self, message_id: str) -> bool:
        if (self.directory / f"{message_id}.json").exists():
            return True
        if self._legacy_ids is None:
            self._legacy_ids = frozenset(
                match.group(2) for name in os.listdir(self.directory) if (match := _LEGACY_NAME.fullmatch(name)))
        return message_id in self._legacy_ids

    def messages(self) -> list[dict]:
        """Every message sent, oldest first (for tests and the demo)."""
        if not self.directory.is_dir():
            return []
        dated = []
        for path in self.directory.glob("*.json"):
            message = json.loads(path.read_text(encoding="utf-8"))
            legacy = _LEGACY_NAME.fullmatch(path.name)
            sent_ns = int(legacy.group(1)) if legacy else message.get("sent_ns", 0)
            dated.append((sent_ns, path.name, message))
        return [message for _, _, message in sorted(dated, key=lambda item: item[:2])]


_LEGACY_NAME = re.compile(r"(\d{20})-([0-9a-f]+)\.json")


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text)
