"""The jurisdiction filter's range of codes means the same as "starts with the prefix"."""

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.auth.scope import prefix_range

DIGITS = st.text(alphabet="0123456789", max_size=15)


@given(prefix=DIGITS, code=DIGITS)
def test_a_code_is_in_the_range_exactly_when_it_starts_with_the_prefix(prefix: str, code: str):
    low, high = prefix_range(prefix)
    inside = low <= code and (high is None or code < high)
    assert inside == code.startswith(prefix)


@given(prefix=DIGITS.filter(bool), tail=DIGITS)
def test_every_code_under_a_prefix_is_inside(prefix: str, tail: str):
    low, high = prefix_range(prefix)
    code = prefix + tail
    assert low <= code
    assert high is None or code < high


def test_the_whole_country_and_a_prefix_of_nines_have_no_upper_end():
    assert prefix_range("") == ("", None)
    assert prefix_range("999") == ("999", None)
    assert prefix_range("53059") == ("53059", "53060")
