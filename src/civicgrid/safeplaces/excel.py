"""A month's safe-place list as an Excel workbook, headed in the reader's language."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.i18n import translate
from civicgrid.safeplaces.schemas import SafePlacesOut

COLUMNS = ("name", "place_code", "region_code", "events", "status", "published")


def workbook(found: SafePlacesOut, locale: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    level = translate(f"safe_places.level.{found.level}", locale)
    sheet.title = translate("safe_places.sheet", locale, month=found.month, level=level)
    sheet.append([translate(f"safe_places.column.{column}", locale) for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    yes, no = translate("safe_places.yes", locale), translate("safe_places.no", locale)
    for place in found.places:
        sheet.append(
            [
                place.name,
                place.place_code,
                place.region_code,
                place.events,
                place.status_label,
                yes if place.published else no,
            ]
        )
    sheet.column_dimensions["A"].width = 40
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
