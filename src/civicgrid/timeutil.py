"""Time is stored in UTC and shown in Asia/Shanghai."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
