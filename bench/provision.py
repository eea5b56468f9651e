"""Benchmark: what follows an acceptance, end to end on loopback (SCIM user, RAO token, email).

Not a test: it prints figures and ends with one JSON line. N accepted enrollments are provisioned
to a real scim2-server and emailed through a real aiosmtpd server by one worker round (one SCIM
client, its connection kept alive). The baseline, measured in the same run on another N, is a
fresh worker per enrollment (new database connections, new SCIM client: what a cron job running
``kiosk receiver jobs --run`` per acceptance would pay). Also: RAO tokens made per second.
Run: .venv/bin/python bench/provision.py [--n N]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk import sealing  # noqa: E402
from kiosk.domain.citizen import Citizen, Sex  # noqa: E402
from kiosk.domain.sample import sample_enrollment  # noqa: E402
from kiosk.receiver.decisions import Decisions  # noqa: E402
from kiosk.receiver.intake import Intake  # noqa: E402
from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk  # noqa: E402
from kiosk.receiver.provision.local import LocalMailServer, LocalScimServer, demo_authority  # noqa: E402
from kiosk.receiver.provision.mail import SmtpSettings  # noqa: E402
from kiosk.receiver.provision.token import RegistrationAuthority, make_token  # noqa: E402
from kiosk.receiver.provision.worker import ProvisioningSettings, ProvisioningWorker  # noqa: E402


def citizen() -> Citizen:
    from codicefiscale import codicefiscale

    surname = "".join(secrets.choice("BCDFGLMNPRSTVZ") + secrets.choice("AEIOU") for _ in range(4))
    cf = codicefiscale.encode(lastname=surname, firstname="Giulia", gender="F", birthdate="12/03/1985",
                              birthplace="H501")
    return Citizen(codice_fiscale=cf, surname=surname, given_name="GIULIA", birth_date=date(1985, 3, 12),
                   sex=Sex.FEMALE, birth_place_code="H501", card_type="TS-CNS", card_expiry=date(2030, 1, 1))


def accepted_enrollments(data: Path, key, n: int) -> list[str]:
    ids = []
    with Intake(data) as intake:
        for _ in range(n):
            enrollment = sample_enrollment(citizen=citizen())
            packet = sealing.seal(json.dumps(enrollment.to_payload()).encode(),
                                  recipient=sealing.load_recipient(public_key_path(data)), signing_key=key,
                                  kiosk_id="demo-kiosk-01", enrollment_id=enrollment.enrollment_id,
                                  created_at=datetime.now(UTC))
            intake.receive(enrollment.enrollment_id, packet)
            Decisions(intake.store).decide(enrollment.enrollment_id, "accept")
            ids.append(enrollment.enrollment_id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="enrollments per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sportello-bench-provision-") as tmp:
        tmp = Path(tmp)
        data = tmp / "receiver"
        init_data_dir(data)
        key = sealing.load_or_create_signing_key(tmp / "kiosk.key")
        trust_kiosk(data, "demo-kiosk-01", sealing.public_key_pem(key))
        ra_ca, ra_key, ra_cert = demo_authority(tmp / "ra")
        authority = RegistrationAuthority.from_files(ra_key, ra_cert, issuer_code="c_bench", operator_reference="bench")
        (tmp / "scim").mkdir()
        with LocalScimServer(tmp / "scim") as scim, LocalMailServer() as mail:
            settings = ProvisioningSettings(authority=authority, mail_from="spid@comune.example", town="Comune",
                                            smtp=SmtpSettings(host="127.0.0.1", port=mail.port),
                                            scim_url=scim.url, scim_token=scim.token)
            # our worker: one round over N accepted enrollments
            ids = accepted_enrollments(data, key, args.n)
            started = time.perf_counter()
            with ProvisioningWorker(data, settings) as worker:
                outcomes = worker.run_due(limit=args.n)
            pipeline_s = time.perf_counter() - started
            assert sorted(outcomes) == sorted(ids) and set(outcomes.values()) == {"done"}, outcomes
            # baseline: a fresh worker per enrollment
            ids = accepted_enrollments(data, key, args.n)
            started = time.perf_counter()
            for _ in ids:
                with ProvisioningWorker(data, settings) as worker:
                    worker.run_due(limit=1)
            fresh_s = time.perf_counter() - started
            users, messages = len(scim.users()), len(mail.messages)
        payload = sample_enrollment(citizen=citizen()).to_payload()
        started = time.perf_counter()
        for _ in range(args.n):
            make_token(payload, authority=authority)
        token_s = time.perf_counter() - started
    figures = {
        "bench": "provision",
        "n": args.n,
        "pipeline_per_s": round(args.n / pipeline_s, 1),
        "ms_per_enrollment": round(1000 * pipeline_s / args.n, 1),
        "fresh_worker_per_s": round(args.n / fresh_s, 1),
        "speedup_vs_fresh_worker": round(fresh_s / pipeline_s, 2),
        "tokens_per_s": round(args.n / token_s, 1),
        "scim_users": users,
        "emails": messages,
        "exactly_once": users == 2 * args.n and messages == 2 * args.n,
    }
    print(f"{args.n} accepted enrollments: {figures['ms_per_enrollment']} ms each through SCIM, token and email "
          f"({figures['pipeline_per_s']}/s); a fresh worker per enrollment: {figures['fresh_worker_per_s']}/s "
          f"({figures['speedup_vs_fresh_worker']}x slower); RAO tokens: {figures['tokens_per_s']}/s; "
          f"{users} SCIM users and {messages} emails for {2 * args.n} acceptances")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
