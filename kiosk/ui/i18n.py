"""Translations: gettext catalogues (``locale/<lang>/LC_MESSAGES/kiosk.po``) read at run time with Babel.

Italian is the source language: a msgid is the Italian sentence, or a message key (``cf_invalid``,
``reason.underage`` …) that every catalogue, Italian included, maps to plain words. Languages other
than Italian fall back to English, then to the msgid. A key never reaches the screen: ``message``
turns an unknown one into a generic "please call staff" sentence.

A second domain, ``service`` (``service.po``), holds the technicians' service-mode screens: their msgids
are the English text, ``it`` translates them, and every other language shows the English (technicians
only; the citizens' ``kiosk`` domain stays complete in every language).
"""

from __future__ import annotations

import functools
from pathlib import Path

from kiosk.catalogues import catalogue_languages, load_catalogue

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "kiosk"
SOURCE_LANGUAGE = "it"
FALLBACK_LANGUAGE = "en"
GENERIC_ERROR = "generic_error"


def _catalogue(language: str, domain: str = DOMAIN) -> dict[str, str]:
    return load_catalogue(LOCALE_DIR, domain, language)


def is_key(msgid: str) -> bool:
    """A message key (``cf_invalid``, ``reason.underage``) rather than an Italian sentence."""
    return bool(msgid) and " " not in msgid and any(c in msgid for c in "_.") and msgid.islower()


def available_languages() -> list[str]:
    return catalogue_languages(LOCALE_DIR, DOMAIN)


class Translator:
    def __init__(self, language: str, *, domain: str = DOMAIN) -> None:
        self.language = language
        chain = [language]
        if language != SOURCE_LANGUAGE and language != FALLBACK_LANGUAGE:
            chain.append(FALLBACK_LANGUAGE)
        self._chain = [_catalogue(lang, domain) for lang in chain]
        self.missing: set[str] = set()  # msgids this language lacked (shown in another language or as keys)

    def find(self, msgid: str) -> str | None:
        for i, catalogue in enumerate(self._chain):
            if msgid in catalogue:
                if i:
                    self.missing.add(msgid)
                return catalogue[msgid]
        if self.language != SOURCE_LANGUAGE or is_key(msgid):
            self.missing.add(msgid)
        return None

    def gettext(self, msgid: str) -> str:
        found = self.find(msgid)
        return msgid if found is None else found

    __call__ = gettext

    def message(self, key: str) -> str:
        """A message key (error, notice, reason) in plain words; never the raw key."""
        found = self.find(key)
        if found is None:
            found = self.find(GENERIC_ERROR)
        return found or "Qualcosa non ha funzionato: chiama il personale."


@functools.lru_cache(maxsize=None)
def _locale(language: str):
    """Babel's locale for ``language``, its CLDR data loaded once (a few ms each time otherwise)."""
    from babel import Locale

    return Locale.parse(language)


def format_date(day, language: str) -> str:
    """A date the way the citizen's language writes it (Babel, CLDR "medium": 12 mar 1985, 12.03.1985 …)."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format="medium", locale=_locale(language))


def format_number(value: int | float, language: str) -> str:
    """A number with the language's digits grouping and decimal sign (Babel)."""
    from babel.numbers import format_decimal

    # Western digits (0-9) in every language, Arabic included: they are the digits on the citizen's Italian
    # documents, receipts and codes, and what Arabic speakers from North Africa write. CLDR's "ar" says the same.
    return format_decimal(value, locale=_locale(language), numbering_system="latn")
