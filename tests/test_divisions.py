"""Region codes: what the hierarchy accepts, and how jurisdiction prefixes follow."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.divisions import (
    Level,
    child_code,
    contains,
    level_of,
    normalise_code,
    parent_code,
    significant_prefix,
)
from civicgrid.errors import Invalid

segment = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")
district = st.tuples(st.integers(11, 65), st.integers(1, 90), st.integers(1, 99)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]:02d}"
)


@st.composite
def codes_below_district(draw: st.DrawFn) -> str:
    depth = draw(st.integers(min_value=0, max_value=3))
    return draw(district) + "".join(draw(segment) for _ in range(depth))


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("530000", Level.PROVINCE, "53"),
        ("530500", Level.CITY, "5305"),
        ("530502", Level.DISTRICT, "530502"),
        ("530502001", Level.STREET, "530502001"),
        ("530502001001", Level.COMMUNITY, "530502001001"),
        ("530502001001007", Level.GRID, "530502001001007"),
    ],
)
def test_each_level_has_its_length_and_significant_digits(code, level, prefix):
    assert normalise_code(code) == code
    assert level_of(code) is level
    assert significant_prefix(code) == prefix


def test_padded_statistical_codes_fold_onto_their_level():
    assert normalise_code("530502000000") == "530502"
    assert normalise_code("530502001000") == "530502001"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "5305",
        "53050",
        "5305020010",
        "abcdef",
        "530502001000007",
        "000000",
        "530502000",
        "５３０５０２",
    ],
)
def test_malformed_codes_are_refused(bad):
    with pytest.raises(Invalid):
        normalise_code(bad)


@given(codes_below_district())
def test_every_code_lies_inside_its_parents(code):
    assert normalise_code(code) == code
    ancestor = parent_code(code)
    while ancestor is not None:
        assert contains(ancestor, code)
        ancestor = parent_code(ancestor)


@given(codes_below_district(), codes_below_district())
def test_containment_is_prefix_of_significant_digits(outer, inner):
    assert contains(outer, inner) == inner.startswith(significant_prefix(outer))


@given(codes_below_district().filter(lambda c: len(c) < 15), st.integers(1, 999))
def test_a_child_extends_its_parent_by_three_digits(parent, number):
    child = child_code(parent, number)
    assert parent_code(child) == parent
    assert level_of(child) is not level_of(parent)


@given(st.text(max_size=20))
def test_arbitrary_text_is_either_a_valid_code_or_refused_cleanly(raw):
    try:
        code = normalise_code(raw)
    except Invalid:
        return
    assert code.isascii()
    assert code.isdigit()
    assert len(code) in {6, 9, 12, 15}
