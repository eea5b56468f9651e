"""The activation email: its words in the citizen's language, the token attached, and SMTP delivery
to a real aiosmtpd server (STARTTLS when offered)."""

from __future__ import annotations

from datetime import date

import pytest
from provision_helpers import ACTIVATION_CODE, sample_payload
from provision_helpers import smtp  # noqa: F401 - fixture
from smtp_fixtures import SmtpServer

from kiosk.receiver.provision.mail import (
    TOKEN_FILE_NAME,
    MailRefused,
    MailUnavailable,
    SmtpSettings,
    available_languages,
    compose,
    new_message_id,
    send,
)

DEADLINE = date(2026, 12, 23)
SUBJECT_WORD = {"it": "codice di attivazione", "en": "activation code", "de": "Aktivierungscodes",
                "fr": "code d'activation", "sl": "aktivacijske kode", "ar": "رمز التفعيل", "zh": "激活码"}


def _compose(language="it", token="header.claims.signature", **options):
    payload = sample_payload(language=language, **options)
    message = compose(payload, token=token, message_id=new_message_id("spid@comune.example"),
                      sender="spid@comune.example", town="Comune di Esempio", deadline=DEADLINE)
    return payload, message


@pytest.mark.parametrize("language", ["it", "en", "de", "fr", "sl", "ar", "zh"])
def test_the_email_speaks_the_citizens_language(language):
    payload, message = _compose(language)
    assert SUBJECT_WORD[language] in message["Subject"]
    assert message["Content-Language"] == language
    plain = message.get_body(("plain",)).get_content()
    rich = message.get_body(("html",)).get_content()
    for body in (plain, rich):
        assert ACTIVATION_CODE[6:] in body, "the second half is there"
        assert ACTIVATION_CODE[:6] not in body, "the printed half never travels by email"
        assert "2026" in body and "30" in body, "the deadline is stated"
        assert TOKEN_FILE_NAME in body
    assert f'lang="{language}"' in rich
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in rich  # Arabic reads right to left, the code never


def test_every_catalogue_is_complete():
    from kiosk.receiver.provision.mail import _catalogue

    languages = available_languages()
    assert {"it", "en", "de", "fr", "sl"} <= set(languages)
    keys = set(_catalogue("it"))
    for language in languages:
        assert set(_catalogue(language)) == keys, language


def test_a_language_without_a_catalogue_falls_back_to_english():
    _, message = _compose("uk")
    assert message["Content-Language"] == "en" and "activation code" in message["Subject"]


def test_the_token_is_attached_and_html_is_escaped():
    _, message = _compose(token="aaa.bbb.ccc")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == TOKEN_FILE_NAME
    assert attachment.get_content_type() == "application/jwt"
    assert attachment.get_content() == b"aaa.bbb.ccc"
    payload = sample_payload()
    payload["citizen"]["given_name"] = "<script>"
    message = compose(payload, token=None, message_id="<x@y>", sender="a@b.example", town="A & B", deadline=DEADLINE)
    rich = message.get_body(("html",)).get_content()
    assert "<script>" not in rich and "&lt;Script&gt;" in rich and "A &amp; B" in rich
    assert not list(message.iter_attachments())


def test_delivered_over_starttls(smtp):
    payload, message = _compose("fr")
    send(message, SmtpSettings(host="127.0.0.1", port=smtp.port, ca_file=str(smtp.cert_path), starttls="require"))
    (received,) = smtp.mailbox.messages
    assert smtp.mailbox.over_tls == [True]
    assert received["Message-ID"] == message["Message-ID"]
    assert received["To"] == payload["contact"]["email"]
    assert ACTIVATION_CODE[6:] in received.get_body(("plain",)).get_content()


def test_an_untrusted_certificate_is_not_used(smtp, tmp_path):
    _, message = _compose()
    with pytest.raises(MailUnavailable):
        send(message, SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5))  # system CAs only
    assert not smtp.mailbox.messages


def test_plain_smtp_only_when_allowed(tmp_path):
    server = SmtpServer(tmp_path, starttls=False).start()
    try:
        _, message = _compose()
        with pytest.raises(MailRefused) as err:
            send(message, SmtpSettings(host="127.0.0.1", port=server.port, starttls="require"))
        assert err.value.code == "starttls_not_offered" and not server.mailbox.messages
        send(message, SmtpSettings(host="127.0.0.1", port=server.port))
        assert server.mailbox.over_tls == [False]
    finally:
        server.stop()


@pytest.mark.parametrize("reply, kind", [("451 4.3.0 try later", MailUnavailable), ("550 5.1.1 no such user", MailRefused)])
def test_smtp_errors_are_classified(smtp, reply, kind):
    smtp.mailbox.reply = reply
    _, message = _compose()
    with pytest.raises(kind) as err:
        send(message, SmtpSettings(host="127.0.0.1", port=smtp.port, ca_file=str(smtp.cert_path)))
    assert err.value.code == f"smtp_{reply[:3]}"


def test_no_server_is_a_transient_failure():
    from scim_fixtures import free_port

    _, message = _compose()
    with pytest.raises(MailUnavailable):
        send(message, SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
