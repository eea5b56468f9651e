"""Checks on what the citizen typed or the card said: codice fiscale, names, email, mobile, dates.

Each check returns the normalised value or raises ``ValidationError`` with a stable ``code`` that the
UI translates into a plain-language hint. Messages never echo the input.
"""

from __future__ import annotations

import re
from datetime import date

from kiosk.domain.citizen import Citizen, IdentityDocument, Sex
from kiosk.errors import ValidationError

_MONTHS = "ABCDEHLMPRST"
_OMOCODE_DIGITS = "LMNPQRSTUV"  # digit d is replaced by _OMOCODE_DIGITS[d]
_NUMERIC_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_NAME_RE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ' .-]{1,60}$")


def _de_omocode(code: str) -> str:
    chars = list(code)
    for i in _NUMERIC_POSITIONS:
        if chars[i] in _OMOCODE_DIGITS:
            chars[i] = str(_OMOCODE_DIGITS.index(chars[i]))
    return "".join(chars)


def normalise_codice_fiscale(raw: str) -> str:
    """Upper-case, strip spaces, and verify format and check character (omocodia included)."""
    code = re.sub(r"\s+", "", raw or "").upper()
    if len(code) != 16:
        raise ValidationError("cf_length", "codice fiscale must be 16 characters")
    from codicefiscale import codicefiscale as _cf  # heavy (its tables): imported when first needed

    if not _cf.is_valid(code):
        raise ValidationError("cf_invalid", "codice fiscale check character or format is wrong")
    return code


def decode_codice_fiscale(code: str) -> tuple[int, int, int, Sex, str]:
    """(two-digit year, month, day, sex, birth place code) encoded in a valid codice fiscale."""
    return _decode(normalise_codice_fiscale(code))


def _decode(code: str) -> tuple[int, int, int, Sex, str]:
    """``decode_codice_fiscale`` of a code ``normalise_codice_fiscale`` has already checked (the check
    looks the birth place up in its tables: a few ms, not to be paid twice)."""
    plain = _de_omocode(code)
    year = int(plain[6:8])
    month = _MONTHS.index(plain[8]) + 1
    day = int(plain[9:11])
    sex = Sex.FEMALE if day > 40 else Sex.MALE
    return year, month, day % 40, sex, plain[11:15]


def check_codice_fiscale(
    raw: str, *, surname: str, given_name: str, birth_date: date | None = None, sex: Sex | None = None
) -> str:
    """Validate a codice fiscale and cross-check it with names, and birth date and sex when known."""
    code = normalise_codice_fiscale(raw)
    from codicefiscale import codicefiscale as _cf

    if _cf.encode_lastname(surname) != code[0:3]:
        raise ValidationError("cf_surname_mismatch", "codice fiscale does not match the surname")
    if _cf.encode_firstname(given_name) != code[3:6]:
        raise ValidationError("cf_name_mismatch", "codice fiscale does not match the given name")
    year, month, day, cf_sex, _ = _decode(code)
    if birth_date is not None and (birth_date.year % 100, birth_date.month, birth_date.day) != (year, month, day):
        raise ValidationError("cf_birth_mismatch", "codice fiscale does not match the birth date")
    if sex is not None and Sex(sex) != cf_sex:
        raise ValidationError("cf_sex_mismatch", "codice fiscale does not match the sex")
    return code


def citizen_from_manual_entry(*, codice_fiscale: str, surname: str, given_name: str, today: date) -> Citizen:
    """Build a citizen from typed data: birth date, sex and place come from the code itself."""
    surname = check_name(surname, code="surname_invalid")
    given_name = check_name(given_name, code="given_name_invalid")
    code = check_codice_fiscale(codice_fiscale, surname=surname, given_name=given_name)
    yy, month, day, sex, place = _decode(code)
    century = 2000 if 2000 + yy <= today.year else 1900
    try:
        born = date(century + yy, month, day)
    except ValueError as exc:
        raise ValidationError("cf_invalid", "codice fiscale encodes an impossible date") from exc
    return Citizen(
        codice_fiscale=code, surname=surname.upper(), given_name=given_name.upper(), birth_date=born,
        sex=sex, birth_place_code=place, source="manual",
    )


def check_name(raw: str, *, code: str = "name_invalid") -> str:
    name = " ".join((raw or "").split())
    if not _NAME_RE.match(name) or not any(c.isalpha() for c in name):
        raise ValidationError(code, "name holds characters a name cannot have")
    return name


def check_email(raw: str) -> str:
    """Syntax only (no DNS: the kiosk may be offline); the address becomes the SPID username."""
    import email_validator  # imported when first needed: the kiosk starts faster

    try:
        return email_validator.validate_email((raw or "").strip(), check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        raise ValidationError("email_invalid", "email address is not valid") from exc


def check_mobile(raw: str, *, default_region: str = "IT") -> str:
    """A mobile number in E.164; Italian numbers may be typed without +39."""
    import phonenumbers

    try:
        number = phonenumbers.parse((raw or "").strip(), default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("mobile_invalid", "mobile number is not valid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("mobile_invalid", "mobile number is not valid")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        raise ValidationError("mobile_not_mobile", "number is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_document(document: IdentityDocument, *, today: date) -> IdentityDocument:
    if not re.fullmatch(r"[A-Z0-9]{5,12}", document.number):
        raise ValidationError("document_number_invalid", "document number format is not valid")
    if document.issue_date > today:
        raise ValidationError("document_issue_future", "document issue date is in the future")
    if document.expiry_date <= document.issue_date:
        raise ValidationError("document_dates_invalid", "document expires before it was issued")
    if document.is_expired_on(today):
        raise ValidationError("document_expired", "document has expired")
    return document


def parse_date(raw: str) -> date:
    """A date typed as DD/MM/YYYY (Italian order; '-' and '.' also accepted) or ISO YYYY-MM-DD."""
    text = (raw or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise ValidationError("date_invalid", "date is not valid")
