"""Export sealed packets to a USB stick, for kiosks that are never online; import them at the receiver.

The kiosk cannot read what it sealed, so the stick carries nothing readable: each packet is HPKE-sealed
to the receiver and signed by the kiosk. Exported packets stay in the outbox (status ``exported``,
sealed bytes kept) until the receiver acknowledges them, so a lost stick loses nothing; they no longer
count in the backlog for the freeze rules.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kiosk.errors import KioskError

MANIFEST = "manifest.json"


class ExportError(KioskError):
    """No stick mounted, the stick is full or read-only, or a packet did not read back intact."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    enrollment_ids: list[str]


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def export_packets(store, dest_root: Path, *, kiosk_id: str, now: datetime | None = None) -> ExportResult:
    """Copy every queued sealed packet to ``dest_root/sportello-<kiosk>-<time>/`` with a manifest, read
    each back and compare digests, then mark the packets exported."""
    dest_root = Path(dest_root)
    if not dest_root.is_dir():
        raise ExportError(f"no USB stick mounted at {dest_root}")
    now = now or datetime.now(timezone.utc)
    entries = store.entries(where="status = 'queued' AND packet IS NOT NULL")
    directory = dest_root / f"sportello-{kiosk_id}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    manifest = {"kiosk_id": kiosk_id, "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "packets": []}
    try:
        directory.mkdir(parents=False, exist_ok=False)
        for entry in entries:
            packet = store.packet(entry.enrollment_id)
            path = directory / f"{entry.enrollment_id}.packet"
            _write_synced(path, packet)
            digest = hashlib.sha256(packet).hexdigest()
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise ExportError(f"packet {entry.enrollment_id} did not read back intact from the stick")
            manifest["packets"].append({"enrollment_id": entry.enrollment_id, "sha256": digest, "size": len(packet)})
        _write_synced(directory / MANIFEST, json.dumps(manifest, indent=2).encode())
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ExportError(f"cannot write to the USB stick at {dest_root}: {exc.strerror or exc}") from exc
    ids = [p["enrollment_id"] for p in manifest["packets"]]
    for enrollment_id in ids:
        store.set_status(enrollment_id, "exported")
    return ExportResult(directory, ids)


def import_packets(intake, directory: Path) -> dict[str, str]:
    """Receiver side: feed every packet of an export directory to the receiver's intake.
    Returns enrollment id -> "accepted" or the error's class name (nothing personal)."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    outcome = {}
    for item in manifest["packets"]:
        packet = (directory / f"{item['enrollment_id']}.packet").read_bytes()
        if hashlib.sha256(packet).hexdigest() != item["sha256"]:
            outcome[item["enrollment_id"]] = "DigestMismatch"
            continue
        try:
            intake.receive(item["enrollment_id"], packet)
            outcome[item["enrollment_id"]] = "accepted"
        except KioskError as exc:
            outcome[item["enrollment_id"]] = type(exc).__name__
    return outcome
