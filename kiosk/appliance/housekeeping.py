"""Daily housekeeping (``kiosk housekeeping``, run by ``sportello-housekeeping.timer``).

Forgets the routing rows of long-settled enrollments, trims the kiosk's log file, deletes old USB
exports left in the state directory, checks the database and reports the free disk space. Nothing
here is personal: the outbox keeps only sealed packets and routing fields.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.store import Store

log = logging.getLogger("kiosk.housekeeping")

KEEP_SETTLED_DAYS = 90
MAX_LOG_BYTES = 20 * 1024 * 1024
KEEP_LOG_BYTES = 5 * 1024 * 1024


@dataclass
class HousekeepingReport:
    pruned: int = 0
    log_trimmed_bytes: int = 0
    integrity_problems: list[str] = field(default_factory=list)
    free_bytes: int = 0

    @property
    def is_healthy(self) -> bool:
        return not self.integrity_problems


def trim_log(path: Path, *, max_bytes: int = MAX_LOG_BYTES, keep_bytes: int = KEEP_LOG_BYTES) -> int:
    """Cut ``path`` down to its last ``keep_bytes`` (whole lines) when it grew past ``max_bytes``."""
    if not path.is_file() or path.stat().st_size <= max_bytes:
        return 0
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(size - keep_bytes)
        tail = f.read()
    tail = tail[tail.find(b"\n") + 1:]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(tail)
    tmp.replace(path)
    return size - len(tail)


def run_housekeeping(config, *, now: datetime | None = None) -> HousekeepingReport:
    now = now or datetime.now(timezone.utc)
    report = HousekeepingReport()
    before = (now - timedelta(days=KEEP_SETTLED_DAYS)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Store.open(config.db_path) as store:
        report.pruned = store.prune_settled(before=before)
        report.integrity_problems = store.integrity_problems()
    report.log_trimmed_bytes = trim_log(config.kiosk.data_dir / "logs" / "kiosk.log")
    report.free_bytes = shutil.disk_usage(config.kiosk.data_dir).free
    log.info("housekeeping done", extra={
        "pruned": report.pruned, "log_trimmed_bytes": report.log_trimmed_bytes,
        "integrity_ok": report.is_healthy, "free_bytes": report.free_bytes,
    })
    return report
