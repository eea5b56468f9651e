"""Structured logging (one JSON object a line). Callers pass only non-personal fields in ``extra``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(*, log_dir: Path | None = None, level: int = logging.INFO, to_stderr: bool = False) -> None:
    """Log to ``log_dir/kiosk.log`` and/or stderr; under systemd (``$JOURNAL_STREAM``) to journald natively."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_dir / "kiosk.log", encoding="utf-8"))
    if to_stderr or not handlers:
        from kiosk.appliance.journal import JournalHandler, is_journal_stream

        # under systemd stderr is a journal stream: write natively so fields and priorities stay searchable
        handlers.append(JournalHandler() if is_journal_stream(sys.stderr) else logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
