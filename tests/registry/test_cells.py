"""Reading register cells as offices write them: padding, mixed dates, numbers Excel mangled."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from civicgrid.errors import Invalid
from civicgrid.registry.cells import (
    EXCEL_EPOCH,
    cell_choice,
    cell_choices,
    cell_coordinate,
    cell_date,
    cell_name,
    cell_text,
)
from civicgrid.registry.validation import parse_phone, parse_resident_id, resident_id_check_char

PADDING = st.text(alphabet=" \t\u3000\u00a0\n", max_size=3)
DATES = st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31))
SPELLINGS = (
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}/{d.month}/{d.day} 9:32:09",
    lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}T08:00",
)
HAN = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1)


@given(DATES, st.sampled_from(SPELLINGS), PADDING, PADDING)
def test_every_date_spelling_offices_use_reads_as_the_same_day(day, spell, before, after):
    assert cell_date(f"{before}{spell(day)}{after}") == day


@given(DATES)
def test_an_excel_serial_reads_as_its_day_whether_number_or_text(day):
    serial = (day - EXCEL_EPOCH).days
    assert cell_date(serial) == cell_date(float(serial)) == cell_date(str(serial)) == day
    assert cell_date(datetime.combine(day, datetime.min.time()) + timedelta(hours=9)) == day


@given(DATES)
def test_a_compact_date_typed_into_a_number_cell_reads_as_that_day(day):
    assert cell_date(int(day.strftime("%Y%m%d"))) == day


@pytest.mark.parametrize("value", ["2023-02-30", "2023年13月1日", "18000101"])
def test_an_impossible_date_is_refused(value):
    with pytest.raises(Invalid) as refused:
        cell_date(value)
    assert refused.value.code == "registry_import_date_invalid"


@pytest.mark.parametrize("value", ["昨天", "5/1/2023", "2023-1", True, 12.5])
def test_text_that_is_no_date_is_refused_quoting_it(value):
    with pytest.raises(Invalid) as refused:
        cell_date(value)
    assert refused.value.code == "registry_import_date_expected"


@given(PADDING, PADDING)
def test_blank_cells_have_no_date(before, after):
    assert cell_date(before + after) is None
    assert cell_date(None) is None


@given(st.lists(HAN, min_size=1, max_size=3), PADDING, st.lists(PADDING, min_size=2, max_size=2))
def test_spaces_typed_to_line_names_up_are_dropped(parts, inner, ends):
    padded = ends[0] + (inner or " ").join(parts) + ends[1]
    assert cell_name(padded) == "".join(parts)


def test_spaces_inside_latin_names_are_kept():
    assert cell_name("  Anna  Li ") == "Anna  Li"


@given(st.floats(min_value=73, max_value=136, allow_nan=False), PADDING, PADDING)
def test_a_coordinate_typed_as_padded_text_reads_as_the_number(lng, before, after):
    assert cell_coordinate(f"{before}{lng!r}{after}", low=73, high=136) == pytest.approx(lng)


def test_a_swapped_coordinate_is_refused_naming_the_range():
    with pytest.raises(Invalid) as refused:
        cell_coordinate("25.1", low=73, high=136)
    assert refused.value.params == {"value": "25.1", "low": 73, "high": 136}


WORDS = {"户籍": "registered", "registered": "registered", "流动": "floating"}


@given(PADDING, PADDING)
def test_choices_read_in_any_width_and_case(before, after):
    assert cell_choice(f"{before}ＲＥＧＩＳＴＥＲＥＤ{after}", WORDS) == "registered"
    assert cell_choices(f"{before}户籍、流动，户籍{after}", WORDS) == ["registered", "floating"]


def test_an_unknown_choice_is_refused_quoting_it():
    with pytest.raises(Invalid) as refused:
        cell_choice(" 外星 ", WORDS)
    assert refused.value.params == {"value": "外星"}


ID_BODIES = st.builds(
    lambda day, serial: f"530502{day:%Y%m%d}{serial:03d}",
    st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(ID_BODIES)
def test_an_id_number_excel_turned_into_a_number_is_refused_never_repaired(body):
    number = body + resident_id_check_char(body)
    as_float = float(number.replace("X", "0"))
    for mangled in (as_float, f"{as_float:.5E}", f"{as_float:.14E}", int(as_float)):
        with pytest.raises(Invalid) as refused:
            parse_resident_id(mangled)
        assert refused.value.code == "id_number_excel_mangled"
    assert parse_resident_id(f" {number} ").number == number


@given(st.integers(min_value=13_000_000_000, max_value=19_999_999_999))
def test_a_mobile_excel_stored_as_a_float_is_refused(number):
    with pytest.raises(Invalid) as refused:
        parse_phone(float(number))
    assert refused.value.code == "phone_excel_mangled"
    with pytest.raises(Invalid):
        parse_phone(f"{float(number):.5E}")


def test_the_government_export_s_padded_text_and_mixed_dates_are_read(shared_data: Path):
    """Every 留言时间 and 答复时间 of the real export reads as a date; padding is gone."""
    path = shared_data / "messages" / "messages_with_replies.xlsx"
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    headings = [cell_text(cell) for cell in next(rows)]
    asked, replied, details = (
        headings.index(name) for name in ("留言时间", "答复时间", "留言详情")
    )
    read = 0
    for row in rows:
        for column in (asked, replied):
            found = cell_date(row[column])
            assert found is not None
            assert date(2010, 1, 1) <= found <= date(2021, 12, 31)
        detail = cell_text(row[details])
        assert detail == detail.strip()
        assert not detail.startswith(("\n", "\t"))
        read += 1
    workbook.close()
    assert read > 2000
