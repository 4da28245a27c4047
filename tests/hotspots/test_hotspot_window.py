"""The window and class parsers: any text is a window within the limit or a 4xx, never a crash."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.errors import Invalid
from civicgrid.hotspots.window import MAX_DAYS, Window, parse_classes, parse_window


@given(st.text(max_size=30))
def test_any_text_is_a_bounded_window_or_refused(text: str):
    window = _parsed_or_refusal(text)

    if isinstance(window, str):
        assert window.startswith("hotspots_window_")
    else:
        assert window.first <= window.last
        assert (window.last - window.first).days < MAX_DAYS


def _parsed_or_refusal(text: str) -> Window | str:
    try:
        return parse_window(text)
    except Invalid as refused:
        return refused.code


@given(st.dates(min_value=date(2000, 1, 1)), st.integers(min_value=0, max_value=MAX_DAYS - 1))
def test_a_window_of_days_covers_exactly_its_local_days(first: date, length: int):
    last = date.fromordinal(first.toordinal() + length)
    window = parse_window(f"{first.isoformat()}/{last.isoformat()}")

    assert (window.end - window.start).total_seconds() == (length + 1) * 86400
    assert window.start.hour == 16  # local midnight in Asia/Shanghai, in UTC
    assert window.months()[0] == first.strftime("%Y-%m")
    assert window.months()[-1] == last.strftime("%Y-%m")


def test_a_month_window_runs_from_its_first_to_its_last_day():
    window = parse_window("2024-02")

    assert (window.first, window.last) == (date(2024, 2, 1), date(2024, 2, 29))


@given(st.lists(st.sampled_from(["theft", "fraud", "fire", " theft", ""]), max_size=6))
def test_known_classes_are_kept_once_in_their_order(parts: list[str]):
    asked = parse_classes(",".join(parts))

    wanted = list(dict.fromkeys(part.strip() for part in parts if part.strip()))
    assert list(asked) == wanted or (not wanted and len(asked) == 29)


def test_an_unknown_class_is_refused_by_name():
    with pytest.raises(Invalid) as refused:
        parse_classes("theft,ufo")

    assert refused.value.params["value"] == "ufo"
