"""Process-wide preparation done once by the entry points (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """systemd's CacheDirectory, else XDG's cache dir, else ~/.cache: per-user, survives reboots."""
    base = os.environ.get("CACHE_DIRECTORY") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base.split(":")[0]) / "sportello"


def prepare_environment() -> None:
    """python-escpos parses a 1 MB YAML of printer profiles on import unless it finds its pickle, which it
    otherwise writes to a fresh temporary directory every time: give it a stable cache directory."""
    directory = Path(os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR") or cache_dir() / "escpos")
    try:  # also when inherited: python-escpos crashes on a pickle directory that does not exist
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(directory)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
