"""The ``kiosk`` command: a thin CLI over the library. Every failure is one clear line, no traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kiosk import __version__
from kiosk.errors import KioskError

EXIT_ERROR = 2


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.environ.get(
        "SDL_VIDEODRIVER", ""
    ) in ("kmsdrm", "fbcon")


def _config(args):
    from kiosk.config import load_config

    return load_config(args.config or os.environ.get("SPORTELLO_CONFIG") or None)


def cmd_demo(args) -> int:
    from kiosk.demo import run_demo

    headless = args.headless or not _has_display()
    code = run_demo(_config(args), out=Path(args.out), headless=headless)
    if headless:
        summary = json.loads((Path(args.out) / "summary.json").read_text())
        state = "ok" if summary["ok"] else "FAILED"
        print(f"demo {state}: enrollment {summary['enrollment_id']} sealed={summary['sealed']} "
              f"committed={summary['committed']} printed={summary['printed']} delivered={summary['delivered']} "
              f"verdict={summary['receiver'].get('status')} provisioned={bool(summary.get('provisioned'))} "
              f"email_sent={summary.get('email_sent', False)}; screens, receipt, mail, token and summary.json in "
              f"{args.out}")
    return code


def cmd_run(args) -> int:
    from kiosk.app import KioskApp, build_shell
    from kiosk.appliance.runner import run_supervised
    from kiosk.devices import Hardware
    from kiosk.logs import setup_logging

    config = _config(args)
    if config.receiver.public_key is None:
        raise KioskError("config: receiver.public_key is required to run the kiosk (the demo makes its own)")
    from kiosk.sync.service import start_sync, writer_lock

    setup_logging(log_dir=config.kiosk.data_dir / "logs", to_stderr=True)
    with writer_lock(config.db_path, wait=True), Hardware.from_config(config) as hardware:
        shell = build_shell(config, hardware, receiver_public_key=config.receiver.public_key)
        pending = shell.store.pending_print()
        if pending:
            print(f"{len(pending)} receipt(s) committed but never printed: reprint with 'kiosk receipts reprint'",
                  file=sys.stderr)
        sync = start_sync(config, shell)  # in-process: see kiosk.sync.coordinator for why
        app = KioskApp.create(shell, config, headless=False)
        try:
            run_supervised(app, config=config, sync=sync)
        finally:
            app.close()
            if sync is not None:
                sync.stop()
                sync.coordinator.close()
    return 0


def cmd_receiver(args) -> int:
    from kiosk.receiver import inspect as receiver_inspect
    from kiosk.receiver.keys import init_data_dir, operator_token, trust_kiosk

    data = Path(args.data)
    if args.receiver_command == "show":
        payload = receiver_inspect.show(data, args.enrollment_id)
        standing = receiver_inspect.standing(data, args.enrollment_id)
        if args.json:
            print(json.dumps({**payload, "receiver": standing}, indent=2, ensure_ascii=False))
        else:
            claims = payload.get("verified_claims", {}).get("verification", {})
            print(f"enrollment {args.enrollment_id}: decrypted; trust framework {claims.get('trust_framework')}")
            print(f"status {standing['status']}; contacts: {receiver_inspect.describe_contacts(standing['contacts'])}")
        return 0
    if args.receiver_command == "import":
        from kiosk.appliance.usb_export import import_packets
        from kiosk.receiver.intake import Intake

        ack_key = getattr(args, "tls_key", None)
        with Intake(data) as intake:
            outcome = import_packets(intake, Path(args.directory))
            acknowledged = None
            if ack_key:
                from kiosk.appliance.usb_export import acknowledge_import

                acknowledged = acknowledge_import(intake, Path(args.directory), key_pem=Path(ack_key).read_bytes())
        accepted = sum(1 for v in outcome.values() if v == "accepted")
        for enrollment_id, result in outcome.items():
            print(f"{enrollment_id}  {result}")
        print(f"imported {accepted} of {len(outcome)} packet(s)")
        if acknowledged is None:
            print("no acknowledgement written (--tls-key): the kiosk keeps these packets")
        else:
            print(f"acknowledgement for {len(acknowledged)} packet(s) written to {Path(args.directory) / 'ack.json'}: "
                  "take the stick back to the kiosk")
        return 0 if accepted == len(outcome) else 1
    if args.receiver_command == "trust":
        trust_kiosk(data, args.kiosk_id, Path(args.public_key).read_bytes())
        print(f"kiosk {args.kiosk_id} trusted")
        return 0
    if args.receiver_command == "decide":
        from kiosk.receiver.decisions import Decisions
        from kiosk.receiver.keys import database_path
        from kiosk.receiver.storage import ContactUnverified, PacketStore

        if not database_path(data).exists():
            raise KioskError(f"no receiver database in {data}")
        with PacketStore(database_path(data)) as store:
            try:
                record = Decisions(store).decide(args.enrollment_id, args.decision, reasons=args.reason or [])
            except ContactUnverified as err:
                raise KioskError(f"not accepted: {err}; wait for the citizen to confirm, or reject with "
                                 "--reason contact_unverified") from None
        reasons = f" ({', '.join(record.reasons)})" if record.reasons else ""
        print(f"enrollment {record.enrollment_id} (reference {record.reference}): {record.status}{reasons}")
        return 0
    if args.receiver_command == "jobs":
        return _receiver_jobs(args, data)
    from kiosk.receiver.otp import OtpLimits
    from kiosk.receiver.server import ServerTls, serve_forever

    provisioning = _provisioning(args)
    intake = _config(args).intake
    workers = args.workers if args.workers is not None else intake.workers  # the flag wins over the config
    if workers is None:
        workers = os.cpu_count() or 1
    otp_limits = OtpLimits(cooldown_s=intake.otp_cooldown_s, max_sends=intake.otp_max_sends,
                           window_s=intake.otp_window_s, max_tries=intake.otp_max_tries)
    key_id = init_data_dir(data)
    tls_files = (args.tls_cert, args.tls_key, args.client_ca)
    if any(tls_files) and not all(tls_files):
        raise KioskError("TLS needs all of --tls-cert, --tls-key and --client-ca")
    tls = ServerTls(Path(args.tls_cert), Path(args.tls_key), Path(args.client_ca)) if all(tls_files) else None
    scheme = "https (client certificates required)" if tls else "http (no TLS: for local experiments only)"
    print(f"receiver on {args.host}:{args.port} over {scheme} (key id {key_id}, data {data}; operator token in "
          f"{data / 'keys' / 'operator.token'}; {workers} intake workers; one-time codes: at most "
          f"{otp_limits.max_sends} per {otp_limits.window_s:g} s, {otp_limits.cooldown_s:g} s apart)", flush=True)
    if provisioning is None:
        print("provisioning off: set [provisioning] in the config to provision, make RAO tokens and send the "
              "activation emails", flush=True)
    else:
        scim = provisioning.scim_url or "off"
        print(f"provisioning on: SCIM {scim}, email via {provisioning.smtp.host}:{provisioning.smtp.port}", flush=True)
    serve_forever(data, host=args.host, port=args.port, tls=tls, operator_token=operator_token(data),
                  provisioning=provisioning, public_url=args.public_url or "", workers=workers, otp_limits=otp_limits)
    return 0


def _provisioning(args):
    """The receiver's provisioning settings from the config (and --scim-url/--scim-token), or None if
    the config has no [provisioning] to speak of."""
    from kiosk.receiver.provision.worker import ProvisioningSettings

    config = _config(args)
    section = config.provisioning
    if not (section.ra_key or section.smtp_host or section.mail_from or args.scim_url):
        return None
    return ProvisioningSettings.from_config(config, scim_url=args.scim_url, scim_token=args.scim_token)


def _receiver_jobs(args, data: Path) -> int:
    from datetime import UTC, datetime

    from kiosk.receiver.keys import database_path
    from kiosk.receiver.provision.jobs import JobQueue

    if not database_path(data).exists():
        raise KioskError(f"no receiver database in {data}")
    if args.run:
        from kiosk.receiver.provision.worker import ProvisioningWorker

        settings = _provisioning(args)
        if settings is None:
            raise KioskError("provisioning is not configured: set [provisioning] in the config")
        with ProvisioningWorker(data, settings) as worker:
            for enrollment_id, outcome in worker.run_due().items():
                print(f"{enrollment_id}: {outcome}")
            worker.purge_rejected()
    queue = JobQueue(database_path(data))
    try:
        if args.retry:
            if not queue.retry(args.retry, now=datetime.now(UTC)):
                raise KioskError(f"no failed provisioning job for {args.retry}")
            print(f"{args.retry}: queued again")
        jobs = queue.all()
    finally:
        queue.close()
    fields = ("enrollment_id", "stage", "attempts", "next_attempt_at", "last_error", "failed_stage", "scim_user_id",
              "message_id", "accepted_at", "provisioned_at", "token_at", "email_sent_at")
    if args.json:
        print(json.dumps([{f: getattr(j, f) for f in fields} for j in jobs], indent=2))
        return 0
    if not jobs:
        print("no provisioning jobs")
    for j in jobs:
        error = f"  {j.last_error}" if j.last_error else ""
        print(f"{j.enrollment_id}  {j.stage:<9}  attempts={j.attempts}  next={j.next_attempt_at}"
              f"  scim={j.scim_user_id or '-'}  email={j.email_sent_at or '-'}{error}")
    return 0


def cmd_queue(args) -> int:
    from kiosk.store import Store
    from kiosk.sync.service import FreezeRules

    config = _config(args)
    with Store.open(config.db_path) as store:
        entries = store.entries()
        freeze = FreezeRules.from_config(config.sync).describe(store)
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], indent=2))  # the freeze state: the text output
        return 0
    if not entries:
        print("outbox empty")
    for e in entries:
        print(f"{e.enrollment_id}  {e.status:<9}  attempts={e.attempts}  printed={'yes' if e.printed_at else 'NO'}  "
              f"{e.last_error or ''}")
    state = f"FROZEN ({freeze['frozen']}): the kiosk takes no new enrollments" if freeze["frozen"] else "taking enrollments"
    print(f"backlog {freeze['backlog']} undelivered (limit {freeze['max_backlog']}), oldest "
          f"{freeze['oldest_undelivered'] or '-'} (limit {freeze['max_age_days']:g} days): {state}")
    return 0


def cmd_sync(args) -> int:
    from kiosk.store import Store
    from kiosk.sync.coordinator import SyncCoordinator
    from kiosk.sync.service import StandbyRounds, writer_lock
    from kiosk.sync.transport import Transport

    config = _config(args)
    url = args.url or config.receiver.url
    if not url:
        raise KioskError("no receiver URL: set receiver.url in the config or pass --url")
    transport = Transport.from_config(config.receiver, base_url=url)
    if args.forever:
        from kiosk.appliance.syncloop import sync_forever
        from kiosk.logs import setup_logging

        setup_logging()
        with Store.open(config.db_path) as store:
            coordinator = SyncCoordinator(store, transport=transport)
            try:  # each round only while the kiosk is not running (it delivers in process)
                sync_forever(StandbyRounds(coordinator, writer_lock(config.db_path)), interval_s=args.interval)
            finally:
                coordinator.close()
        return 0
    with writer_lock(config.db_path), Store.open(config.db_path) as store:
        coordinator = SyncCoordinator(store, transport=transport)
        try:
            report = coordinator.deliver_due()
            changed = coordinator.reconcile(poll_s=0) if report.is_reachable else 0
        finally:
            coordinator.close()
    print(f"delivered {len(report.delivered)}, failed {len(report.failed)}, outcomes updated {changed}")
    return 0 if not report.failed else 1


def cmd_doctor(args) -> int:
    from kiosk.appliance.doctor import format_plain, run_doctor

    report = run_doctor(_config(args), timeout=args.timeout)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_plain(report))
    return 0 if report.is_healthy else 1


def cmd_technician(args) -> int:
    from kiosk.appliance.technician import TechnicianLogin, hash_pin

    if args.technician_command == "unlock":
        login = TechnicianLogin.from_config(_config(args))
        login.state_file.unlink(missing_ok=True)
        print("technician login unlocked (wrong-PIN count reset)")
        return 0
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        import getpass

        pin = getpass.getpass("technician PIN (6-12 digits): ")
        if getpass.getpass("again: ") != pin:
            raise KioskError("the two PINs differ; nothing changed")
    print(f'technician_pin_hash = "{hash_pin(pin)}"')
    print("# put this line in the [service] section of /etc/sportello/kiosk.toml", file=sys.stderr)
    return 0


def cmd_housekeeping(args) -> int:
    from kiosk.appliance.housekeeping import run_housekeeping
    from kiosk.logs import setup_logging

    setup_logging()
    report = run_housekeeping(_config(args))
    print(f"housekeeping: pruned {report.pruned} settled row(s), trimmed {report.log_trimmed_bytes} log bytes, "
          f"database {'ok' if report.is_healthy else 'DAMAGED: ' + '; '.join(report.integrity_problems)}, "
          f"{report.free_bytes // (1024 * 1024)} MiB free")
    return 0 if report.is_healthy else 1


def cmd_receipts(args) -> int:
    from kiosk.store import Store

    config = _config(args)
    with Store.open(config.db_path) as store:
        pending = store.pending_print()
        if args.receipts_command == "pending":
            for receipt in pending:
                print(f"{receipt.enrollment_id}  reference {receipt.reference}  language {receipt.language}  "
                      "receipt not printed")
            if not pending:
                print("every committed enrollment has its receipt")
            return 0
    from kiosk.app import build_shell
    from kiosk.devices import Hardware

    if config.receiver.public_key is None:
        raise KioskError("config: receiver.public_key is required")
    with Hardware.from_config(config) as hardware:
        shell = build_shell(config, hardware, receiver_public_key=config.receiver.public_key)
        printed = shell.reprint_pending()
    print(f"reprinted {len(printed)} of {len(pending)} receipt(s)")
    return 0 if len(printed) == len(pending) else 1


def cmd_card_read(args) -> int:
    from kiosk.card_report import format_report, read_inserted_card

    report = read_inserted_card(_config(args), wait_s=args.wait, can=args.can)
    print(json.dumps(report, ensure_ascii=False) if args.json else format_report(report))
    return 0


def cmd_capture_analyse(args) -> int:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from kiosk.capture.analyse import analyse, report

    try:
        with Image.open(args.image) as opened:
            image = np.asarray(opened.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise KioskError(f"cannot read the image {args.image}: {type(exc).__name__}") from None
    result = analyse(image)
    print(json.dumps(result.as_dict(), ensure_ascii=False) if args.json else report(result))
    return 0


def cmd_printer_test_page(args) -> int:
    from datetime import datetime

    from hardware import registry
    from hardware.printer.render import render
    from kiosk.test_page import build_test_page

    config = _config(args)
    backend = config.hardware.printer
    with registry.create("printer", backend, **config.printer.options(backend)) as printer:
        data = build_test_page(profile=printer.profile, columns=printer.columns, kiosk_name=config.kiosk.name,
                               printed_at=datetime.now())
        printer.print_bytes(data)
        width_px = printer.width_px
    print(f"test page sent to the {backend} printer ({config.printer.profile}, {printer.columns} columns)")
    if backend == "sim":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        render(data, width_px=width_px).save(out)
        print(f"rendered test page: {out}")
    return 0


def cmd_config_check(args) -> int:
    config = _config(args)
    print(f"config ok: kiosk {config.kiosk.id}, hardware {config.hardware.model_dump()}")
    return 0


def _rejection_reasons() -> list[str]:
    from kiosk.domain.outcome import REJECTION_REASONS

    return list(REJECTION_REASONS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Sportello: the SPID enrollment kiosk. Citizens enroll at the touchscreen; technicians "
        "service the kiosk from these commands.",
    )
    parser.add_argument("--version", action="version", version=f"sportello {__version__}")
    parser.add_argument("--config", metavar="FILE", help="TOML configuration (default: $SPORTELLO_CONFIG, "
                        "else the embedded default: simulated hardware, local receiver, SQLite under ./var)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run a whole enrollment end to end on simulated hardware",
                          description="Run the kiosk on simulated hardware with a local reference receiver. With a "
                          "display, a window to click through; headless, a scripted sample citizen walks every "
                          "screen and the demo writes screens/NN-<screen>.png, receipt.bin, receipt.png and "
                          "summary.json to --out. Exits 0 only if the enrollment was sealed, committed, printed, "
                          "delivered and verified by the receiver.")
    demo.add_argument("--headless", action="store_true", help="no window: the scripted citizen (default without a display)")
    demo.add_argument("--out", default="var/demo", metavar="DIR", help="where to write the results (default: var/demo)")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run the kiosk on its configured hardware (full screen)",
                         description="Run the kiosk UI with the configured devices, store and receiver key.")
    run.set_defaults(func=cmd_run)

    receiver = sub.add_parser("receiver", help="run or inspect the reference receiver",
                              description="Without a subcommand: serve the reference receiver (the API in "
                              "kiosk/receiver/openapi.json, also served at /openapi.json) with its keys and database "
                              "in --data. With --tls-cert/--tls-key/--client-ca it speaks HTTPS and requires kiosk "
                              "client certificates signed by that CA. The operator API's bearer token is created in "
                              "DATA/keys/operator.token. With [provisioning] in the config, each accepted enrollment "
                              "is provisioned to the IdP over SCIM 2.0 (--scim-url/--scim-token override the config), "
                              "gets its AgID RAO token and the citizen's activation email, from a durable queue "
                              "(kiosk receiver jobs).")
    receiver.add_argument("--data", default="var/receiver", metavar="DIR", help="receiver data directory")
    receiver.add_argument("--port", type=int, default=8470, metavar="N", help="TCP port (default 8470)")
    receiver.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    receiver.add_argument("--tls-cert", metavar="PEM", help="the receiver's TLS certificate (the kiosks pin it)")
    receiver.add_argument("--tls-key", metavar="PEM", help="its private key")
    receiver.add_argument("--client-ca", metavar="PEM", help="CA whose client certificates (the kiosks') are accepted")
    receiver.add_argument("--scim-url", metavar="URL",
                          help="the IdP's SCIM 2.0 base URL (default: provisioning.scim_url from the config)")
    receiver.add_argument("--scim-token", metavar="TOKEN",
                          help="its bearer token (default: provisioning.scim_token from the config)")
    receiver.add_argument("--public-url", metavar="URL", help="where citizens reach the emailed verification links "
                          "(default: this server's own URL)")
    receiver.add_argument("--workers", type=int, metavar="N",
                          help="processes that verify and decrypt packets, so that concurrent deliveries use every "
                               "core (default: intake.workers from the config, else one per CPU; 0: on the request "
                               "threads)")
    receiver.set_defaults(func=cmd_receiver, receiver_command=None)
    rsub = receiver.add_subparsers(dest="receiver_command", metavar="SUBCOMMAND")
    show = rsub.add_parser("show", help="decrypt and print one received enrollment",
                           description="Decrypt one stored packet and print its payload, evidence record included.")
    show.add_argument("enrollment_id")
    show.add_argument("--json", action="store_true", help="print the whole payload as JSON")
    show.add_argument("--data", default=argparse.SUPPRESS, metavar="DIR", help="receiver data directory")
    rimport = rsub.add_parser("import", help="receive the packets a kiosk exported to a USB stick",
                              description="Verify and store every sealed packet of a kiosk's USB export directory "
                              "(sportello-<kiosk>-<time>/ with its manifest.json), as if the kiosk had sent them. With --tls-key it "
                              "writes a signed acknowledgement (ack.json) back into DIR; the kiosk's service mode "
                              "verifies it against its pinned receiver certificate and purges those packets.")
    rimport.add_argument("directory", metavar="DIR")
    rimport.add_argument("--tls-key", default=argparse.SUPPRESS, metavar="PEM",
                         help="the receiver's TLS private key (the certificate kiosks pin): signs DIR/ack.json, the "
                         "acknowledgement the kiosk reads from the stick to purge what the receiver now holds")
    rimport.add_argument("--data", default=argparse.SUPPRESS, metavar="DIR", help="receiver data directory")
    trust = rsub.add_parser("trust", help="trust a kiosk's signing key",
                            description="Add a kiosk's Ed25519 public key (PEM) to the trusted kiosks.")
    trust.add_argument("kiosk_id")
    trust.add_argument("public_key", metavar="PEM_FILE")
    trust.add_argument("--data", default=argparse.SUPPRESS, metavar="DIR", help="receiver data directory")
    decide = rsub.add_parser("decide", help="accept or reject a received enrollment",
                             description="Record an operator's decision. Rejections need one or more --reason codes "
                             "the citizen can act on: " + ", ".join(_rejection_reasons()) + ". Accepting queues "
                             "the follow-up work (provisioning, activation email) durably.")
    decide.add_argument("enrollment_id")
    decide.add_argument("decision", choices=("accept", "reject"))
    decide.add_argument("--reason", action="append", metavar="CODE", help="a rejection reason code (repeatable)")
    decide.add_argument("--data", default=argparse.SUPPRESS, metavar="DIR", help="receiver data directory")
    jobs = rsub.add_parser("jobs", help="the provisioning queue: SCIM, RAO token, activation email",
                           description="List what follows each accepted enrollment (step, attempts, next try, last "
                           "error code, SCIM user id, when the email was sent); no personal data. --retry ID puts a "
                           "failed job back at the step it failed at; --run works the due jobs now with the "
                           "[provisioning] settings of the config.")
    jobs.add_argument("--retry", metavar="ID", help="queue a failed job again")
    jobs.add_argument("--run", action="store_true", help="work the due jobs now")
    jobs.add_argument("--json", action="store_true", help="machine-readable output")
    jobs.add_argument("--scim-url", default=argparse.SUPPRESS, metavar="URL", help="the IdP's SCIM 2.0 base URL")
    jobs.add_argument("--scim-token", default=argparse.SUPPRESS, metavar="TOKEN", help="its bearer token")
    jobs.add_argument("--data", default=argparse.SUPPRESS, metavar="DIR", help="receiver data directory")

    queue = sub.add_parser("queue", help="list the outbox and the freeze state (no personal data)",
                           description="List queued and delivered enrollments (id, status, attempts, printed) and "
                           "the backlog against the freeze rules ([sync] freeze_backlog, freeze_age_days): whether "
                           "the kiosk has stopped taking enrollments, and why.")
    queue.add_argument("--json", action="store_true", help="machine-readable output")
    queue.set_defaults(func=cmd_queue)

    sync = sub.add_parser("sync", help="deliver due packets to the receiver now",
                          description="Deliver every packet whose backoff has elapsed, once, then ask the receiver "
                          "for the outcome of delivered ones. The running kiosk does this by itself, in process: "
                          "beside it, the one-shot command refuses and --forever stands by (one writer per "
                          "database), delivering only while the kiosk is not running.")
    sync.add_argument("--url", help="receiver base URL (default: receiver.url from the config)")
    sync.add_argument("--forever", action="store_true",
                      help="keep delivering: every --interval seconds (what sportello-sync.service runs)")
    sync.add_argument("--interval", type=float, default=30.0, metavar="S",
                      help="seconds between delivery rounds with --forever (default 30)")
    sync.set_defaults(func=cmd_sync)

    doctor = sub.add_parser("doctor", help="check every device, the clock, network, receiver, disk and backlog",
                            description="Check the card reader (and a card if one is inserted), camera frames and "
                            "focus, printer and paper, GPIO panel, touchscreen, clock (a Pi has no RTC), network, "
                            "the receiver's reachability and certificate, disk space, the backlog against the freeze "
                            "rules, the database and the keys. Exit 0 when healthy (warnings allowed), 1 when a "
                            "check fails. Stop sportello-kiosk first, or use the on-screen service mode, when the "
                            "devices are busy.")
    doctor.add_argument("--json", action="store_true", help="machine-readable report: {healthy, checks: [...]}")
    doctor.add_argument("--timeout", type=float, default=5.0, metavar="S", help="network timeout (default 5 s)")
    doctor.set_defaults(func=cmd_doctor)

    technician = sub.add_parser("technician", help="technician login for the on-screen service mode",
                                description="Make the scrypt hash of the technician PIN for the config, or reset "
                                "the login lockout after repeated wrong PINs.")
    tsub = technician.add_subparsers(dest="technician_command", required=True, metavar="SUBCOMMAND")
    setpin = tsub.add_parser("set-pin", help="print the hash of a new technician PIN",
                             description="Ask for a 6-12 digit PIN twice and print the line "
                             "'technician_pin_hash = \"scrypt$...\"' for the [service] section of the config.")
    setpin.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input (scripts)")
    tsub.add_parser("unlock", help="reset the lockout after wrong PINs",
                    description="Forget the wrong-PIN count and lift a lockout of the service mode login.")
    technician.set_defaults(func=cmd_technician)

    housekeeping = sub.add_parser("housekeeping", help="daily maintenance (run by sportello-housekeeping.timer)",
                                  description="Forget long-settled outbox rows, trim the log file, check the "
                                  "database and report free disk space. Exits 1 when the database is damaged.")
    housekeeping.set_defaults(func=cmd_housekeeping)

    receipts = sub.add_parser("receipts", help="receipts that were committed but never printed",
                              description="After a crash between commit and print, list or reprint those receipts.")
    receipts.set_defaults(func=cmd_receipts)
    resub = receipts.add_subparsers(dest="receipts_command", required=True, metavar="SUBCOMMAND")
    resub.add_parser("pending", help="list receipts not printed",
                     description="List receipts not printed, with the language each will be reprinted in.")
    resub.add_parser("reprint", help="print them now",
                     description="Print every pending receipt now, each in the language its citizen chose.")

    printer = sub.add_parser("printer", help="service the receipt printer",
                             description="Technician commands for the receipt printer.")
    psub = printer.add_subparsers(dest="printer_command", required=True, metavar="SUBCOMMAND")
    page = psub.add_parser("test-page", help="print a test page",
                           description="Print a test page: the code page check line, a QR, the printer's profile "
                           "and columns. With the simulated printer the page is rendered to a PNG instead.")
    page.add_argument("--out", default="var/test-page.png",
                      help="where the simulated printer's rendered page goes (default: var/test-page.png)")
    page.set_defaults(func=cmd_printer_test_page)

    card = sub.add_parser("card", help="service the smart-card reader",
                          description="Technician commands for the smart-card reader.")
    cardsub = card.add_subparsers(dest="card_command", required=True, metavar="SUBCOMMAND")
    cread = cardsub.add_parser("read", help="read the inserted card and say what it holds",
                               description="Read the card in the configured reader: type, codice fiscale, names, "
                               "birth date, expiry, certificate issuer and validity, and how long the read took. "
                               "With --can, a CIE's travel-document applet instead: PACE with the CAN, then DG1 "
                               "(document number, names, birth date, sex, expiry, nationality) and whether the DG2 "
                               "face image was read (its format and size; the image is never stored). "
                               "Personal data goes to this terminal only, never to a log.")
    cread.add_argument("--json", action="store_true", help="one JSON object instead of text")
    cread.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="wait this long for a card to be inserted (default: it must be there)")
    cread.add_argument("--can", metavar="NNNNNN",
                       help="a CIE's card access number (the 6 digits on its front): read its travel-document "
                       "applet through PACE; a wrong CAN is reported, never retried")
    cread.set_defaults(func=cmd_card_read)

    capture = sub.add_parser("capture", help="inspect what the capture pipeline sees",
                             description="Technician commands for the camera and the capture pipeline.")
    capsub = capture.add_subparsers(dest="capture_command", required=True, metavar="SUBCOMMAND")
    analyse = capsub.add_parser("analyse", help="what the pipeline sees in one image",
                                description="Analyse one image as the capture step would: document outline, "
                                "sharpness, glare, fill, the guidance a citizen would read, the document type, "
                                "the MRZ fields and whether their check digits hold, and faces found.")
    analyse.add_argument("image", metavar="IMAGE", help="a PNG or JPEG file")
    analyse.add_argument("--json", action="store_true", help="one JSON object instead of text")
    analyse.set_defaults(func=cmd_capture_analyse)

    config = sub.add_parser("config", help="check the configuration", description="Validate the configuration.")
    csub = config.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    csub.add_parser("check", help="validate and summarise", description="Validate the configuration file.")
    config.set_defaults(func=cmd_config_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    from kiosk.runtime import prepare_environment

    prepare_environment()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KioskError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
