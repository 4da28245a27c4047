"""The indicator table as an Excel workbook, headed in the reader's language."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.analytics.schemas import RATES, figures
from civicgrid.analytics.service import Counts, IndicatorReport
from civicgrid.i18n import translate

COUNTS = (
    "received",
    "dispatched",
    "dispatched_on_time",
    "handled",
    "handled_on_time",
    "closed",
    "overdue",
    "returned",
    "reworked",
    "rejected",
    "merged",
    "rated",
    "satisfied",
)
COLUMNS = ("key", "name", *COUNTS, *RATES, "score")
FORMATS = {**dict.fromkeys(RATES, "0.0%"), "score": "0.0"}


def workbook(report: IndicatorReport, locale: str) -> bytes:
    """One header row, one row per group, a total row; rates as percentages."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = translate("indicators.sheet", locale)
    sheet.append([translate(f"indicators.column.{column}", locale) for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        name = row.name or translate("indicators.no_department", locale)
        sheet.append(_line(row.key, name, row.counts))
    sheet.append(_line(None, translate("indicators.total", locale), report.total))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    _format(sheet)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _line(key: str | None, name: str, counts: Counts) -> list[object]:
    values = figures(counts)
    return [key or "", name, *(values[column] for column in COLUMNS[2:])]


def _format(sheet: Worksheet) -> None:
    sheet.freeze_panes = "C2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 18 if column in {"key", "name"} else 12
        number_format = FORMATS.get(column)
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
