"""The provisioning worker: runs due jobs of the queue, one enrollment at a time, step by step.

Each step is idempotent and its result is committed before the next starts, so a kill at any
instant resumes where it stopped: SCIM provisioning looks the user up before creating; the token
is kept (sealed) once made; the email's Message-ID is stored before the first send, and the job is
marked sent as soon as the SMTP server accepted it. The one window left is between the server's
``250`` and that commit (microseconds): SMTP offers no way to ask a server whether it already has
a message, so a kill exactly there sends the email again, with the same Message-ID (mail clients
collapse duplicates by Message-ID).

Logs carry enrollment ids, steps and error codes only.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.errors import ConfigError, KioskError, SealError, StoreError
from kiosk.receiver.intake import Intake
from kiosk.receiver.keys import database_path
from kiosk.receiver.provision.jobs import JobQueue, ProvisioningJob, Vault, progress_of, stamp
from kiosk.receiver.provision.mail import MailError, SmtpSettings, compose, new_message_id, send
from kiosk.receiver.provision.scim import ProvisioningError, ScimProvisioner, ScimRefused
from kiosk.receiver.provision.token import VALIDITY, RegistrationAuthority, TokenError, make_token
from kiosk.receiver.decisions import ACCEPTED_JOB
from kiosk.receiver.storage import PacketNotFound
from kiosk.sync.coordinator import backoff_seconds

log = logging.getLogger("kiosk.receiver.provision")



class NotAccepted(StoreError, ValueError):
    """Only an accepted enrollment is provisioned."""

    code = "not_accepted"


@dataclass(frozen=True)
class ProvisioningSettings:
    """What the worker needs; ``from_config`` reads the ``[provisioning]`` section."""

    authority: RegistrationAuthority
    smtp: SmtpSettings
    mail_from: str
    town: str = "Comune"
    scim_url: str = ""  # empty: no SCIM provisioning (a town hall that only issues RAO tokens)
    scim_token: str = field(default="", repr=False)
    scim_timeout: float = 10.0
    organization: str = ""
    rejected_retention: timedelta = timedelta(days=30)

    @classmethod
    def from_config(cls, config, *, scim_url: str | None = None, scim_token: str | None = None) -> ProvisioningSettings:
        section = config.provisioning
        missing = [name for name, value in (("ra_key", section.ra_key), ("ra_certificate", section.ra_certificate),
                                            ("issuer_code", section.issuer_code), ("smtp_host", section.smtp_host),
                                            ("mail_from", section.mail_from)) if not value]
        if missing:
            raise ConfigError("provisioning: set " + ", ".join(f"provisioning.{m}" for m in missing))
        authority = RegistrationAuthority.from_files(
            section.ra_key, section.ra_certificate, issuer_code=section.issuer_code,
            operator_reference=section.operator_reference or config.kiosk.name,
        )
        smtp = SmtpSettings(host=section.smtp_host, port=section.smtp_port, starttls=section.smtp_starttls,
                            username=section.smtp_username, password=section.smtp_password,
                            ca_file=str(section.smtp_ca_file or ""))
        return cls(authority=authority, smtp=smtp, mail_from=section.mail_from, town=config.kiosk.name,
                   scim_url=section.scim_url if scim_url is None else scim_url,
                   scim_token=section.scim_token if scim_token is None else scim_token,
                   organization=section.organization or config.kiosk.name,
                   rejected_retention=timedelta(days=section.rejected_retention_days))


class ProvisioningWorker:
    """Bound to a receiver data directory. ``enqueue`` on acceptance; ``run_due`` (or ``serve``) works."""

    def __init__(self, data_dir: str | os.PathLike[str], settings: ProvisioningSettings, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), rng: random.Random | None = None,
                 on_token: Callable[[str, str], None] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.settings = settings
        self.clock, self.rng = clock, rng
        self.on_token = on_token  # the demo saves the token it made; None elsewhere
        self.intake = Intake(self.data_dir)
        self.jobs = JobQueue(database_path(self.data_dir))
        self._vault = Vault(self.intake._private_key.private_bytes_raw())
        self._scim: ScimProvisioner | None = None

    def __enter__(self) -> ProvisioningWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._scim is not None:
            self._scim.close()
        self.jobs.close()
        self.intake.close()

    # -- the queue ---------------------------------------------------------------------------
    def enqueue(self, enrollment_id: str) -> bool:
        """Queue an accepted enrollment (idempotent). A rejected or unknown one is refused."""
        record = self.intake.status(enrollment_id)
        if record.status not in ("accepted", "activated"):
            raise NotAccepted(f"only an accepted enrollment is provisioned (this one is {record.status})")
        return self.jobs.enqueue(enrollment_id, now=self.clock())

    def take_accepted(self) -> int:
        """Queue every acceptance the store recorded (its durable ``accepted`` jobs, written in the
        same transaction as the decision), then mark those jobs done. Safe to repeat after a crash."""
        taken = 0
        for job in self.intake.store.pending_jobs(ACCEPTED_JOB):
            try:
                taken += self.enqueue(job.enrollment_id)
            except (PacketNotFound, NotAccepted):
                pass  # gone, or rejected since: nothing to provision
            self.intake.store.finish_job(job.job_id)
        return taken

    def run_due(self, *, limit: int = 20) -> dict[str, str]:
        """Queue new acceptances, then work every due job once; returns enrollment id -> the stage it
        reached (or an error code). Then tell the IdP about identities the citizen activated."""
        self.take_accepted()
        results = {enrollment_id: self.run(enrollment_id) for enrollment_id in self.jobs.due(now=self.clock(), limit=limit)}
        self.sync_activations(limit=limit)
        return results

    def sync_activations(self, *, limit: int = 20) -> list[str]:
        """Mark ``active`` at the IdP (SCIM replace with ``If-Match``) the users of enrollments whose
        status became ``activated``; returns their enrollment ids. Failures wait for the next round."""
        done = []
        for job in self.jobs.awaiting_activation(limit=limit):
            try:
                if self.intake.status(job.enrollment_id).status != "activated":
                    continue
                self._provisioner().set_active(job.enrollment_id)
            except (ProvisioningError, StoreError) as err:
                log.warning("activation not synced yet", extra={"enrollment_id": job.enrollment_id,
                                                                "error": getattr(err, "code", type(err).__name__)})
                continue
            self.jobs.mark_activated(job.enrollment_id, now=self.clock())
            done.append(job.enrollment_id)
        return done

    def serve(self, stop: threading.Event, *, wake: threading.Event | None = None, interval: float = 5.0) -> None:
        """Run due jobs until ``stop`` is set (a thread of ``kiosk receiver``); ``wake`` starts a round
        at once (set on each acceptance)."""
        wake = wake or threading.Event()
        while not stop.is_set():
            try:
                self.run_due()
                self.purge_rejected()
            except KioskError as err:
                log.error("provisioning round failed: %s", getattr(err, "code", type(err).__name__))
            except Exception as err:  # a bug must not stop provisioning for good: log its class, go on
                log.error("provisioning round crashed: %s", type(err).__name__)
            wake.wait(interval)
            wake.clear()

    def run(self, enrollment_id: str) -> str:
        """Take one job as far as it goes now."""
        job = self.jobs.get(enrollment_id)
        if job is None or job.stage not in ("scim", "token", "mail"):
            return job.stage if job else "unknown"
        try:
            record = self.intake.status(enrollment_id)
        except PacketNotFound:
            self.jobs.park(enrollment_id, stage="failed", error="packet_missing", now=self.clock())
            return "failed"
        if record.status == "rejected":
            self.jobs.park(enrollment_id, stage="cancelled", error="rejected", now=self.clock())
            log.info("provisioning cancelled", extra={"enrollment_id": enrollment_id})
            return "cancelled"
        try:
            payload = self.intake.open(enrollment_id, self.intake.store.packet_bytes(enrollment_id))
            while job.stage in ("scim", "token", "mail"):
                self._step(job, payload)
                job = self.jobs.get(enrollment_id)
            return job.stage
        except ScimRefused as err:
            if err.code != "identity_exists":
                return self._failed(job, err)
            # The IdP already holds an identity for this citizen: tell them to use it.
            self.intake.store.set_status(enrollment_id, "rejected", reasons=["duplicate_identity"])
            self.jobs.park(enrollment_id, stage="cancelled", error="identity_exists", now=self.clock())
            return "cancelled"
        except (ProvisioningError, MailError, TokenError, SealError, StoreError) as err:
            return self._failed(job, err)

    def _step(self, job: ProvisioningJob, payload: dict) -> None:
        enrollment_id, now = job.enrollment_id, self.clock()
        if job.stage == "scim":
            user_id = ""
            if self.settings.scim_url:
                user_id = self._provisioner().provision(payload).user_id
            self.jobs.advance(enrollment_id, from_stage="scim", to_stage="token", now=now,
                              scim_user_id=user_id or None, provisioned_at=stamp(now) if user_id else None)
            log.info("identity provisioned", extra={"enrollment_id": enrollment_id, "scim": bool(user_id)})
        elif job.stage == "token":
            token = make_token(payload, authority=self.settings.authority, now=now)
            self.jobs.advance(enrollment_id, from_stage="token", to_stage="mail", now=now,
                              token_sealed=self._vault.seal(enrollment_id, token.encode("ascii")), token_at=stamp(now))
            if self.on_token:
                self.on_token(enrollment_id, token)
            log.info("RAO token made", extra={"enrollment_id": enrollment_id})
        elif job.stage == "mail":
            message_id = self.jobs.message_id(enrollment_id, proposal=new_message_id(self.settings.mail_from), now=now)
            token = self._vault.open(enrollment_id, job.token_sealed).decode("ascii")
            made = datetime.strptime(job.token_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            message = compose(payload, token=token, message_id=message_id, sender=self.settings.mail_from,
                              town=self.settings.town, deadline=(made + VALIDITY).date(), sent_at=now)
            send(message, self.settings.smtp)
            self.jobs.advance(enrollment_id, from_stage="mail", to_stage="done", now=self.clock(),
                              email_sent_at=stamp(self.clock()))
            log.info("activation email sent", extra={"enrollment_id": enrollment_id})

    def _failed(self, job: ProvisioningJob, err: KioskError) -> str:
        code = getattr(err, "code", None) or type(err).__name__
        current = self.jobs.get(job.enrollment_id) or job
        now = self.clock()
        if getattr(err, "is_transient", isinstance(err, StoreError)):
            delay = backoff_seconds(current.attempts, rng=self.rng)
            self.jobs.retry_later(job.enrollment_id, error=code, next_attempt_at=now + timedelta(seconds=delay), now=now)
            log.warning("provisioning step failed, will retry",
                        extra={"enrollment_id": job.enrollment_id, "stage": current.stage, "error": code})
            return code
        self.jobs.park(job.enrollment_id, stage="failed", error=code, now=now)
        log.error("provisioning step failed for good",
                  extra={"enrollment_id": job.enrollment_id, "stage": current.stage, "error": code})
        return "failed"

    def _provisioner(self) -> ScimProvisioner:
        if self._scim is None:
            self._scim = ScimProvisioner(self.settings.scim_url, token=self.settings.scim_token,
                                         timeout=self.settings.scim_timeout, organization=self.settings.organization)
        return self._scim

    # -- what the citizen (through the kiosk) and the operator see ------------------------------
    def progress(self, enrollment_id: str) -> dict:
        """``{"status", "stage", "reasons", "provisioned", "email_sent"}``: ``stage`` is the furthest
        of ``PROGRESS`` reached. Non-personal."""
        record = self.intake.status(enrollment_id)
        return progress_of(record.status, record.reasons, self.jobs.get(enrollment_id))

    def token(self, enrollment_id: str) -> str | None:
        """The RAO token made for this enrollment (personal data: for the demo and the operator)."""
        job = self.jobs.get(enrollment_id)
        if job is None or job.token_sealed is None:
            return None
        return self._vault.open(enrollment_id, job.token_sealed).decode("ascii")

    def purge_rejected(self) -> int:
        """Delete the sealed data of enrollments rejected longer ago than the retention."""
        cutoff = self.clock() - self.settings.rejected_retention
        return purge_rejected(self.intake.store, cutoff=cutoff)


def purge_rejected(store, *, cutoff: datetime) -> int:
    count = store.purge_rejected(before=stamp(cutoff))
    if count:
        log.info("sealed data of rejected enrollments deleted", extra={"count": count})
    return count
