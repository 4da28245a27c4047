"""SLA clocks on China's official calendar: holidays, make-up workdays, lunch, the light."""

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import workcalendar
from civicgrid.cases import sla
from civicgrid.cases.sla import Light, light
from civicgrid.cases.workflow import Status
from civicgrid.settings import get_settings
from civicgrid.timeutil import DISPLAY_ZONE
from civicgrid.workcalendar import Basis, deadline, elapsed


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DISPLAY_ZONE)


def in_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(DISPLAY_ZONE)


def test_the_package_calendar_has_the_2026_national_day_and_its_make_up_days():
    assert not workcalendar.is_workday(date(2026, 10, 1))
    assert not workcalendar.is_workday(date(2026, 10, 7))
    assert workcalendar.is_workday(date(2026, 9, 20))  # a Sunday worked before National Day
    assert workcalendar.is_workday(date(2026, 10, 10))  # a Saturday worked after it
    assert not workcalendar.is_workday(date(2026, 9, 25))  # Mid-Autumn Festival, a Friday


def test_working_hours_skip_the_whole_national_day_holiday():
    # 16:30 on Wed 30 Sep: one hour that day, then nothing until Thu 8 Oct.
    due = deadline(local(2026, 9, 30, 16, 30), 10, Basis.WORKING)
    assert in_shanghai(due) == local(2026, 10, 9, 11, 0)


def test_the_make_up_saturday_after_national_day_is_a_working_day():
    due = deadline(local(2026, 10, 9, 17, 0), 2, Basis.WORKING)
    assert in_shanghai(due) == local(2026, 10, 10, 10, 30)


def test_the_make_up_sunday_before_national_day_is_a_working_day():
    due = deadline(local(2026, 9, 18, 17, 0), 1, Basis.WORKING)
    assert in_shanghai(due) == local(2026, 9, 20, 9, 30)


def test_the_lunch_break_and_the_evening_do_not_count():
    assert in_shanghai(deadline(local(2026, 10, 12, 11), 2, Basis.WORKING)) == local(
        2026, 10, 12, 14, 30
    )
    assert in_shanghai(deadline(local(2026, 10, 12, 20), 1, Basis.WORKING)) == local(
        2026, 10, 13, 10, 0
    )


def test_natural_hours_run_straight_through_holidays():
    start = local(2026, 9, 30, 16, 30)
    assert deadline(start, 48, Basis.NATURAL) == start + timedelta(hours=48)


def test_beyond_the_package_data_the_clock_counts_monday_to_friday_and_warns_once(caplog):
    friday = local(2099, 1, 2, 17, 0)
    assert friday.weekday() == 4
    with caplog.at_level(logging.WARNING, logger="civicgrid.workcalendar"):
        due = deadline(friday, 1, Basis.WORKING)
        later = deadline(friday, 30, Basis.WORKING)
    assert in_shanghai(due) == local(2099, 1, 5, 9, 30)  # Monday
    assert in_shanghai(later).weekday() < 5
    warnings = [record for record in caplog.records if "2099" in record.getMessage()]
    assert len(warnings) == 1


def test_negative_or_infinite_hours_are_refused():
    for hours in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="SLA hours"):
            deadline(local(2026, 10, 12, 9), hours, Basis.WORKING)


def test_the_light_turns_yellow_at_80_percent_of_working_time_and_red_when_overdue():
    start = local(2026, 10, 12, 9)  # Monday
    due = deadline(start, 10, Basis.WORKING)
    assert in_shanghai(due) == local(2026, 10, 13, 12)
    # Monday night: 14 of 27 natural hours gone, but 7 of 10 working hours: still green.
    assert light(start, due, local(2026, 10, 12, 23), Basis.WORKING) is Light.GREEN
    assert light(start, due, local(2026, 10, 13, 9, 59), Basis.WORKING) is Light.GREEN
    assert light(start, due, local(2026, 10, 13, 10), Basis.WORKING) is Light.YELLOW
    assert light(start, due, due, Basis.WORKING) is Light.YELLOW
    assert light(start, due, due + timedelta(seconds=1), Basis.WORKING) is Light.RED


def test_the_natural_light_counts_natural_hours():
    start = local(2026, 10, 12, 9)
    due = deadline(start, 10, Basis.NATURAL)
    assert light(start, due, local(2026, 10, 12, 16, 59), Basis.NATURAL) is Light.GREEN
    assert light(start, due, local(2026, 10, 12, 17), Basis.NATURAL) is Light.YELLOW


def test_every_status_has_an_sla_stage_entry():
    assert set(sla.STAGE_OF_STATUS) == {status.value for status in Status}


def test_working_periods_must_be_ordered():
    with pytest.raises(ValueError, match="increasing"):
        workcalendar.parse_periods("13:30-17:30,09:00-12:00")
    assert workcalendar.parse_periods("08:30-12:00") == ((time(8, 30), time(12, 0)),)


# Instants from 2004 (the package's first year) into 2027 (past its data: the fallback).
instants = st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)
hours = st.floats(min_value=0, max_value=400, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(start=instants, first=hours, second=hours)
def test_more_hours_never_give_an_earlier_deadline(start, first, second):
    for basis in Basis:
        low, high = sorted((first, second))
        assert deadline(start, low, basis) <= deadline(start, high, basis)


@settings(max_examples=300, deadline=None)
@given(start=instants, allowed=st.floats(min_value=1 / 3600, max_value=400))
def test_a_working_deadline_always_falls_inside_office_hours_of_a_working_day(start, allowed):
    due = in_shanghai(deadline(start, allowed, Basis.WORKING))
    assert workcalendar.is_workday(due.date())
    periods = workcalendar.parse_periods(get_settings().working_periods)
    assert any(opens <= due.time() <= closes for opens, closes in periods)


@settings(max_examples=300, deadline=None)
@given(start=instants, allowed=hours)
def test_a_working_deadline_leaves_exactly_the_allowed_working_time(start, allowed):
    due = deadline(start, allowed, Basis.WORKING)
    assert elapsed(start, due, Basis.WORKING) == timedelta(hours=allowed)


@settings(max_examples=200, deadline=None)
@given(start=instants, allowed=hours)
def test_a_natural_deadline_is_plain_addition(start, allowed):
    assert deadline(start, allowed, Basis.NATURAL) == start + timedelta(hours=allowed)
