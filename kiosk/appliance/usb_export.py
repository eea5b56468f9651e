"""Export sealed packets to a USB stick, for kiosks that are never online; import them at the receiver.

The kiosk cannot read what it sealed, so the stick carries nothing readable: each packet is HPKE-sealed
to the receiver and signed by the kiosk. Exported packets stay in the outbox (status ``exported``,
sealed bytes kept) until the receiver acknowledges them, so a lost stick loses nothing; they no longer
count in the backlog for the freeze rules. The acknowledgement comes back on the same stick: the import
writes a signed ``ack.json`` into the export directory and the kiosk purges what it names
(``kiosk.appliance.usb_ack``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kiosk.durable import sync_directory
from kiosk.errors import KioskError

MANIFEST = "manifest.json"


class ExportError(KioskError):
    """No stick mounted, the stick is full or read-only, or a packet did not read back intact."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path | None  # None: nothing was queued, nothing written
    enrollment_ids: list[str]


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and wait until it is on the stick (a stick is pulled without warning)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def export_packets(store, dest_root: Path, *, kiosk_id: str, now: datetime | None = None) -> ExportResult:
    """Copy every queued sealed packet to ``dest_root/sportello-<kiosk>-<time>/`` with a manifest, read
    each back and compare digests, then mark the packets exported. Nothing queued: nothing written."""
    dest_root = Path(dest_root)
    if not dest_root.is_dir():
        raise ExportError(f"no USB stick mounted at {dest_root}")
    now = now or datetime.now(timezone.utc)
    entries = store.entries(where="status = 'queued' AND packet IS NOT NULL")
    if not entries:
        return ExportResult(None, [])  # nothing new: no empty directory on the stick
    directory = dest_root / f"sportello-{kiosk_id}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    for n in range(2, 100):  # two exports within one second
        if not directory.exists():
            break
        directory = dest_root / f"sportello-{kiosk_id}-{now.strftime('%Y%m%dT%H%M%SZ')}-{n}"
    manifest = {"kiosk_id": kiosk_id, "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "packets": []}
    try:
        directory.mkdir(parents=False, exist_ok=False)
        for entry in entries:
            packet = store.packet(entry.enrollment_id)
            path = directory / f"{entry.enrollment_id}.packet"
            write_synced(path, packet)
            digest = hashlib.sha256(packet).hexdigest()
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise ExportError(f"packet {entry.enrollment_id} did not read back intact from the stick")
            manifest["packets"].append({"enrollment_id": entry.enrollment_id, "sha256": digest, "size": len(packet)})
        write_synced(directory / MANIFEST, json.dumps(manifest, indent=2).encode())
        sync_directory(directory)
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


def acknowledge_import(intake, directory: Path, *, key_pem: bytes) -> list[str]:
    """Receiver side, after ``import_packets``: write the signed ``ack.json`` (``kiosk.appliance.usb_ack``)
    naming every packet of the export that the receiver now holds with exactly the exported digest.
    Returns the acknowledged enrollment ids."""
    from kiosk.appliance.usb_ack import write_ack

    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    held = []
    for item in manifest["packets"]:
        try:
            stored = intake.status(item["enrollment_id"])
        except KioskError:
            continue
        if stored.digest == item["sha256"] and stored.kiosk_id == manifest["kiosk_id"]:
            held.append({"enrollment_id": item["enrollment_id"], "sha256": item["sha256"]})
    write_ack(directory, kiosk_id=manifest["kiosk_id"], packets=held, key_pem=key_pem)
    return [p["enrollment_id"] for p in held]
