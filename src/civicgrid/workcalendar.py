"""China's official working calendar: working days, office hours, and time counted on them.

A clock runs either in natural hours (straight through) or in working hours:
the office periods of a working day (09:00–12:00 and 13:30–17:30 in
Asia/Shanghai by default) on the State Council's calendar, where statutory
holidays are off and make-up Saturdays and Sundays (调休上班) are on. The
calendar comes from the `chinesecalendar` package, which knows each year once
it is announced; for a year it does not know yet the calendar falls back to
Monday–Friday and says so once in the log, because a late deadline is better
than a stopped worker. SLA clocks and field-work schedules both count on it.
"""

import logging
import math
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from itertools import pairwise

import chinese_calendar

from civicgrid.settings import get_settings
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

log = logging.getLogger(__name__)


class Basis(StrEnum):
    NATURAL = "natural"
    WORKING = "working"


@cache
def is_workday(day: date) -> bool:
    """The official calendar; beyond its data, Monday to Friday.

    Cached because the package scans its whole holiday table to validate each date.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_calendar_unknown(day.year)
        return day.weekday() < 5


@cache
def _warn_calendar_unknown(year: int) -> None:
    log.warning(
        "chinesecalendar has no official calendar for %s; counting Monday-Friday as working "
        "days until the package is upgraded",
        year,
    )


@cache
def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """`09:00-12:00,13:30-17:30` → ordered, non-overlapping office periods of a day."""
    periods = tuple(
        (time.fromisoformat(opens), time.fromisoformat(closes))
        for opens, closes in (part.split("-") for part in text.split(","))
    )
    ends = [moment for period in periods for moment in period]
    if any(later <= earlier for earlier, later in pairwise(ends)):
        raise ValueError(f"working periods must be increasing and not overlap: {text}")
    return periods


def _windows(day: date) -> tuple[tuple[datetime, datetime], ...]:
    return _day_windows(day, get_settings().working_periods)


@lru_cache(maxsize=8192)
def _day_windows(day: date, periods: str) -> tuple[tuple[datetime, datetime], ...]:
    """The day's office periods as UTC instants; none on a day off."""
    if not is_workday(day):
        return ()
    return tuple(
        (_instant(day, opens), _instant(day, closes)) for opens, closes in parse_periods(periods)
    )


def _instant(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=DISPLAY_ZONE).astimezone(UTC)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(DISPLAY_ZONE).date()


def _allowed(hours: float) -> timedelta:
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"SLA hours must be a finite, non-negative number, not {hours}")
    return timedelta(hours=hours)


def deadline(start: datetime, hours: float, basis: Basis | str) -> datetime:
    """When `hours` of the given basis have passed since `start` (UTC)."""
    allowed = _allowed(hours)
    start = as_utc(start)
    if Basis(basis) is Basis.NATURAL or not allowed:
        return start + allowed
    return _add_working_time(start, allowed)


def _add_working_time(start: datetime, allowed: timedelta) -> datetime:
    remaining, day = allowed, _local_day(start)
    while True:
        for opens, closes in _windows(day):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += timedelta(days=1)


def elapsed(start: datetime, end: datetime, basis: Basis | str) -> timedelta:
    """How much of the basis's time lies between two instants (zero if `end` is earlier)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        return timedelta(0)
    if Basis(basis) is Basis.NATURAL:
        return end - start
    total, day, last = timedelta(0), _local_day(start), _local_day(end)
    while day <= last:
        for opens, closes in _windows(day):
            total += max(timedelta(0), min(closes, end) - max(opens, start))
        day += timedelta(days=1)
    return total
