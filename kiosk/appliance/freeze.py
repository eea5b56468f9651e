"""The freeze rules as the doctor and the metrics see them: when approved packets stay unsynced for N
days or the backlog passes M, the kiosk stops taking new enrollments (DESIGN.md, Sync).

The rules themselves are ``kiosk.sync.service.FreezeRules`` (limits from ``[sync]``); this adds the
"near the limits" warning and the age the doctor and the metrics report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

NEAR = 0.75  # warn from three quarters of either limit


@dataclass(frozen=True)
class FreezeVerdict:
    is_frozen: bool
    is_near: bool
    reason: str
    oldest_age_days: float | None
    max_age_days: float
    max_backlog: int


def rules(config):
    from kiosk.sync.service import FreezeRules

    section = getattr(config, "sync", None)
    return FreezeRules.from_config(section) if section is not None else FreezeRules()


def limits(config) -> tuple[float, int]:
    r = rules(config)
    return float(r.max_age_days), int(r.max_backlog)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def evaluate(config, *, backlog: int, oldest: str | None, now: datetime) -> FreezeVerdict:
    """The same verdict as ``FreezeRules.reason`` (backlog >= M, or the oldest older than N days)."""
    max_age, max_backlog = limits(config)
    oldest_at = parse_time(oldest)
    age = round((now - oldest_at).total_seconds() / 86400, 2) if oldest_at else None
    reason = ""
    if backlog >= max_backlog:
        reason = f"{backlog} packets unsynced (limit {max_backlog})"
    elif age is not None and age > max_age:
        reason = f"oldest unsynced packet is {age:.1f} days old (limit {max_age:g})"
    is_near = bool((age is not None and age >= NEAR * max_age) or backlog >= NEAR * max_backlog)
    return FreezeVerdict(bool(reason), is_near, reason, age, max_age, max_backlog)
