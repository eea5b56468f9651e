"""Live validation while the citizen types: one plain-language hint per field, from the domain checks.

``hint_for(field, text)`` returns ``(msgid, is_ok)``; the msgid is translated by the screen. The same
checks the journey applies on "Next" (``kiosk.domain.checks``) decide, so the hint never promises what
the journey then refuses. A hint never repeats what was typed.
"""

from __future__ import annotations

from kiosk.domain import checks
from kiosk.errors import ValidationError

NAME_FIELDS = frozenset({"surname", "given_name", "document_issuer"})
CODE_FIELDS = frozenset({"email_code", "mobile_code"})


def has_live_hint(field_name: str) -> bool:
    """False for PINs and other secrets: nothing is ever said about what was typed there."""
    return field_name in NAME_FIELDS | CODE_FIELDS | {"email", "mobile", "codice_fiscale"}


def hint_for(field_name: str, text: str) -> tuple[str, bool]:
    text = text.strip()
    if field_name == "email":
        return _email(text)
    if field_name == "mobile":
        return _mobile(text)
    if field_name in NAME_FIELDS:
        return _name(text)
    if field_name == "codice_fiscale":
        return _codice_fiscale(text)
    if field_name in CODE_FIELDS:
        if not text:
            return "Il codice ha da 4 a 8 cifre", False
        if text.isdigit() and 4 <= len(text) <= 8:
            return "Il codice ha la lunghezza giusta", True
        return "Il codice ha da 4 a 8 cifre", False
    return "", False  # PINs and the rest: nothing said about what was typed


def _email(text: str) -> tuple[str, bool]:
    if not text:
        return "Ti scriveremo qui la seconda metà del codice", False
    if "@" not in text:
        return "Manca la @, come in mario.rossi@gmail.com", False
    if text.endswith("@"):
        return "Dopo la @ tocca il tuo dominio, come gmail.com", False
    try:
        checks.check_email(text)
    except ValidationError:
        return "L'indirizzo non è ancora completo", False
    return "Indirizzo email corretto", True


def _mobile(text: str) -> tuple[str, bool]:
    if not text:
        return "Per un numero estero inizia con + e il prefisso", False
    try:
        checks.check_mobile(text)
    except ValidationError as exc:
        if exc.code == "mobile_not_mobile":
            return "Questo sembra un numero fisso: serve un cellulare", False
        return "Il numero non è ancora completo", False
    return "Numero di cellulare corretto", True


def _name(text: str) -> tuple[str, bool]:
    if not text:
        return "", False
    try:
        checks.check_name(text)
    except ValidationError:
        return "Usa solo lettere, spazi e l'apostrofo", False
    return "", True


def _codice_fiscale(text: str) -> tuple[str, bool]:
    code = "".join(text.split())
    if len(code) < 16:
        return "Il codice fiscale ha 16 caratteri", False
    try:
        checks.normalise_codice_fiscale(code)
    except ValidationError:
        return "Il codice fiscale non è corretto: controllalo sulla tessera", False
    return "Codice fiscale corretto", True
