"""The roster as a workbook: exported for printing and sharing, imported to fill a month.

Columns: date (YYYY-MM-DD), shift (白班/夜班 or day/night), centre region code,
username, note. An import is all or nothing: the first bad row refuses the file,
naming the row (the caller rolls back).
"""

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from civicgrid.errors import Invalid
from civicgrid.i18n import SUPPORTED_LOCALES, translate
from civicgrid.roster.service import Duty, Shift
from civicgrid.spreadsheet import cell_code, cell_text

MAX_WORKBOOK_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = ("day", "shift", "region_code", "username", "note")


def export_workbook(duties: Sequence[Duty], *, locale: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate("roster.sheet", locale)
    sheet.append(
        [translate(f"roster.column.{column}", locale) for column in COLUMNS]
        + [
            translate("roster.column.region_name", locale),
            translate("roster.column.display_name", locale),
        ]
    )
    for duty in duties:
        row = duty.assignment
        sheet.append(
            [
                row.day.isoformat(),
                translate(f"roster.shift.{row.shift}", locale),
                row.region_code,
                duty.user.username,
                row.note,
                duty.region_name,
                duty.user.display_name,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(content: bytes) -> list[tuple[int, date, Shift, str, str, str]]:
    """(row number, day, shift, region code, username, note) for every filled row."""
    if len(content) > MAX_WORKBOOK_BYTES:
        raise Invalid("duty_import_too_large", limit=MAX_WORKBOOK_BYTES // (1024 * 1024))
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        raise Invalid("excel_unreadable") from None
    filled = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    if len(filled) > MAX_ROWS:
        raise Invalid("excel_too_many_rows", limit=MAX_ROWS)
    return [_row(number, (*row, None, None, None, None, None)[:5]) for number, row in filled]


def _row(number: int, cells: tuple[object, ...]) -> tuple[int, date, Shift, str, str, str]:
    day_cell, shift_cell, region, username, note = cells
    return (
        number,
        _day(number, day_cell),
        _shift(number, shift_cell),
        cell_code(region),
        cell_text(username),
        cell_text(note),
    )


def _day(number: int, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(cell_text(value))
    except ValueError:
        raise Invalid("duty_import_day", row=number, value=cell_text(value)) from None


def _shift(number: int, value: object) -> Shift:
    text = cell_text(value).casefold()
    for shift in Shift:
        names = {shift.value} | {
            translate(f"roster.shift.{shift.value}", locale).casefold()
            for locale in SUPPORTED_LOCALES
        }
        if text in names:
            return shift
    raise Invalid("duty_import_shift", row=number, value=cell_text(value))
