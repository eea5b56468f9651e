"""Making file-system changes survive a power cut."""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(directory: str | os.PathLike[str]) -> None:
    """fsync a directory, so that the entries created, renamed or removed in it are on disk too (a file's
    own fsync does not cover its name)."""
    fd = os.open(Path(directory), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
