"""Power cuts: kiosks killed with SIGKILL at random points of sealing, committing, printing and syncing,
at least 200 times; afterwards every committed packet is delivered exactly once and none is lost."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from kiosk.receiver.keys import public_key_path, trust_kiosk
from kiosk.receiver.server import ReceiverServer
from kiosk.receiver.storage import PacketStore
from kiosk.sealing import load_or_create_signing_key, public_key_pem
from kiosk.store import Store
from kiosk.sync.coordinator import SyncCoordinator
from kiosk.receiver.certs import issue
from kiosk.sync.transport import Transport

import crash_worker
from receiver_helpers import prepare, server_tls

LANES = 4
KILLS = 200


def test_kill_9_at_random_points_loses_nothing_and_duplicates_nothing(tmp_path):
    data_dir, _, certs = prepare(tmp_path)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crash_worker", "kiosk.sync.coordinator", "kiosk.sealing"])
    lanes = []
    for n in range(LANES):
        lane = tmp_path / f"lane{n}"
        lane.mkdir()
        kiosk_id = f"crash-kiosk-{n}"
        trust_kiosk(data_dir, kiosk_id, public_key_pem(load_or_create_signing_key(lane / "kiosk.key")))
        # each kiosk its own client certificate: the receiver refuses a packet sent under another kiosk's
        lanes.append((lane, kiosk_id, issue(lane / "tls", name=kiosk_id, ca=certs.client_ca, is_server=False)))
    kills: Counter[str] = Counter()
    kills_lock = threading.Lock()
    errors: list[str] = []
    rng = random.Random(9)

    with ReceiverServer(data_dir, tls=server_tls(certs)) as server:
        def transport_for(client) -> dict:
            return dict(base_url=server.url, pinned_cert=certs.server.cert, client_cert=client.cert,
                        client_key=client.key, connections=2, timeout_s=5.0)

        def lane_loop(lane, kiosk_id, client, count, seed):
            transport = transport_for(client)
            local = random.Random(seed)
            for k in range(count):
                phase = context.RawValue("i", 0)
                child = context.Process(target=crash_worker.run, daemon=True,
                                        args=(str(lane), kiosk_id, str(public_key_path(data_dir)), transport, phase))
                child.start()
                target = 1 + k % 4  # sealing, committing, printing, syncing in turn
                deadline = time.monotonic() + 5
                while phase.value != target and time.monotonic() < deadline and child.is_alive():
                    time.sleep(0.0005)
                time.sleep(local.uniform(0, 0.004 if target != 4 else 0.03))
                hit = crash_worker.PHASES[phase.value]
                was_running = child.is_alive()
                child.kill()  # SIGKILL
                child.join(10)
                # -9; 255 is the forkserver's word for "the child vanished before it could report"
                if not was_running or child.exitcode not in (-9, 255):
                    errors.append(f"the child ended otherwise: {child.exitcode} (phase {hit})")
                    return
                with kills_lock:
                    kills[hit] += 1

        threads = [threading.Thread(target=lane_loop, args=(lane, kid, client, KILLS // LANES, rng.random()))
                   for lane, kid, client in lanes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sum(kills.values()) >= KILLS
        for phase_name in ("sealing", "committing", "printing", "syncing"):
            assert kills[phase_name] >= 10, f"too few kills while {phase_name}: {dict(kills)}"

        # the power is back for good: every lane reprints what it owes and drains its outbox
        committed: dict[str, str] = {}
        for lane, _, client in lanes:
            transport = transport_for(client)
            with Store.open(lane / "kiosk.db") as store:
                assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                for enrollment_id, *_ in store.pending_print():
                    crash_worker.print_receipt(store, lane, enrollment_id)
                sync = SyncCoordinator(store, transport=Transport(**transport))
                try:
                    for n in range(10):
                        sync.deliver_due(now=datetime.now(UTC) + timedelta(days=n + 1), limit=10_000)
                        if not store.due(now="9999"):
                            break
                finally:
                    sync.close()
                entries = store.entries()
                assert all(e.status == "delivered" and not e.has_packet for e in entries), "outbox drained"
                printed = {line for line in (lane / "receipts.log").read_text().splitlines() if len(line) == 26}
                ids = {e.enrollment_id for e in entries}
                assert printed <= ids, "a printed receipt without its enrollment: lost"
                digests = dict(store._read("SELECT enrollment_id, packet_digest FROM outbox").fetchall())
                committed.update(digests)

    with PacketStore(data_dir / "receiver.db") as received:
        assert received.count() == len(committed), "the receiver holds each committed packet once, nothing else"
        assert all(received.get(i).digest == d for i, d in committed.items())
    assert len(committed) > 50
