"""The citizen's activation email: second half of the code, the RAO token attached, what to do next.

Texts are gettext catalogues (``locale/<lang>/LC_MESSAGES/mail.po``, message keys, Italian the
source; a language without a catalogue falls back to English, then Italian). ``compose`` builds a
plain-text + HTML message with a Message-ID chosen by the caller (the job stores it before
sending, so a resend after a crash carries the same one); ``send`` speaks SMTP, upgrading with
STARTTLS whenever the server offers it. Errors name SMTP codes and classes, never addresses.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from kiosk.catalogues import catalogue_languages, load_catalogue
from kiosk.domain.activation import second_half
from kiosk.domain.ids import reference as reference_of
from kiosk.errors import KioskError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "mail"
SOURCE_LANGUAGE = "it"
FALLBACK_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})  # written right to left (the html body says dir="rtl")
TOKEN_FILE_NAME = "spid-attivazione.jwt"
TOKEN_CONTENT_TYPE = ("application", "jwt")  # RFC 7519 section 10.3.1


class MailError(KioskError):
    """Sending the activation email failed. ``code`` is short and non-personal."""

    is_transient = True

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class MailUnavailable(MailError, ConnectionError):
    """The SMTP server could not be reached or deferred the message (4xx): retry later."""


class MailRefused(MailError, ValueError):
    """The SMTP server refused the message or the recipient for good (5xx): a person must look."""

    is_transient = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    starttls: str = "auto"  # "auto": when offered; "require": refuse to send in clear; "never"
    username: str = ""
    password: str = ""
    ca_file: str = ""  # trust this CA for the server certificate (default: the system's)
    timeout: float = 30.0

    def __repr__(self) -> str:
        return f"<SmtpSettings {self.host}:{self.port} starttls={self.starttls}>"


def _catalogue(language: str) -> dict[str, str]:
    return load_catalogue(LOCALE_DIR, DOMAIN, language)


def available_languages() -> list[str]:
    return catalogue_languages(LOCALE_DIR, DOMAIN)


def text(key: str, language: str, **values: str) -> str:
    """The sentence ``key`` in ``language`` (fallback English, then Italian), placeholders filled."""
    for lang in (language, FALLBACK_LANGUAGE, SOURCE_LANGUAGE):
        found = _catalogue(lang).get(key)
        if found:
            return found.format(**values)
    raise KeyError(key)


def mail_language(language: str) -> str:
    """The language the email is written in: the citizen's when a catalogue exists."""
    return language if language in available_languages() else FALLBACK_LANGUAGE


def format_deadline(day: date, language: str) -> str:
    from babel.dates import format_date

    return format_date(day, format="long", locale=language)


def new_message_id(sender: str) -> str:
    """A fresh Message-ID in the sender's domain (stored in the job before the first send)."""
    domain = sender.rpartition("@")[2] or "sportello.invalid"
    return make_msgid(idstring="spid", domain=domain)


def compose(payload: dict, *, token: str | None, message_id: str, sender: str, town: str,
            deadline: date, sent_at=None) -> EmailMessage:
    """The activation email for a decrypted packet payload, in the citizen's language."""
    language = mail_language(payload.get("language") or SOURCE_LANGUAGE)
    citizen = payload["citizen"]
    name = f"{citizen['given_name']} {citizen['family_name']}".title()
    code_half = second_half(payload["activation_code"])
    values = {
        "name": name, "town": town, "reference": reference_of(payload["enrollment_id"]),
        "attachment": TOKEN_FILE_NAME, "deadline": format_deadline(deadline, language),
    }
    t = lambda key: text(key, language, **values)  # noqa: E731
    steps = [t("mail.step1"), t("mail.step2"), t("mail.step3")]

    plain = "\n".join([
        t("mail.greeting"), t("mail.accepted"), "",
        t("mail.second_half"), "", f"    {code_half}", "",
        t("mail.first_half"), "",
        t("mail.next"), *[f"{n}. {step}" for n, step in enumerate(steps, 1)], "",
        t("mail.deadline"), "", t("mail.never_share"), "", "-- ", t("mail.signature"), t("mail.no_reply"), "",
    ])
    e = lambda s: html.escape(s, quote=True)  # noqa: E731
    rich = (
        f'<!DOCTYPE html><html lang="{e(language)}" dir="{"rtl" if language in RTL_LANGUAGES else "ltr"}">'
        '<head><meta charset="utf-8">'
        f"<title>{e(t('mail.subject'))}</title></head>"
        '<body style="font-family:sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a">'
        f"<p>{e(t('mail.greeting'))}<br>{e(t('mail.accepted'))}</p>"
        f"<p>{e(t('mail.second_half'))}</p>"
        '<p dir="ltr" style="font-family:monospace;font-size:28px;letter-spacing:4px;font-weight:bold">'
        f"{e(code_half)}</p>"
        f"<p>{e(t('mail.first_half'))}</p>"
        f"<h2 style=\"font-size:18px\">{e(t('mail.next'))}</h2>"
        "<ol>" + "".join(f"<li>{e(step)}</li>" for step in steps) + "</ol>"
        f"<p><strong>{e(t('mail.deadline'))}</strong></p>"
        f"<p>{e(t('mail.never_share'))}</p>"
        f"<p style=\"color:#555\">{e(t('mail.signature'))}<br>{e(t('mail.no_reply'))}</p>"
        "</body></html>"
    )
    message = EmailMessage()
    message["Subject"] = t("mail.subject")
    message["From"] = sender
    message["To"] = payload["contact"]["email"]
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if sent_at is not None:
        message["Date"] = format_datetime(sent_at)
    message.set_content(plain)
    message.add_alternative(rich, subtype="html")
    if token:
        message.add_attachment(token.encode("ascii"), maintype=TOKEN_CONTENT_TYPE[0],
                               subtype=TOKEN_CONTENT_TYPE[1], filename=TOKEN_FILE_NAME)
    message["Content-Language"] = language  # after the parts: making a multipart moves Content-* headers
    return message


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Hand ``message`` to the SMTP server; returns once the server accepted it (250 after DATA)."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls != "never" and smtp.has_extn("starttls"):
                context = ssl.create_default_context(cafile=settings.ca_file or None)
                smtp.starttls(context=context)
                smtp.ehlo()
            elif settings.starttls == "require":
                raise MailRefused("starttls_not_offered")
            if settings.username:
                smtp.login(settings.username, settings.password)
            refused = smtp.send_message(message)
            if refused:
                raise MailRefused("recipient_refused")
    except MailError:
        raise
    except smtplib.SMTPRecipientsRefused as err:
        codes = {code for code, _ in err.recipients.values()}
        raise (MailUnavailable if all(400 <= c < 500 for c in codes) else MailRefused)("recipient_refused") from None
    except smtplib.SMTPResponseException as err:
        kind = MailUnavailable if 400 <= err.smtp_code < 500 else MailRefused
        raise kind(f"smtp_{err.smtp_code}") from None
    except ssl.SSLError:
        raise MailUnavailable("tls_error") from None
    except (smtplib.SMTPException, OSError) as err:
        raise MailUnavailable("smtp:" + type(err).__name__) from None
