"""Registry validators: valid identifiers round-trip, any typo or Excel damage is refused."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.errors import Invalid
from civicgrid.i18n import catalogue
from civicgrid.registry.validation import (
    CreditCode,
    PhoneKind,
    ResidentId,
    Sex,
    parse_credit_code,
    parse_phone,
    parse_region_code,
    parse_resident_id,
)

TODAY = date(2026, 6, 1)
ID_CHARS = "0123456789X"
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id_check_char(body: str) -> str:
    """GB 11643 as written: weights 2^(i-1) mod 11 from the right, total ≡ 1 (mod 11)."""
    total = sum(int(digit) * pow(2, 18 - position, 11) for position, digit in enumerate(body, 1))
    check = next(value for value in range(11) if (total + value) % 11 == 1)
    return "X" if check == 10 else str(check)


def organisation_check_char(body: str) -> str:
    """GB 11714 as written: the check value makes the weighted total a multiple of 11."""
    values = [int(char) if char.isdigit() else ord(char) - ord("A") + 10 for char in body]
    total = sum(
        value * weight for value, weight in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = next(value for value in range(11) if (total + value) % 11 == 0)
    return "X" if check == 10 else str(check)


def credit_check_char(body: str) -> str:
    """GB 32100 as written: weights 3^(i-1) mod 31, the check makes the total a multiple of 31."""
    total = sum(CREDIT_CHARS.index(char) * pow(3, index, 31) for index, char in enumerate(body))
    return CREDIT_CHARS[next(value for value in range(31) if (total + value) % 31 == 0)]


def with_id_check(body: str) -> str:
    return body + id_check_char(body)


def credit_code(head: str, organisation_body: str) -> str:
    body = head + organisation_body + organisation_check_char(organisation_body)
    return body + credit_check_char(body)


@st.composite
def valid_id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(["11", "31", "44", "53", "65", "81"]))
    area = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return with_id_check(f"{province}{area}{birth:%Y%m%d}{sequence}")


@st.composite
def valid_credit_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from("123456789ANY"))
    kind = draw(st.sampled_from("1239"))
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    organisation = draw(st.text(alphabet=CREDIT_CHARS, min_size=8, max_size=8))
    return credit_code(authority + kind + region, organisation)


def refusal(parse: Callable[[Any], object], value: object) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(value)
    return caught.value


def outcome(parse: Callable[[Any], object], value: object) -> str:
    """ "accepted", or the code of the refusal: anything else escaping fails the test."""
    try:
        parse(value)
    except Invalid as error:
        return error.code
    return "accepted"


# Resident ID numbers


def test_published_example_parses_into_region_birth_date_and_sex() -> None:
    assert parse_resident_id("11010519491231002X") == ResidentId(
        number="11010519491231002X",
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sex=Sex.FEMALE,
    )


def test_full_width_digits_spaces_and_lower_case_x_are_normalised() -> None:
    parsed = parse_resident_id("\u3000１１０１０５ 1949 1231 002ｘ\t")
    assert parsed.number == "11010519491231002X"


@given(valid_id_numbers())
def test_valid_id_numbers_are_accepted_and_their_parts_derived(number: str) -> None:
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.region_code == number[:6]
    assert f"{parsed.birth_date:%Y%m%d}" == number[6:14]
    assert parsed.sex is (Sex.MALE if int(number[16]) % 2 else Sex.FEMALE)


@given(valid_id_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_changing_any_single_character_is_refused(number: str, position: int, char: str) -> None:
    changed = number[:position] + char + number[position + 1 :]
    if changed == number:
        return
    error = refusal(parse_resident_id, changed)
    assert error.code in {"id_number_checksum", "id_number_format", "id_number_excel_mangled"}


@pytest.mark.parametrize(
    "cell",
    [
        "5.30502E+17",
        "5.30502e17",
        "530502199001011234.0",
        "530,502,199,001,011,000",
        530502199001011234.0,
        530502199001011234,
        "530502199001011000",
    ],
)
def test_numbers_excel_has_rounded_are_refused_not_repaired(cell: str | float) -> None:
    assert refusal(parse_resident_id, cell).code == "id_number_excel_mangled"


def test_legacy_fifteen_digit_numbers_are_refused_with_their_own_code() -> None:
    assert refusal(parse_resident_id, "110105491231002").code == "id_number_legacy"


@pytest.mark.parametrize(
    "value", ["", "1101051949123100", "1101051949123100X2", "11010519491231002XX"]
)
def test_wrong_length_or_characters_are_a_format_error(value: str) -> None:
    assert refusal(parse_resident_id, value).code == "id_number_format"


def test_a_typo_fails_the_checksum() -> None:
    assert refusal(parse_resident_id, "11010519491231003X").code == "id_number_checksum"


@pytest.mark.parametrize(
    "body",
    [
        "44052418800101001",  # the standard's own example, born 1880
        "53050219900230123",  # 30 February
        "53050219901301123",  # month 13
        "53050220260602123",  # the day after TODAY
    ],
)
def test_birth_dates_must_be_real_and_between_1900_and_today(body: str) -> None:
    error = refusal(lambda number: parse_resident_id(number, today=TODAY), with_id_check(body))
    assert error.code == "id_number_birth_date"


def test_someone_born_today_is_accepted() -> None:
    parsed = parse_resident_id(with_id_check("53050220260601123"), today=TODAY)
    assert parsed.birth_date == TODAY


@pytest.mark.parametrize("province", ["00", "10", "29", "99"])
def test_address_code_must_start_with_a_real_province(province: str) -> None:
    error = refusal(parse_resident_id, with_id_check(province + "050219900101123"))
    assert error.code == "id_number_region"
    assert error.params["province"] == province


def test_errors_show_only_a_masked_number_in_both_languages() -> None:
    error = refusal(parse_resident_id, "53050219900101123X")
    assert error.params == {"value": "5305**********123X"}
    for locale in ("zh-CN", "en"):
        message = error.message(locale)
        assert "5305**********123X" in message
        assert "19900101" not in message


@given(st.one_of(st.text(), st.floats(), st.integers()))
def test_arbitrary_input_yields_an_id_or_invalid(value: str | float) -> None:
    result = outcome(parse_resident_id, value)
    assert result == "accepted" or result.startswith("id_number_")


# Unified social credit codes


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_credit_codes_are_accepted(code: str) -> None:
    assert parse_credit_code(code).code == code


def test_credit_code_is_split_into_its_parts_after_normalising() -> None:
    assert parse_credit_code(" 91350100m000100y43\u3000") == CreditCode(
        code="91350100M000100Y43",
        registration_authority="9",
        organisation_type="1",
        region_code="350100",
        organisation_code="M000100Y4",
    )


@given(valid_credit_codes())
def test_valid_credit_codes_are_accepted(code: str) -> None:
    parsed = parse_credit_code(code)
    assert parsed.code == code
    assert parsed.organisation_code == code[8:17]


@given(valid_credit_codes(), st.integers(0, 17), st.sampled_from(CREDIT_CHARS + "IOZSV"))
def test_changing_any_single_credit_code_character_is_refused(
    code: str, position: int, char: str
) -> None:
    changed = code[:position] + char + code[position + 1 :]
    if changed == code:
        return
    assert refusal(parse_credit_code, changed).code.startswith("credit_code_")


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_a_format_error(letter: str) -> None:
    code = "91350100M000100Y4" + letter
    assert refusal(parse_credit_code, code).code == "credit_code_format"


def test_a_wrong_organisation_check_character_is_named() -> None:
    body = "91350100M000100Y5"
    error = refusal(parse_credit_code, body + credit_check_char(body))
    assert error.code == "credit_code_organisation_checksum"
    assert error.params["organisation"] == "M000100Y5"


def test_a_wrong_final_check_character_is_named() -> None:
    assert refusal(parse_credit_code, "91350100M000100Y44").code == "credit_code_checksum"


@pytest.mark.parametrize("head", ["01350100", "90350100", "9A350100", "913501A0"])
def test_authority_type_and_region_must_have_their_format(head: str) -> None:
    error = refusal(parse_credit_code, credit_code(head, "M000100Y"))
    assert error.code in {"credit_code_type", "credit_code_region"}


def test_a_credit_code_excel_turned_into_a_number_is_refused() -> None:
    assert refusal(parse_credit_code, 9.13501e17).code == "credit_code_excel_mangled"


@given(st.one_of(st.text(), st.floats(), st.integers()))
def test_arbitrary_input_yields_a_credit_code_or_invalid(value: str | float) -> None:
    result = outcome(parse_credit_code, value)
    assert result == "accepted" or result.startswith("credit_code_")


# Phone numbers


@pytest.mark.parametrize(
    ("written", "digits", "kind", "extension"),
    [
        ("13812345678", "13812345678", PhoneKind.MOBILE, None),
        ("+86 138-1234-5678", "13812345678", PhoneKind.MOBILE, None),
        ("0086 199 1234 5678", "19912345678", PhoneKind.MOBILE, None),
        ("１３８ １２３４ ５６７８", "13812345678", PhoneKind.MOBILE, None),
        (13812345678, "13812345678", PhoneKind.MOBILE, None),
        ("0871-6123456", "08716123456", PhoneKind.LANDLINE, None),
        ("(0871) 61234567", "087161234567", PhoneKind.LANDLINE, None),
        ("010-62345678", "01062345678", PhoneKind.LANDLINE, None),
        ("021 6123 4567", "02161234567", PhoneKind.LANDLINE, None),
        ("+86 871 6123456", "08716123456", PhoneKind.LANDLINE, None),
        ("0871-6123456 转 801", "08716123456", PhoneKind.LANDLINE, "801"),
        ("010-62345678 ext. 12", "01062345678", PhoneKind.LANDLINE, "12"),
        ("0871-6123456-801", "08716123456", PhoneKind.LANDLINE, "801"),
    ],
)
def test_phone_numbers_as_people_write_them_are_accepted(
    written: str | int, digits: str, kind: PhoneKind, extension: str | None
) -> None:
    phone = parse_phone(written)
    assert (phone.digits, phone.kind, phone.extension) == (digits, kind, extension)


@pytest.mark.parametrize(
    "written",
    [
        "",
        "12812345678",  # no mobile prefix starts 12
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "13812345678 转 8",  # a mobile has no extension
        "010-1234567",  # Beijing numbers have 8 digits
        "0871-0123456",  # a local number never starts with 0
        "8716123456",  # a landline that lost its 0 in Excel
        "4001234567",
        "+1 415 555 0100",
    ],
)
def test_other_phone_numbers_are_refused(written: str) -> None:
    assert refusal(parse_phone, written).code == "phone_invalid"


def test_a_landline_excel_stored_as_a_number_is_refused_with_a_hint() -> None:
    error = refusal(parse_phone, 8716123456)
    assert error.code == "phone_invalid"
    assert "Excel" in error.message("en")


def test_a_phone_number_excel_made_a_float_is_refused() -> None:
    assert refusal(parse_phone, 13812345678.0).code == "phone_excel_mangled"


def test_refused_phone_numbers_are_masked() -> None:
    assert refusal(parse_phone, "1381234567").params == {"value": "1381**4567"}


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86", "0086", "+86 "]),
    st.sampled_from(["", " ", "-"]),
)
def test_mobiles_round_trip_whatever_the_prefix_and_separators(
    mobile: str, prefix: str, separator: str
) -> None:
    written = prefix + separator.join([mobile[:3], mobile[3:7], mobile[7:]])
    assert parse_phone(written).digits == mobile


@given(st.one_of(st.text(), st.floats(), st.integers()))
def test_arbitrary_input_yields_a_phone_or_invalid(value: str | float) -> None:
    result = outcome(parse_phone, value)
    assert result == "accepted" or result.startswith("phone_")


# Division codes


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("５３０５０２", "530502"),
        (" 530502001001 ", "530502001001"),
        (530502001001, "530502001001"),
        ("530502000000", "530502"),
    ],
)
def test_region_codes_are_normalised_as_the_platform_stores_them(
    cell: str | int, code: str
) -> None:
    assert parse_region_code(cell) == code


@pytest.mark.parametrize("cell", [5.30502001001e11, "5.30502E+11", "530502.0"])
def test_region_codes_excel_turned_into_decimals_are_refused(cell: str | float) -> None:
    assert refusal(parse_region_code, cell).code == "region_code_excel_mangled"


@given(st.one_of(st.text(), st.floats(), st.integers()))
def test_arbitrary_input_yields_a_region_code_or_invalid(value: str | float) -> None:
    result = outcome(parse_region_code, value)
    assert result in {"accepted", "invalid_region_code", "region_code_excel_mangled"}


# Messages


@pytest.mark.parametrize(
    "code",
    [
        "id_number_excel_mangled",
        "id_number_legacy",
        "id_number_format",
        "id_number_checksum",
        "id_number_region",
        "id_number_birth_date",
        "credit_code_excel_mangled",
        "credit_code_format",
        "credit_code_type",
        "credit_code_region",
        "credit_code_organisation_checksum",
        "credit_code_checksum",
        "phone_excel_mangled",
        "phone_invalid",
        "region_code_excel_mangled",
    ],
)
def test_every_refusal_has_a_message_in_both_languages(code: str) -> None:
    for locale in ("zh-CN", "en"):
        assert f"error.{code}" in catalogue(locale)
