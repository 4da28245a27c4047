"""When the monthly report is due: from the first working day of a month, for the month before."""

from datetime import date, timedelta

from civicgrid.diagnosis.definition import month_of, shift
from civicgrid.workcalendar import is_workday


def first_workday(day: date) -> date:
    current = day.replace(day=1)
    while not is_workday(current):
        current += timedelta(days=1)
    return current


def month_due(today: date) -> str | None:
    """The month to report on `today`: last month, from this month's first working day on
    (a worker that was down that day still makes it the next day); None before then."""
    if today < first_workday(today):
        return None
    return shift(month_of(today), -1)
