"""Reading office-Excel cells: padding, numbers as text, and every spelling of yes and no."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.categories.excel import cell_bool, cell_hour_basis, cell_risk_class
from civicgrid.spreadsheet import (
    CellError,
    cell_code,
    cell_integer,
    cell_list,
    cell_number,
    cell_text,
)

PADDING = st.text(alphabet=" \t\u3000\u00a0\u200b\ufeff\n", max_size=4)
WORD = st.text(
    alphabet=st.characters(whitelist_categories=("Lo", "Lu", "Ll", "Nd"), max_codepoint=0x9FFF),
    min_size=1,
    max_size=8,
)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 3)),
    PADDING,
    PADDING,
)
def test_a_number_typed_as_padded_text_reads_as_the_number(number, before, after):
    assert cell_number(f"{before}{number!r}{after}") == pytest.approx(number)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_whole_numbers_read_the_same_stored_as_number_text_or_float(number):
    assert cell_integer(number) == cell_integer(str(number)) == cell_integer(float(number))
    assert cell_integer(f" {number:,} ") == number


def test_full_width_digits_read_as_digits():
    assert cell_number("２４") == 24
    assert cell_number("\u3000１２.５ ") == 12.5


@given(PADDING)
def test_an_empty_or_blank_cell_has_no_value(blank):
    assert cell_number(blank) is None
    assert cell_bool(blank) is None
    assert cell_text(blank) == ""
    assert cell_list(blank) == []


@pytest.mark.parametrize("value", ["abc", "12h", "1..2", "nan", "inf", "-inf", True, float("nan")])
def test_text_that_is_not_a_number_is_refused_quoting_it(value):
    with pytest.raises(CellError) as refused:
        cell_number(value)
    assert refused.value.code == "cell_number_expected"


def test_a_fraction_is_not_a_whole_number():
    with pytest.raises(CellError) as refused:
        cell_integer("2.5")
    assert refused.value.params == {"value": "2.5"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("TRUE", True),
        ("FALSE", False),
        (" true ", True),
        ("是", True),
        ("否", False),
        ("Yes", True),
        ("no", False),
        ("Y", True),
        ("1", True),
        (0, False),
        (1.0, True),
        ("ＴＲＵＥ", True),
    ],
)
def test_every_spelling_of_yes_and_no_is_understood(value, expected):
    assert cell_bool(value) is expected


@given(st.text(alphabet="abcdeghijklmopqrsuvwxz23456789?!", min_size=1, max_size=6), PADDING)
def test_anything_else_is_refused_as_not_a_yes_or_no(text, padding):
    # Without f, n, t or y no spelling of yes/no can be formed.
    with pytest.raises(CellError) as refused:
        cell_bool(padding + text + padding)
    assert refused.value.code == "cell_boolean_expected"
    assert refused.value.params == {"value": text}


@given(
    st.lists(WORD, min_size=1, max_size=10, unique=True),
    st.sampled_from(["、", ",", "，", ";", "；", "\n", " 、 "]),
)
def test_keywords_joined_by_any_separator_split_back_to_the_same_list(words, separator):
    assert cell_list(separator.join(words)) == words


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_a_number_in_a_text_column_reads_as_typed(number):
    text = cell_text(number)
    assert float(text) == number
    if number.is_integer():
        assert "." not in text


def test_codes_are_upper_cased_ascii_whatever_the_keyboard_mode():
    assert cell_code(" um－０１－０３ ") == "UM-01-03"


def test_hour_basis_and_risk_class_accept_labels_in_either_language():
    assert cell_hour_basis("工作小时") == "working"
    assert cell_hour_basis("Natural Hours") == "natural"
    assert cell_hour_basis(" natural ") == "natural"
    assert cell_hour_basis("lunar") == "lunar"
    assert cell_risk_class("燃气安全") == "gas"
    assert cell_risk_class("Gas safety") == "gas"
    assert cell_risk_class(" FIRE ") == "fire"
    assert cell_risk_class("") is None


def test_numbers_never_come_back_infinite():
    with pytest.raises(CellError):
        cell_number(math.inf)
