"""The freeze rules as the doctor and the metrics see them: when approved packets stay unsynced for N
days or the backlog passes M, the kiosk stops taking new enrollments (DESIGN.md, Sync).

The limits come from the sync section of the configuration when it has them, else these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

DEFAULT_MAX_AGE_DAYS = 7.0
DEFAULT_MAX_BACKLOG = 500
NEAR = 0.75  # warn from three quarters of either limit


@dataclass(frozen=True)
class FreezeVerdict:
    is_frozen: bool
    is_near: bool
    reason: str
    oldest_age_days: float | None
    max_age_days: float
    max_backlog: int


def limits(config) -> tuple[float, int]:
    section = getattr(config, "sync", None)
    age = getattr(section, "freeze_age_days", None) or getattr(section, "freeze_after_days", None)
    backlog = getattr(section, "freeze_backlog", None) or getattr(section, "max_backlog", None)
    return float(age or DEFAULT_MAX_AGE_DAYS), int(backlog or DEFAULT_MAX_BACKLOG)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def evaluate(config, *, backlog: int, oldest: str | None, now: datetime) -> FreezeVerdict:
    max_age, max_backlog = limits(config)
    oldest_at = parse_time(oldest)
    age = round((now - oldest_at).total_seconds() / 86400, 2) if oldest_at else None
    reason = ""
    if age is not None and age >= max_age:
        reason = f"oldest unsynced packet is {age:.1f} days old (limit {max_age:g})"
    elif backlog >= max_backlog:
        reason = f"{backlog} packets unsynced (limit {max_backlog})"
    is_near = bool((age is not None and age >= NEAR * max_age) or backlog >= NEAR * max_backlog)
    return FreezeVerdict(bool(reason), is_near, reason, age, max_age, max_backlog)
