"""GB/T 28181 device codes: parsed into their parts, refused with the part that is wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.alarms.device_codes import (
    PROVINCES,
    TYPE_CODES,
    DeviceCode,
    DeviceKind,
    parse_device_code,
    require_code_fits,
)
from civicgrid.errors import Invalid

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def test_a_camera_code_is_read_into_centre_industry_type_network_and_serial():
    code = parse_device_code(" 34020000001320000001 ")
    assert code == DeviceCode(
        centre="34020000", industry="00", type_code=132, network="0", serial="000001"
    )
    assert code.division == "340200"
    assert str(code) == "34020000001320000001"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("3402000000132000001", "device_code_format"),  # 19 digits
        ("3402000000132000000１", "device_code_format"),  # a full-width digit
        ("99020000001320000001", "device_code_centre"),  # no province 99
        ("34000100001320000001", "device_code_centre"),  # a county under no city
        ("34020000001329000001", "device_code_network"),  # network 9 is reserved
        ("34020000002000000001", "device_code_not_front_end"),  # 200: a platform server
    ],
)
def test_a_malformed_code_is_refused_naming_what_is_wrong(raw: str, error: str):
    with pytest.raises(Invalid) as refused:
        parse_device_code(raw)
    assert refused.value.code == error


def test_a_code_must_carry_its_kinds_type_and_a_centre_over_its_place():
    camera = parse_device_code("53050200081326000002")
    require_code_fits(camera, kind=DeviceKind.CAMERA, region_code="530502001001001")
    with pytest.raises(Invalid) as wrong_kind:
        require_code_fits(camera, kind=DeviceKind.SOS_BUTTON, region_code="530502001001001")
    assert wrong_kind.value.code == "device_code_kind_mismatch"
    with pytest.raises(Invalid) as elsewhere:
        require_code_fits(camera, kind=DeviceKind.CAMERA, region_code="530521001001001")
    assert elsewhere.value.code == "device_code_outside_centre"


def test_a_city_centre_covers_every_district_of_its_city():
    city_camera = parse_device_code("53050000081326000002")
    assert city_camera.division == "530500"
    require_code_fits(city_camera, kind=DeviceKind.CAMERA, region_code="530521001001001")


valid_codes = st.builds(
    DeviceCode,
    centre=st.tuples(
        st.sampled_from(sorted(PROVINCES)),
        st.integers(1, 99),
        st.integers(1, 99),
        st.integers(0, 99),
    ).map(lambda parts: f"{parts[0]}{parts[1]:02d}{parts[2]:02d}{parts[3]:02d}"),
    industry=st.integers(0, 99).map(lambda n: f"{n:02d}"),
    type_code=st.integers(111, 199),
    network=st.sampled_from("012345678"),
    serial=st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
)


@given(valid_codes)
def test_every_well_formed_code_reads_back_into_the_same_parts(code: DeviceCode):
    assert parse_device_code(str(code)) == code
    assert len(str(code)) == 20


@given(st.text(max_size=40))
def test_any_text_either_parses_to_twenty_digits_or_is_refused_as_invalid(raw: str):
    try:
        parsed = parse_device_code(raw)
    except Invalid:
        return
    assert str(parsed) == raw.strip()
    assert str(parsed).isascii()
    assert str(parsed).isdigit()


@given(valid_codes, st.integers(0, 19), digits)
def test_changing_one_digit_gives_a_different_code_or_a_refusal(
    code: DeviceCode, position: int, digit: str
):
    text = str(code)
    changed = text[:position] + digit + text[position + 1 :]
    try:
        parsed = parse_device_code(changed)
    except Invalid:
        return
    assert (str(parsed) == text) == (changed == text)


@given(valid_codes, st.sampled_from(list(DeviceKind)))
def test_a_code_fits_a_kind_exactly_when_its_type_is_one_of_the_kinds(
    code: DeviceCode, kind: DeviceKind
):
    inside = f"{code.division[:6]}001001001"
    if code.type_code in TYPE_CODES[kind]:
        require_code_fits(code, kind=kind, region_code=inside)
        return
    with pytest.raises(Invalid) as refused:
        require_code_fits(code, kind=kind, region_code=inside)
    assert refused.value.code == "device_code_kind_mismatch"
