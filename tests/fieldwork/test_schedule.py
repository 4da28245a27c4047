"""The spreading rule: visits fall on working days, evenly, each target as often as planned."""

from collections import Counter
from datetime import date, timedelta

from civicgrid.fieldwork.models import Cadence
from civicgrid.fieldwork.schedule import PLACE_EPOCH, due_targets
from civicgrid.workcalendar import is_workday

YEAR = 2026


def days_of(start: date, count: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(count)]


def test_a_years_visits_are_spread_over_working_days_not_piled_on_new_year() -> None:
    households = dict.fromkeys(range(1, 41), 0)
    due: Counter[int] = Counter()
    per_day: Counter[date] = Counter()
    for day in days_of(date(YEAR, 1, 1), 365):
        for target in due_targets(Cadence.YEARLY, 2, 7, households, day):
            due[target] += 1
            per_day[day] += 1
            assert is_workday(day), day
    assert set(due.values()) == {2}
    assert len(due) == 40
    assert max(per_day.values()) == 1
    assert per_day[date(YEAR, 1, 1)] == 0


def test_monthly_visits_come_once_in_each_half_of_the_month():
    due_days = [
        day
        for day in days_of(date(YEAR, 11, 1), 30)
        if due_targets(Cadence.MONTHLY, 2, 1, {5: 0}, day)
    ]
    assert len(due_days) == 2
    assert due_days[0].day <= 15 < due_days[1].day


def test_a_key_place_is_patrolled_once_in_every_block_of_its_interval():
    start = PLACE_EPOCH + timedelta(weeks=150)
    for block in range(8):
        block_days = days_of(start + timedelta(days=7 * block), 7)
        hits = [day for day in block_days if due_targets(Cadence.PLACE_SCHEDULE, 1, 3, {9: 7}, day)]
        assert len(hits) == 1
        assert is_workday(hits[0])


def test_a_daily_plan_is_due_on_working_days_only():
    week = days_of(date(YEAR, 11, 23), 7)  # Monday to Sunday
    due = [day for day in week if due_targets(Cadence.DAILY, 1, 1, {0: 0}, day)]
    assert due == [day for day in week if is_workday(day)]
    assert len(due) == 5
