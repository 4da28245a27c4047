"""Reading the indicator period from a query string."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.analytics.service import MAX_PERIOD_DAYS, parse_day, parse_period
from civicgrid.errors import Invalid

TODAY = date(2025, 6, 30)
ISO_SPELLING = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(days)
def test_every_calendar_day_reads_back_from_its_iso_spelling(day):
    assert parse_day(day.isoformat(), "from") == day


@given(st.text(max_size=12).filter(lambda raw: not ISO_SPELLING.fullmatch(raw.strip())))
def test_anything_not_spelled_yyyy_mm_dd_is_refused_with_the_field_named(raw):
    with pytest.raises(Invalid) as refused:
        parse_day(raw, "to")
    assert refused.value.code == "indicator_date_invalid"
    assert refused.value.params == {"field": "to", "value": raw}


@given(st.integers(min_value=2000, max_value=2100), st.integers(0, 99), st.integers(0, 99))
def test_a_well_spelled_day_that_is_not_in_the_calendar_is_refused(year, month, day):
    raw = f"{year}-{month:02d}-{day:02d}"
    try:
        real = date(year, month, day)
    except ValueError:
        with pytest.raises(Invalid):
            parse_day(raw, "from")
    else:
        assert parse_day(raw, "from") == real


@given(days, st.integers(min_value=0, max_value=MAX_PERIOD_DAYS + 30))
def test_a_period_is_accepted_exactly_when_it_is_ordered_and_short_enough(start, length):
    end = start + timedelta(days=length)
    if length + 1 <= MAX_PERIOD_DAYS:
        assert parse_period(start.isoformat(), end.isoformat(), today=TODAY).end == end
    else:
        with pytest.raises(Invalid):
            parse_period(start.isoformat(), end.isoformat(), today=TODAY)


def test_without_dates_the_period_is_the_thirty_days_up_to_today():
    period = parse_period(None, None, today=TODAY)
    assert (period.start, period.end) == (date(2025, 6, 1), TODAY)


def test_a_day_is_bounded_by_local_midnights():
    first, after = parse_period("2025-03-01", "2025-03-01", today=TODAY).utc_bounds()
    assert first.isoformat() == "2025-02-28T16:00:00+00:00"
    assert after - first == timedelta(days=1)
