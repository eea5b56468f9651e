"""Run the provisioning worker in its own process (so a test can kill -9 it): ``python
provision_runner.py SETTINGS.json``. Works due jobs until none is left in a working step."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta

from kiosk.receiver.provision.mail import SmtpSettings
from kiosk.receiver.provision.token import RegistrationAuthority
from kiosk.receiver.provision.worker import ProvisioningSettings, ProvisioningWorker


def settings_from(spec: dict) -> ProvisioningSettings:
    authority = RegistrationAuthority.from_files(spec["ra_key"], spec["ra_certificate"], issuer_code="c_h501",
                                                 operator_reference="sportello-test")
    return ProvisioningSettings(
        authority=authority, mail_from="spid@comune.example", town="Comune di Esempio",
        smtp=SmtpSettings(host="127.0.0.1", port=spec["smtp_port"], ca_file=spec["smtp_ca"], timeout=10),
        scim_url=spec.get("scim_url", ""), scim_token=spec.get("scim_token", ""), scim_timeout=5,
    )


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    skew = timedelta()

    def clock():  # past backoff: a restarted receiver in a test retries at once
        return datetime.now(UTC) + skew

    with ProvisioningWorker(spec["data_dir"], settings_from(spec), clock=clock) as worker:
        print("ready", flush=True)
        for _ in range(200):
            results = worker.run_due()
            print(json.dumps(results), flush=True)
            if not worker.jobs.due(now=clock() + timedelta(days=1)):
                return
            skew += timedelta(hours=7)  # jump over the backoff instead of sleeping through it
            time.sleep(0.05)


if __name__ == "__main__":
    main()
