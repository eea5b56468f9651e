"""What the outbox leaves on disk: the code half gone once printed; purged packets' space reused."""

from __future__ import annotations

import hashlib
import os

from kiosk.store import Store

CODE_HALF = "Qz7#Wk"


def _commit(store: Store, name: str, size: int = 300_000) -> bytes:
    packet = os.urandom(size)
    store.commit_packet(enrollment_id=name, reference=f"R-{name}", packet=packet,
                        digest=hashlib.sha256(packet).hexdigest(), print_code=CODE_HALF)
    return packet


def _on_disk(path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def test_the_code_half_is_gone_from_the_database_file_once_the_receipt_printed(tmp_path):
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        _commit(store, "e" * 20)
        store.integrity_problems()  # checkpoints the WAL into the file
        assert CODE_HALF.encode() in _on_disk(path)
        store.mark_printed("e" * 20)
        assert store.integrity_problems() == []
    assert CODE_HALF.encode() not in _on_disk(path)


def test_a_purged_packets_space_is_reused_by_the_next_ones(tmp_path):
    """A kiosk delivering for years does not grow its database: acknowledged packets' pages are reused."""
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        first = [f"a{i:019d}" for i in range(4)]
        packets = [_commit(store, name) for name in first]
        store.mark_delivered_many(first)
        assert all(store.packet(name) is None for name in first)
        store.integrity_problems()
        size = path.stat().st_size
        for i in range(4):
            _commit(store, f"b{i:019d}")
        store.integrity_problems()
        assert path.stat().st_size - size < 300_000  # not another packet's worth (a page or two at most)


def test_a_packet_delivered_before_its_receipt_printed_leaves_no_code_half_behind(tmp_path):
    """Sync may acknowledge a packet between commit and print: its purge must not free a copy of the
    record, code half included, without zeroing it."""
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        _commit(store, "c" * 20)
        store.mark_delivered_many(["c" * 20])
        store.mark_printed("c" * 20)
        assert store.integrity_problems() == []
    assert CODE_HALF.encode() not in _on_disk(path)
