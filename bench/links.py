"""Benchmark: the receiver sending the verification links of a backlog of offline enrollments.

Not a test: it prints figures and ends with one JSON line.

A kiosk that was offline delivers packets whose email and mobile are "to verify": intake queues two
``verify_link`` jobs per packet and ``LinkSender`` (a thread of the receiver's main process) sends them.
This takes ``--packets`` realistic packets (four document images and a face, 200-400 KB each) in
through ``Intake``, with ``--outbox`` messages already in the simulated mail outbox, then sends every
link, three ways on copies of the same data directory, measuring wall time and this process's CPU
time per link:

- ``baseline``: as before sealed addresses and id-named messages: the jobs carry no sealed address,
  so each link reads and opens (Ed25519, HPKE, JSON) the whole stored packet, and the messenger looks
  for the message id by scanning the outbox directory;
- ``sealed``: the jobs' sealed addresses (one small decryption), the messenger still scanning;
- ``current``: sealed addresses and the messenger's one-name lookup (what ``kiosk receiver`` does).

Run: .venv/bin/python bench/links.py [--packets N] [--outbox M]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KIOSK_ID = "bench-kiosk-01"
KINDS = ("document_front", "document_back", "health_card_front", "health_card_back", "face")


def build_receiver(data_dir: Path, work: Path, packets: int, outbox: int, seed: int) -> None:
    """A receiver data directory holding ``packets`` offline packets (their link jobs queued) and an
    outbox of ``outbox`` earlier messages."""
    from kiosk.domain.sample import sample_enrollment
    from kiosk.payload import encode
    from kiosk.receiver.intake import Intake
    from kiosk.receiver.keys import init_data_dir, public_key_path, trust_kiosk
    from kiosk.receiver.messages import OUTBOX_DIR
    from kiosk.sealing import load_or_create_signing_key, load_recipient, public_key_pem, seal

    rng = random.Random(seed)
    init_data_dir(data_dir)
    key = load_or_create_signing_key(work / "kiosk" / "signing.key")
    trust_kiosk(data_dir, KIOSK_ID, public_key_pem(key))
    recipient = load_recipient(public_key_path(data_dir))
    with Intake(data_dir) as intake:
        for _ in range(packets):
            sizes = {kind: rng.randint(200_000, 400_000) for kind in KINDS}
            enrollment = sample_enrollment(kiosk_id=KIOSK_ID, image_sizes=sizes)  # offline: 2 links
            packet = seal(encode(enrollment.to_payload(raw_attachments=True)), recipient=recipient, signing_key=key,
                          kiosk_id=KIOSK_ID, enrollment_id=enrollment.enrollment_id, created_at=datetime.now(UTC))
            intake.receive(enrollment.enrollment_id, packet)
    directory = data_dir / OUTBOX_DIR
    directory.mkdir(mode=0o700, exist_ok=True)
    start_ns = time.time_ns() - 10**12
    for n in range(outbox):  # earlier one-time codes and links, as FileMessenger names them
        message_id = f"{rng.getrandbits(64):016x}"
        (directory / f"{message_id}.json").write_text(json.dumps(
            {"id": message_id, "channel": "email", "to": f"c{n}@example.it", "subject": "s", "body": "b",
             "sent_at": "20260101T000000", "sent_ns": start_ns + n}), encoding="utf-8")


def send_all(data_dir: Path, *, is_sealed: bool, is_scanning: bool) -> dict:
    from kiosk.receiver.intake import Intake
    from kiosk.receiver.keys import database_path
    from kiosk.receiver.links import LinkSender
    from kiosk.receiver.messages import FileMessenger
    from kiosk.receiver.otp import Verifier

    class ScanningMessenger(FileMessenger):
        """The messenger's earlier "already sent" check: a scan of the whole outbox per message."""

        def _was_sent(self, message_id: str) -> bool:
            return any(self.directory.glob(f"*{message_id}.json"))

    if not is_sealed:  # the rows as queued before sealed addresses: each link opens its packet
        with sqlite3.connect(database_path(data_dir)) as db:
            db.execute("UPDATE jobs SET sealed_address = NULL")
    messenger = (ScanningMessenger if is_scanning else FileMessenger)(data_dir)
    with Intake(data_dir) as intake:
        verifier = Verifier(database_path(data_dir), messenger)
        try:
            sender = LinkSender(intake, verifier)
            sent = 0
            wall, cpu = time.perf_counter(), time.process_time()
            while results := sender.run_due():
                if set(results.values()) != {"sent"}:
                    raise SystemExit(f"links not sent: {sorted(set(results.values()))}")
                sent += len(results)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            verifier.close()
    return {"links": sent, "links_per_s": round(sent / wall, 1), "cpu_ms_per_link": round(cpu * 1000 / sent, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=200, help="offline packets taken in (2 links each)")
    parser.add_argument("--outbox", type=int, default=5000, help="messages already in the outbox")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-links-"))
    try:
        template = work / "template"
        start = time.perf_counter()
        build_receiver(template, work, args.packets, args.outbox, args.seed)
        print(f"receiver: {args.packets} offline packets taken in, {args.outbox} messages in the outbox "
              f"({time.perf_counter() - start:.1f} s)")
        results = {}
        for name, is_sealed, is_scanning in (("baseline", False, True), ("sealed", True, True),
                                             ("current", True, False)):
            data_dir = work / name
            shutil.copytree(template, data_dir)
            results[name] = send_all(data_dir, is_sealed=is_sealed, is_scanning=is_scanning)
            shutil.rmtree(data_dir)
            print(f"{name}: {results[name]['links']} links, {results[name]['links_per_s']} links/s, "
                  f"CPU {results[name]['cpu_ms_per_link']} ms per link")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base, now = results["baseline"], results["current"]
    summary = {
        "packets": args.packets, "outbox_messages": args.outbox, "links": now["links"],
        **{f"{name}_{key}": value for name, result in results.items()
           for key, value in result.items() if key != "links"},
        "speedup_vs_baseline": round(now["links_per_s"] / base["links_per_s"], 2),
        "cpu_ratio_vs_baseline": round(base["cpu_ms_per_link"] / now["cpu_ms_per_link"], 2),
    }
    print(f"current vs baseline: {summary['speedup_vs_baseline']}x links/s, "
          f"{summary['cpu_ratio_vs_baseline']}x less CPU per link")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
