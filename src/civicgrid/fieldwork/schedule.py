"""When planned work falls due: spreading visits over the working days of a period.

The rule, so that a year's household visits are not all due on 1 January:

1. A plan's period (its week, month or year; for a key place, consecutive blocks
   of the place's `patrol_every_days` counted from a fixed Monday) is reduced to
   its working days on the official calendar (statutory holidays off, make-up
   days on).
2. Those W working days are cut into `times` equal slices; slice k holds the
   working days with index floor(k·W/times) up to floor((k+1)·W/times).
3. Each target is due once in each slice, on the day at offset
   (target id + plan id) mod (slice length) inside it.

Targets with consecutive ids therefore land on consecutive working days, a
grid's households spread evenly over the period, and a target keeps its day
when others are added or removed. A slice with no working day (more visits
asked than working days) simply has no visit.
"""

import calendar
from bisect import bisect_right
from datetime import date, timedelta
from functools import cache

from civicgrid.fieldwork.models import Cadence
from civicgrid.workcalendar import is_workday

# Key-place blocks are counted from a Monday, so a 7-day interval is a calendar week.
PLACE_EPOCH = date(2024, 1, 1)


def period_of(cadence: Cadence, day: date, *, every_days: int = 7) -> tuple[date, date]:
    """The first and last calendar day of the period of `cadence` that contains `day`."""
    if cadence is Cadence.DAILY:
        return day, day
    if cadence is Cadence.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if cadence is Cadence.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if cadence is Cadence.YEARLY:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    block = (day - PLACE_EPOCH).days // every_days
    start = PLACE_EPOCH + timedelta(days=block * every_days)
    return start, start + timedelta(days=every_days - 1)


@cache
def working_days(start: date, end: date) -> tuple[date, ...]:
    span = (end - start).days + 1
    return tuple(
        start + timedelta(days=offset)
        for offset in range(span)
        if is_workday(start + timedelta(days=offset))
    )


def is_due(days: tuple[date, ...], times: int, salt: int, day: date) -> bool:
    """Whether a target salted with `salt` (target id + plan id) is due on `day` (rule above)."""
    if day not in days:
        return False
    position = days.index(day)
    bounds = [k * len(days) // times for k in range(times + 1)]
    slice_number = bisect_right(bounds, position) - 1
    start, end = bounds[slice_number], bounds[slice_number + 1]
    return position == start + salt % (end - start)


def due_targets(
    cadence: Cadence, times: int, plan_id: int, targets: dict[int, int], day: date
) -> list[int]:
    """The ids among `targets` (id -> patrol interval in days) that are due on `day`."""
    due = []
    for target_id, every_days in targets.items():
        days = working_days(*period_of(cadence, day, every_days=every_days))
        if is_due(days, times, target_id + plan_id, day):
            due.append(target_id)
    return due
