"""Benchmark: drain a backlog of realistic sealed packets into the reference receiver on loopback.

Not a test: it prints figures and ends with one JSON line.

- The kiosk's coordinator (mutual TLS, pinned certificate, a few keep-alive connections, packets
  streamed from disk) drains N packets (default 2,000; each four document images and a face of
  200-400 KB) into a receiver running as its own process (``kiosk receiver`` with TLS): packets
  per second and the kiosk process's peak RSS while draining (target <= 150 MB).
- Baseline in the same run: the first ``--baseline-packets`` (default 200) of the same backlog (a
  copy of the database) through a naive client, one request at a time, a new connection per
  request, each packet read whole into memory, into the same receiver (target: the coordinator's
  packets per second >= 3x the naive client's). A sample, so that the default run takes minutes:
  per-packet rates are compared, and the coordinator drains the whole, larger backlog.
- The receiver's intake on its own (verify, decrypt, validate, store; no HTTP) on the same sample:
  one packet at a time on one thread, and 4 at a time with its intake worker processes.

The receiver runs as ``kiosk receiver`` does by default: one intake worker process per CPU.
For each drain, the CPU time the kiosk process and the receiver (its worker processes included) spent
per packet while draining. Kiosk and receiver share this machine's cores, so these bound the rate:
the figures end with that bound (every core busy at the coordinator's CPU per packet) and the
speedup over the naive client it allows at best on these cores.

Run: .venv/bin/python bench/sync.py [--packets N] [--baseline-packets M] [--connections C]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KIOSK_ID = "bench-kiosk-01"
KINDS = ("document_front", "document_back", "health_card_front", "health_card_back", "face")


def build_backlog(db_path: Path, receiver_dir: Path, key_path: Path, count: int, seed: int) -> int:
    """``count`` sealed packets committed to a fresh outbox, as the kiosk commits them; total bytes."""
    from kiosk.domain.ids import reference
    from kiosk.domain.sample import sample_enrollment
    from kiosk.payload import encode
    from kiosk.receiver.keys import public_key_path
    from kiosk.sealing import load_or_create_signing_key, load_recipient, seal
    from kiosk.store import Store

    rng = random.Random(seed)
    key = load_or_create_signing_key(key_path)
    recipient = load_recipient(public_key_path(receiver_dir))
    total = 0
    with Store.open(db_path) as store:
        store._db.execute("PRAGMA synchronous=OFF")  # building the backlog is not measured: no fsync each
        for _ in range(count):
            sizes = {kind: rng.randint(200_000, 400_000) for kind in KINDS}
            enrollment = sample_enrollment(kiosk_id=KIOSK_ID, image_sizes=sizes)
            plaintext = encode(enrollment.to_payload(raw_attachments=True))  # as kiosk.enroll seals it
            packet = seal(plaintext, recipient=recipient, signing_key=key, kiosk_id=KIOSK_ID,
                          enrollment_id=enrollment.enrollment_id, created_at=datetime.now(UTC))
            store.commit_packet(enrollment_id=enrollment.enrollment_id, reference=reference(enrollment.enrollment_id),
                                packet=packet, digest=hashlib.sha256(packet).hexdigest(), print_code="Ab3$xy")
            store.mark_printed(enrollment.enrollment_id)  # the receipt came out, as at the kiosk
            total += len(packet)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """``kiosk receiver`` with TLS as its own process (as an IdP would run it)."""

    def __init__(self, data_dir: Path, certs) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "receiver", "--data", str(data_dir), "--port", str(self.port),
             "--tls-cert", str(certs.server.cert), "--tls-key", str(certs.server.key),
             "--client-ca", str(certs.client_ca.cert)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True)
        self.proc.stdout.readline()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the receiver did not start")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def cpu_s(self) -> float:
        """CPU seconds used so far by the receiver and its processes (intake workers), from /proc."""
        return _tree_cpu_s(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _tree_cpu_s(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            total += sum(_tree_cpu_s(int(child)) for child in children.read_text().split())
    except (OSError, ValueError, IndexError):  # a process that ended meanwhile
        pass
    return total


def run_child(mode: str, db: Path, url: str, certs, connections: int, limit: int) -> dict:
    """Drain ``db`` in a child process; its figures, its peak RSS included."""
    args = [sys.executable, __file__, "--child", mode, "--db", str(db), "--url", url,
            "--tls-dir", str(certs.server.cert.parent), "--connections", str(connections), "--limit", str(limit)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, _ = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{mode} drain failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def child(mode: str, db: Path, url: str, tls_dir: Path, connections: int, limit: int) -> None:
    from kiosk.store import Store

    server_cert, client_cert, client_key = tls_dir / "receiver.pem", tls_dir / f"{KIOSK_ID}.pem", tls_dir / f"{KIOSK_ID}.key"
    import resource

    start, cpu_start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    with Store.open(db) as store:
        count = store.backlog()[0]
        if mode == "coordinator":
            from kiosk.sync.coordinator import SyncCoordinator
            from kiosk.sync.transport import Transport

            sync = SyncCoordinator(store, transport=Transport(
                base_url=url, pinned_cert=server_cert, client_cert=client_cert, client_key=client_key,
                connections=connections, timeout_s=60))
            try:
                while store.backlog()[0]:
                    report = sync.deliver_due(limit=10_000)
                    if report.failed:
                        raise SystemExit(f"failures: {sorted(set(report.failed.values()))}")
            finally:
                sync.close()
        else:  # naive: one request at a time, a new TLS connection each, the whole packet in memory
            import ssl

            import httpx

            context = ssl.create_default_context(cafile=str(server_cert))
            context.load_cert_chain(client_cert, client_key)
            count = min(count, limit)
            for enrollment_id in store.due(limit=limit):
                packet = store.packet(enrollment_id)
                response = httpx.put(f"{url}/v1/packets/{enrollment_id}", content=packet, verify=context,
                                     timeout=60, headers={"Content-Type": "application/octet-stream"})
                if response.status_code not in (200, 201):
                    raise SystemExit(f"naive: HTTP {response.status_code}")
                store.mark_delivered(enrollment_id)
    elapsed = time.perf_counter() - start
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = cpu_end.ru_utime - cpu_start.ru_utime + cpu_end.ru_stime - cpu_start.ru_stime
    print(json.dumps({"packets": count, "seconds": round(elapsed, 2), "packets_per_s": round(count / elapsed, 1),
                      "peak_rss_mb": peak_rss_mb(), "cpu_s": cpu_s}))


def peak_rss_mb() -> float:
    """This process's peak resident set since it started (``VmHWM``). Not ``ru_maxrss``, which on
    Linux keeps the forking parent's peak across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def intake_alone(db: Path, receiver_dir: Path, limit: int, *, workers: int = 0, threads: int = 1) -> dict:
    """The receiver's intake without HTTP: ``threads`` packets at a time, ``workers`` processes."""
    from concurrent.futures import ThreadPoolExecutor

    from kiosk.receiver.intake import Intake

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        ids = [r[0] for r in conn.execute("SELECT enrollment_id FROM outbox WHERE packet IS NOT NULL"
                                          " ORDER BY rowid LIMIT ?", [limit])]

    def receive(enrollment_id: str) -> None:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as own:
            (packet,) = own.execute("SELECT packet FROM outbox WHERE enrollment_id = ?", [enrollment_id]).fetchone()
        intake.receive(enrollment_id, packet)

    with Intake(receiver_dir, workers=workers) as intake:
        if workers:  # start the pool before timing
            receive(ids.pop(0))
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(receive, ids))
        elapsed = time.perf_counter() - start
    return {"packets": len(ids), "seconds": round(elapsed, 2), "packets_per_s": round(len(ids) / elapsed, 1)}


def fresh_receiver(work: Path, name: str, template: Path) -> Path:
    """A receiver data dir with the same keys and trusted kiosk, and an empty database."""
    target = work / name
    shutil.copytree(template / "keys", target / "keys")
    shutil.copytree(template / "trusted_kiosks", target / "trusted_kiosks")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=2000, help="the backlog the coordinator drains")
    parser.add_argument("--baseline-packets", type=int, default=200,
                        help="the sample the naive client and the intake alone take (default 200)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--child", choices=("coordinator", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tls-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=10_000_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.url, args.tls_dir, args.connections, args.limit)
        return

    from kiosk.receiver.certs import make_mutual_tls
    from kiosk.receiver.keys import init_data_dir, trust_kiosk
    from kiosk.sealing import load_or_create_signing_key, public_key_pem

    with tempfile.TemporaryDirectory(prefix="sportello-bench-sync-") as tmp:
        work = Path(tmp)
        template = work / "receiver-template"
        init_data_dir(template)
        trust_kiosk(template, KIOSK_ID, public_key_pem(load_or_create_signing_key(work / "kiosk.key")))
        certs = make_mutual_tls(work / "tls", kiosk_id=KIOSK_ID)
        t0 = time.perf_counter()
        total = build_backlog(work / "kiosk.db", template, work / "kiosk.key", args.packets, args.seed)
        build_s = time.perf_counter() - t0
        print(f"backlog: {args.packets} packets, {total / args.packets / 1e6:.2f} MB each on average, "
              f"sealed and committed in {build_s:.1f} s")
        shutil.copyfile(work / "kiosk.db", work / "naive.db")
        os.sync()  # a backlog made over days is on disk: no drain starts behind gigabytes of writeback

        intake_dir = fresh_receiver(work, "receiver-intake", template)
        sample = min(args.baseline_packets, args.packets)
        intake = intake_alone(work / "kiosk.db", intake_dir, sample)
        shutil.rmtree(intake_dir)
        intake_dir = fresh_receiver(work, "receiver-intake-workers", template)
        workers = os.cpu_count() or 1
        pooled = intake_alone(work / "kiosk.db", intake_dir, sample, workers=workers, threads=4)
        shutil.rmtree(intake_dir)
        print(f"receiver intake alone (verify, decrypt, validate, store): {intake['packets_per_s']} packets/s one at "
              f"a time; {pooled['packets_per_s']} packets/s 4 at a time with {workers} worker processes")

        results = {}
        for mode, db in (("coordinator", work / "kiosk.db"), ("naive", work / "naive.db")):
            data_dir = fresh_receiver(work, f"receiver-{mode}", template)
            receiver = Receiver(data_dir, certs)
            try:
                limit = args.packets if mode == "coordinator" else sample
                time.sleep(1.0)  # the receiver's intake workers have started (they start with it)
                receiver_cpu_before = receiver.cpu_s()
                results[mode] = run_child(mode, db, receiver.url, certs, args.connections, limit)
                receiver_cpu_s = receiver.cpu_s() - receiver_cpu_before
            finally:
                receiver.stop()
            results[mode]["receiver_cpu_ms_per_packet"] = round(receiver_cpu_s * 1000 / results[mode]["packets"], 1)
            results[mode]["kiosk_cpu_ms_per_packet"] = round(results[mode]["cpu_s"] * 1000 / results[mode]["packets"], 1)
            with sqlite3.connect(data_dir / "receiver.db") as check:
                held = check.execute("SELECT COUNT(*) FROM packets").fetchone()[0]
            if held != results[mode]["packets"]:
                raise SystemExit(f"{mode}: the receiver holds {held} of {results[mode]['packets']}")
            shutil.rmtree(data_dir)
            db.unlink()
            print(f"{mode}: {results[mode]['packets_per_s']} packets/s ({results[mode]['seconds']} s), "
                  f"peak RSS {results[mode]['peak_rss_mb']} MB; CPU per packet: kiosk "
                  f"{results[mode]['kiosk_cpu_ms_per_packet']} ms, receiver {results[mode]['receiver_cpu_ms_per_packet']} ms")

    # What 2 cores could do at most: every core busy with the coordinator's CPU per packet (kiosk and
    # receiver together). Against the naive client's rate: the speedup this machine allows at best.
    cores = os.cpu_count() or 1
    coordinator_cpu_ms = results["coordinator"]["kiosk_cpu_ms_per_packet"] + results["coordinator"]["receiver_cpu_ms_per_packet"]
    ceiling = cores * 1000 / coordinator_cpu_ms
    figures = {
        "packets": args.packets,
        "mean_packet_mb": round(total / args.packets / 1e6, 2),
        "connections": args.connections,
        "coordinator_packets_per_s": results["coordinator"]["packets_per_s"],
        "coordinator_peak_rss_mb": results["coordinator"]["peak_rss_mb"],
        "rss_target_mb": 150,
        "naive_packets": results["naive"]["packets"],
        "naive_packets_per_s": results["naive"]["packets_per_s"],
        "naive_peak_rss_mb": results["naive"]["peak_rss_mb"],
        "speedup_vs_naive": round(results["coordinator"]["packets_per_s"] / results["naive"]["packets_per_s"], 2),
        "speedup_target": 3.0,
        "coordinator_kiosk_cpu_ms_per_packet": results["coordinator"]["kiosk_cpu_ms_per_packet"],
        "coordinator_receiver_cpu_ms_per_packet": results["coordinator"]["receiver_cpu_ms_per_packet"],
        "naive_kiosk_cpu_ms_per_packet": results["naive"]["kiosk_cpu_ms_per_packet"],
        "naive_receiver_cpu_ms_per_packet": results["naive"]["receiver_cpu_ms_per_packet"],
        "cores": cores,
        "coordinator_cpu_bound_packets_per_s": round(ceiling, 1),
        "speedup_ceiling_on_these_cores": round(ceiling / results["naive"]["packets_per_s"], 2),
        "receiver_intake_packets_per_s": intake["packets_per_s"],
        "receiver_intake_concurrent_packets_per_s": pooled["packets_per_s"],
        "receiver_intake_workers": workers,
        "backlog_build_s": round(build_s, 1),
    }
    print(f"coordinator vs naive: {figures['speedup_vs_naive']}x (target >= 3x); kiosk peak RSS "
          f"{figures['coordinator_peak_rss_mb']} MB (target <= 150 MB)")
    print(f"CPU bound: {cores} cores at {coordinator_cpu_ms:.1f} ms of CPU per packet (kiosk and receiver) allow at "
          f"most {figures['coordinator_cpu_bound_packets_per_s']} packets/s, "
          f"{figures['speedup_ceiling_on_these_cores']}x the naive client")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
