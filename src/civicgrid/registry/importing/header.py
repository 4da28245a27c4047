"""Finding the heading row of a file and where each known column stands in it."""

from dataclasses import dataclass
from functools import cache
from itertools import islice

from civicgrid.i18n import SUPPORTED_LOCALES, translate
from civicgrid.registry.cells import cell_text, folded
from civicgrid.registry.importing.columns import ADDRESS_REQUIRED, ALIAS_SEPARATOR, Column
from civicgrid.registry.importing.files import Rows
from civicgrid.registry.importing.report import ImportReport, RowError, column_label

HEADER_SEARCH_ROWS = 10  # offices put a title and a date line above the headings


@cache
def _heading_words(columns: tuple[Column, ...]) -> dict[str, str]:
    """Every spelling of each heading: its key, its label and the catalogue's aliases."""
    words: dict[str, str] = {}
    for column in columns:
        words[folded(column.key)] = column.key
        for locale in SUPPORTED_LOCALES:
            words[folded(column_label(column.key, locale))] = column.key
            aliases = translate(f"registry_import.alias.{column.key}", locale)
            if aliases != f"registry_import.alias.{column.key}":
                words |= {folded(alias): column.key for alias in aliases.split(ALIAS_SEPARATOR)}
    return words


@dataclass(frozen=True, slots=True)
class Header:
    number: int
    positions: dict[str, int]


def find_header(
    kind: str, columns: tuple[Column, ...], rows: Rows, report: ImportReport
) -> Header | None:
    """The first of the top rows naming two known columns: title lines above it are skipped."""
    words = _heading_words(columns)
    for number, cells in islice(rows, HEADER_SEARCH_ROWS):
        keys = [words.get(folded(cell)) for cell in cells]
        if sum(key is not None for key in keys) >= 2:
            return _header(kind, columns, HeadingRow(number, cells, keys), report)
    report.add([RowError(0, "", "registry_import_no_header", {"rows": HEADER_SEARCH_ROWS})])
    return None


@dataclass(frozen=True, slots=True)
class HeadingRow:
    number: int
    cells: tuple[object, ...]
    keys: list[str | None]


def _header(
    kind: str, columns: tuple[Column, ...], heading: HeadingRow, report: ImportReport
) -> Header | None:
    """Where each column is; unknown and repeated headings are warned about, missing ones refuse."""
    positions = _positions(heading, report)
    missing = [column.key for column in columns if column.required and column.key not in positions]
    if kind in ADDRESS_REQUIRED and "address" not in positions:
        missing.append("address")
    report.add(RowError(heading.number, key, "registry_import_column_missing") for key in missing)
    return None if missing else Header(heading.number, positions)


def _positions(heading: HeadingRow, report: ImportReport) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, (cell, key) in enumerate(zip(heading.cells, heading.keys, strict=True)):
        text = cell_text(cell)
        if key is None and text:
            report.warnings.append(
                RowError(heading.number, "", "registry_import_column_unknown", {"heading": text})
            )
        elif key is not None and key in positions:
            report.warnings.append(
                RowError(heading.number, key, "registry_import_column_repeated", {"heading": text})
            )
        elif key is not None:
            positions[key] = index
    return positions
