"""Time is stored in UTC and shown in Asia/Shanghai."""

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def representable(moment: datetime) -> datetime:
    """A moment that can be stored in UTC and shown in Beijing time, else a 422.

    `9999-12-31T23:59:59-14:00` lies past the calendar once in UTC, and
    `9999-12-31T20:00Z` once in Beijing: Python raises an overflow on converting.
    A time without a zone is read as Beijing time, as the services read it.
    """
    zoned = moment if moment.tzinfo else moment.replace(tzinfo=DISPLAY_ZONE)
    try:
        zoned.astimezone(UTC).astimezone(DISPLAY_ZONE)
    except OverflowError:
        raise PydanticCustomError("time_out_of_range", "time out of range") from None
    return moment


Moment = Annotated[datetime, AfterValidator(representable)]
"""A datetime field of a request body."""
