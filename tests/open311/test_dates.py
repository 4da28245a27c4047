"""W3C datetimes as Open311 clients send them: every valid one read, every other a 400."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.errors import Invalid
from civicgrid.open311.dates import format_w3c, parse_w3c
from civicgrid.timeutil import DISPLAY_ZONE

ZONES = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES
)


@given(MOMENTS)
def test_an_aware_time_reads_back_as_the_same_instant(moment):
    assert parse_w3c(moment.isoformat(), field="start_date") == moment.astimezone(UTC)


@given(MOMENTS)
def test_what_we_write_reads_back_to_the_second(moment):
    written = format_w3c(moment)
    assert written is not None
    assert parse_w3c(written, field="x") == moment.astimezone(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T08:00:00Z", datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("2024-05-01T08:00Z", datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("2024-05-01T16:00:00+0800", datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("2024-05-01T08:00:00.5-01:00", datetime(2024, 5, 1, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=DISPLAY_ZONE).astimezone(UTC)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=DISPLAY_ZONE).astimezone(UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=DISPLAY_ZONE).astimezone(UTC)),
        ("2024-05-01T08:00:00", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_the_profiles_shapes_are_read_and_a_missing_zone_is_local(text, expected):
    assert parse_w3c(text, field="start_date") == expected


@given(st.text(max_size=40))
def test_any_other_text_is_refused_as_invalid_and_nothing_else(text):
    refusal = None
    try:
        parse_w3c(text, field="end_date")
    except Invalid as refused:
        refusal = (refused.code, refused.params["field"])
    assert refusal in {None, ("open311_date_invalid", "end_date")}


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2024-05-01T24:00:00Z", "2024-05-01T08:00:00+25:00", "01/05/2024"]
)
def test_impossible_dates_are_refused(text):
    with pytest.raises(Invalid):
        parse_w3c(text, field="start_date")
