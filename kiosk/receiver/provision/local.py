"""Local stand-ins for an identity provider and a mail server, for the demo: a real ``scim2-server``
(its own process, serving our User schema, stopped by pid) and a real ``aiosmtpd`` server that
keeps every message it accepted. Both listen on 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from kiosk.errors import KioskError
from kiosk.receiver.provision.scim import server_description


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalScimServer:
    """``scim2-server --schema ... --resource-type ... --bearer-token ...`` on 127.0.0.1."""

    def __init__(self, directory: str | os.PathLike[str], *, token: str | None = None) -> None:
        self.directory = Path(directory)
        self.token = token or secrets.token_urlsafe(24)
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def process(self) -> subprocess.Popen | None:
        return self._process

    def __enter__(self) -> LocalScimServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, *, timeout: float = 30.0, attempts: int = 3) -> LocalScimServer:
        """Start the server and wait until it answers. The port was free when chosen, but another
        program may take it before the server binds it: a server that exits at once is started again
        on a new port (``attempts`` times in all); the reason is in ``scim2-server.log``."""
        self._log = open(self.directory / "scim2-server.log", "ab")
        for attempt in range(attempts):
            if attempt:
                self.port = free_port()
            if self._run_once(timeout):
                return self
            if self._process is not None and self._process.poll() is None:
                break  # alive but silent past the timeout: a new port would not help
            self._process = None
        self.stop()
        raise KioskError("scim2-server did not start (see scim2-server.log)")

    def _run_once(self, timeout: float) -> bool:
        schemas, types = server_description(self.directory)
        executable = Path(sys.executable).with_name("scim2-server")
        command = [str(executable) if executable.exists() else "scim2-server", "--hostname", "127.0.0.1",
                   "--port", str(self.port), "--schema", str(schemas), "--resource-type", str(types),
                   "--bearer-token", self.token]
        try:
            self._process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        except OSError as err:
            self._log.close()
            raise KioskError(f"cannot start scim2-server: {type(err).__name__}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if httpx.get(f"{self.url}/ServiceProviderConfig", timeout=1,
                             headers={"Authorization": f"Bearer {self.token}"}).status_code == 200:
                    return True
            except httpx.HTTPError:
                time.sleep(0.05)
        return False

    def users(self) -> list[dict]:
        response = httpx.get(f"{self.url}/Users", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        response.raise_for_status()
        return response.json().get("Resources", [])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if getattr(self, "_log", None):
            self._log.close()


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(bytes(envelope.content))
        return "250 Message accepted for delivery"


class LocalMailServer:
    """An ``aiosmtpd`` SMTP server on 127.0.0.1 keeping what it accepted in ``messages`` (raw bytes)."""

    def __init__(self, *, tls_context=None) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
        self._keeper = _Keeper()
        self.port = free_port()
        options = {"tls_context": tls_context} if tls_context is not None else {}  # STARTTLS offered
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=self.port, **options)

    @property
    def messages(self) -> list[bytes]:
        return list(self._keeper.messages)

    def __enter__(self) -> LocalMailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


def _self_signed(directory: Path, common_name: str, *, is_ca: bool, issuer=None, ip: str | None = None):
    """(key, certificate) written as DIR/<name>.key and .pem; issued by ``issuer`` (key, cert) or itself."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer_key, signer_name = (issuer[0], issuer[1].subject) if issuer else (key, name)
    now = datetime.now(UTC) - timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(signer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    certificate = builder.sign(signer_key, hashes.SHA256())
    stem = common_name.lower().replace(" ", "-")
    (directory / f"{stem}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / f"{stem}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.chmod(directory / f"{stem}.key", 0o600)
    return key, certificate, directory / f"{stem}.key", directory / f"{stem}.pem"


def demo_authority(directory: str | os.PathLike[str]):
    """A throw-away CA and a registration authority certificate it issued (the demo's RAO).

    Returns ``(ca_certificate, ra_key_path, ra_certificate_path)``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert, _, _ = _self_signed(directory, "Demo RAO CA", is_ca=True)
    _, _, key_path, cert_path = _self_signed(directory, "Demo RAO", is_ca=False, issuer=(ca_key, ca_cert))
    return ca_cert, key_path, cert_path


def confirm_emailed_links(receiver_dir: Path) -> int:
    """The demo citizen opens the verification links the receiver emailed (its mail sink,
    ``DATA/outbox``), as a citizen does at home when the kiosk could not verify a contact; how many.

    An acceptance is refused while a contact is unconfirmed (``kiosk.receiver.decisions``).
    """
    import re

    from kiosk.receiver.keys import database_path
    from kiosk.receiver.messages import FileMessenger
    from kiosk.receiver.otp import Verifier

    messenger = FileMessenger(receiver_dir)
    tokens = [m.group(1) for message in messenger.messages()
              if (m := re.search(r"/v1/verify/([A-Za-z0-9_-]+)", message.get("body", "")))]
    verifier = Verifier(database_path(receiver_dir), messenger)
    try:
        return sum(verifier.confirm_link(token) is not None for token in tokens)
    finally:
        verifier.close()


def follow_up_demo(out: Path, receiver_dir: Path, enrollment_id: str, *, town: str) -> dict:
    """What the demo shows after delivery: the scripted operator accepts; the receiver provisions the
    user to a real scim2-server, makes the RAO token and emails it to a real aiosmtpd server over
    STARTTLS. Writes ``OUT/token.jwt`` and ``OUT/mail/NN.eml``; returns the summary's part."""
    import ssl

    from kiosk.receiver.decisions import Decisions
    from kiosk.receiver.keys import database_path
    from kiosk.receiver.provision.mail import SmtpSettings
    from kiosk.receiver.provision.token import RegistrationAuthority, verify_token
    from kiosk.receiver.provision.worker import ProvisioningSettings, ProvisioningWorker
    from kiosk.receiver.storage import PacketStore

    ra_ca, ra_key, ra_cert = demo_authority(receiver_dir / "ra")
    tls_dir = receiver_dir / "smtp-tls"
    tls_dir.mkdir(parents=True, exist_ok=True)
    _, _, smtp_key, smtp_cert = _self_signed(tls_dir, "smtp", is_ca=True, ip="127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(smtp_cert, smtp_key)
    (receiver_dir / "scim").mkdir(parents=True, exist_ok=True)
    with LocalScimServer(receiver_dir / "scim") as scim, LocalMailServer(tls_context=context) as mail:
        confirm_emailed_links(receiver_dir)
        with PacketStore(database_path(receiver_dir)) as store:
            Decisions(store).decide(enrollment_id, "accept")  # what `kiosk receiver decide ID accept` does
        settings = ProvisioningSettings(
            authority=RegistrationAuthority.from_files(ra_key, ra_cert, issuer_code="c_demo",
                                                       operator_reference="demo-operator"),
            smtp=SmtpSettings(host="127.0.0.1", port=mail.port, starttls="require", ca_file=str(smtp_cert)),
            mail_from="spid@comune.example", town=town, scim_url=scim.url, scim_token=scim.token,
            organization=town,
        )
        with ProvisioningWorker(receiver_dir, settings) as worker:
            outcome = worker.run_due().get(enrollment_id, "not queued")
            progress = worker.progress(enrollment_id)
            job = worker.jobs.get(enrollment_id)
            token = worker.token(enrollment_id)
        users = [u for u in scim.users() if u.get("externalId") == enrollment_id]
        messages = mail.messages
    mail_dir = out / "mail"
    mail_dir.mkdir(exist_ok=True)
    for old in mail_dir.glob("*.eml"):
        old.unlink()
    files = []
    for number, raw in enumerate(messages, 1):
        (mail_dir / f"{number:02d}.eml").write_bytes(raw)
        files.append(f"mail/{number:02d}.eml")
    token_summary: dict | bool = False
    if token:
        (out / "token.jwt").write_text(token + "\n", encoding="ascii")
        claims = verify_token(token, trusted_issuers=(ra_ca,))
        token_summary = {"file": "token.jwt", "signature_valid": True, "iss": claims["iss"], "jti": claims["jti"],
                         "valid_days": (claims["exp"] - claims["iat"]) // 86400}
    return {
        "accepted": progress["status"] == "accepted",
        "provisioning": outcome,
        "stage": progress["stage"],
        "provisioned": {"scim_user_id": job.scim_user_id, "users_for_enrollment": len(users)}
        if job and job.scim_user_id else False,
        "token": token_summary,
        "email_sent": progress["email_sent"],
        "mail": files,
    }
