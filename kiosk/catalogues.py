"""Gettext catalogues (``<locale_dir>/<lang>/LC_MESSAGES/<domain>.po``) read at run time with Babel.

Shared by the UI (domain ``kiosk``) and the receiver's emails (domain ``mail``), which may not
import each other: this module knows neither.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=64)
def load_catalogue(locale_dir: Path, domain: str, language: str) -> dict[str, str]:
    """msgid -> translation for ``language`` (untranslated entries left out); {} without a catalogue."""
    from babel.messages.pofile import read_po  # Babel is only needed once a catalogue is read

    path = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string}


def catalogue_languages(locale_dir: Path, domain: str) -> list[str]:
    """The languages that have a ``domain`` catalogue under ``locale_dir``."""
    return sorted(p.name for p in locale_dir.iterdir() if (p / "LC_MESSAGES" / f"{domain}.po").is_file())
