"""The taxonomy as an Excel workbook: export for editing in office software, import back.

One row per category under a header row of column labels (Chinese by default).
An import reads every row, reports each problem with its row and column, and
stores nothing unless the whole workbook is good: a half-applied taxonomy would
file new cases under categories whose group or time limits are about to change.

Workbooks that went through office software arrive with padded cells, numbers
typed as text, full-width characters and TRUE/FALSE or 是/否 for yes and no; the
kernel's `civicgrid.spreadsheet` readers and the taxonomy's own (yes/no, hour
basis, risk class) accept all of these and refuse only what cannot be meant.
"""

import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.categories.drafts import CategoryDraft, check_drafts, tidy
from civicgrid.categories.models import Category
from civicgrid.categories.reference import (
    DEFAULT_HOUR_BASIS,
    DEPARTMENT_LEVELS,
    HOUR_BASES,
    SLA_STAGES,
    risk_classes,
)
from civicgrid.categories.service import require_keeper, save_edits
from civicgrid.categories.taxonomy import category_tree, list_categories
from civicgrid.errors import Invalid
from civicgrid.i18n import SUPPORTED_LOCALES, translate
from civicgrid.spreadsheet import (
    CellError,
    cell_code,
    cell_integer,
    cell_list,
    cell_number,
    cell_text,
    folded,
)
from civicgrid.spreadsheet import RowError as SheetRowError

MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# The list separator of Chinese text (、), which lists are written back with.
KEYWORD_SEPARATOR = "\u3001"

COLUMNS: tuple[str, ...] = (
    "code",
    "parent_code",
    "name",
    "name_en",
    *(f"sla_hours.{stage}" for stage in SLA_STAGES),
    "hour_basis",
    *(f"default_departments.{level}" for level in DEPARTMENT_LEVELS),
    "self_resolvable",
    "risk_class",
    "keywords",
    "active",
    "position",
)
_WIDE_COLUMNS = {"name": 24, "name_en": 36, "keywords": 60}

T = TypeVar("T")


@cache
def _boolean_words() -> dict[str, bool]:
    words = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
    words |= {"1": True, "0": False}
    for locale in SUPPORTED_LOCALES:
        words[folded(translate("category.yes", locale))] = True
        words[folded(translate("category.no", locale))] = False
    return words


def cell_bool(value: object) -> bool | None:
    """TRUE/FALSE (Excel's own or typed), 是/否, yes/no, 1/0; None for an empty cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = folded(value)
    if not text:
        return None
    if text not in _boolean_words():
        raise CellError("cell_boolean_expected", value=cell_text(value))
    return _boolean_words()[text]


@cache
def _hour_basis_words() -> dict[str, str]:
    words = {basis: basis for basis in HOUR_BASES}
    for locale in SUPPORTED_LOCALES:
        words |= {folded(_hour_basis_label(basis, locale)): basis for basis in HOUR_BASES}
    return words


def _hour_basis_label(basis: str, locale: str) -> str:
    return translate(f"category.hour_basis.{basis}", locale)


def cell_hour_basis(value: object) -> str | None:
    """The slug or its label in any language; anything else is left for the validator."""
    text = folded(value)
    if not text:
        return None
    return _hour_basis_words().get(text, cell_text(value))


@cache
def _risk_class_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for risk in risk_classes():
        words |= {folded(name): risk.code for name in (risk.code, risk.name, risk.name_en)}
    return words


def cell_risk_class(value: object) -> str | None:
    """A risk class by code or by name in either language."""
    text = folded(value)
    if not text:
        return None
    return _risk_class_words().get(text, cell_text(value))


def column_label(column: str, locale: str) -> str:
    return translate(f"category.column.{column}", locale)


def export_workbook(db: Session, *, locale: str) -> bytes:
    """Every category, active or not, each group followed by its categories."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = translate("category.sheet", locale)
    sheet.append([column_label(column, locale) for column in COLUMNS])
    for group, children in category_tree(list_categories(db, active_only=False)):
        for category in (group, *children):
            sheet.append(_row(category, locale))
    _format(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(category: Category, locale: str) -> list[object]:
    sla = [_hours(category.sla_hours.get(stage)) for stage in SLA_STAGES]
    departments = [category.default_departments.get(level) for level in DEPARTMENT_LEVELS]
    return [
        category.code,
        category.parent_code,
        category.name,
        category.name_en,
        *sla,
        _hour_basis_label(category.hour_basis, locale),
        *departments,
        _yes_no(category.self_resolvable, locale),
        category.risk_class,
        KEYWORD_SEPARATOR.join(category.keywords),
        _yes_no(category.active, locale),
        category.position,
    ]


def _hours(hours: float | None) -> float | int | None:
    if hours is None:
        return None
    return int(hours) if float(hours).is_integer() else float(hours)


def _yes_no(value: bool, locale: str) -> str:
    return translate("category.yes" if value else "category.no", locale)


def _format(sheet: Any) -> None:
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDE_COLUMNS.get(column, 14)


@dataclass(frozen=True)
class RowError(SheetRowError):
    """One problem of an imported workbook. Row 0 is the file itself; `column` may be ""."""

    column_ids = "category.column.{column}"
    line_id = "import.categories.row_error"


@dataclass(frozen=True)
class CategoryImportReport:
    """What a workbook import read and stored; `errors` empty means it was stored."""

    file: str
    read: int
    created: int = 0
    updated: int = 0
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self, locale: str) -> list[str]:
        summary = translate(
            "import.categories.summary",
            locale,
            file=self.file,
            read=self.read,
            created=self.created,
            updated=self.updated,
            errors=len(self.errors),
        )
        outcome = "import.categories.rejected" if self.errors else "import.categories.stored"
        return [summary, translate(outcome, locale), *(e.line(locale) for e in self.errors)]


def import_workbook(
    db: Session, *, actor: Actor, content: bytes, filename: str
) -> CategoryImportReport:
    """Check a workbook and, when it has no error, create or update every category in it.

    Categories the workbook leaves out stay as they are. Never raises for a bad
    file: every problem goes into the report. The caller commits.
    """
    require_keeper(actor)
    if len(content) > MAX_WORKBOOK_BYTES:
        raise Invalid("category_import_too_large", limit=MAX_WORKBOOK_BYTES // (1024 * 1024))
    try:
        rows = _sheet_rows(content)
    except CellError as error:
        return CategoryImportReport(
            filename, 0, errors=(RowError(0, "", error.code, error.params),)
        )
    return _import_rows(db, actor, rows, filename)


def _sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    """The first sheet's rows as values (formulas as last computed by office software).

    Broken XML inside the zip (SyntaxError is the parsers' common base) is an
    unreadable file, whether openpyxl meets it on opening or while reading the sheet.
    """
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        raise CellError("excel_unreadable") from None
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    except SyntaxError:
        raise CellError("excel_unreadable") from None
    finally:
        workbook.close()


def _import_rows(
    db: Session, actor: Actor, rows: Sequence[tuple[object, ...]], filename: str
) -> CategoryImportReport:
    if not rows:
        return CategoryImportReport(filename, 0, errors=(RowError(0, "", "excel_empty"),))
    positions, missing = _header(rows[0])
    if missing:
        errors = tuple(RowError(1, column, "excel_column_missing") for column in missing)
        return CategoryImportReport(filename, 0, errors=errors)
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(_filled(row))]
    if len(numbered) > MAX_ROWS:
        error = RowError(0, "", "excel_too_many_rows", {"limit": MAX_ROWS})
        return CategoryImportReport(filename, len(numbered), errors=(error,))
    parsed = [_RowReader(number, _cells(row, positions)) for number, row in numbered]
    errors = _workbook_errors(db, parsed)
    if errors:
        return CategoryImportReport(filename, len(parsed), errors=errors)
    created, updated = save_edits(db, actor, [row.draft for row in parsed])
    return CategoryImportReport(filename, len(parsed), created, updated)


def _filled(row: tuple[object, ...]) -> list[bool]:
    return [bool(cell_text(cell)) for cell in row]


@cache
def _header_words() -> dict[str, str]:
    """Every spelling of a column heading: its key or its label in any language."""
    words = {_heading(column): column for column in COLUMNS}
    for locale in SUPPORTED_LOCALES:
        words |= {_heading(column_label(column, locale)): column for column in COLUMNS}
    return words


def _heading(text: object) -> str:
    """Headings compared without spaces, width or case: "受理时限 (小时)" is "受理时限（小时）"."""
    return re.sub(r"\s+", "", folded(text))


def _header(cells: tuple[object, ...]) -> tuple[dict[str, int], list[str]]:
    """Where each column is, and the columns that are missing; extra columns are ignored."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _header_words().get(_heading(cell))
        if column is not None:
            positions.setdefault(column, index)
    return positions, [column for column in COLUMNS if column not in positions]


def _cells(row: tuple[object, ...], positions: Mapping[str, int]) -> dict[str, object]:
    return {column: row[index] if index < len(row) else None for column, index in positions.items()}


class _RowReader:
    """Reads one row into a draft, keeping every cell it could not read."""

    def __init__(self, number: int, cells: Mapping[str, object]) -> None:
        self.number = number
        self._cells = cells
        self.errors: list[RowError] = []
        self.draft = tidy(self._draft())

    def _read(self, column: str, parse: Callable[[object], T | None], default: T) -> T:
        try:
            value = parse(self._cells.get(column))
        except CellError as error:
            self.errors.append(RowError(self.number, column, error.code, error.params))
            return default
        return default if value is None else value

    def _draft(self) -> CategoryDraft:
        sla = {stage: self._read(f"sla_hours.{stage}", cell_number, None) for stage in SLA_STAGES}
        departments = {
            level: self._read(f"default_departments.{level}", cell_text, "")
            for level in DEPARTMENT_LEVELS
        }
        return CategoryDraft(
            code=self._read("code", cell_code, ""),
            parent_code=self._read("parent_code", cell_code, "") or None,
            name=self._read("name", cell_text, ""),
            name_en=self._read("name_en", cell_text, ""),
            sla_hours={stage: hours for stage, hours in sla.items() if hours is not None},
            hour_basis=self._read("hour_basis", cell_hour_basis, DEFAULT_HOUR_BASIS),
            default_departments={level: kind for level, kind in departments.items() if kind},
            self_resolvable=self._read("self_resolvable", cell_bool, False),
            risk_class=self._read("risk_class", cell_risk_class, "") or None,
            keywords=tuple(self._read("keywords", cell_list, [])),
            active=self._read("active", cell_bool, True),
            position=self._read("position", cell_integer, 0),
        )


def _workbook_errors(db: Session, rows: Sequence[_RowReader]) -> tuple[RowError, ...]:
    """Cell errors, repeated codes, then the taxonomy rules for the fields read cleanly."""
    errors = [error for row in rows for error in row.errors]
    errors += _duplicate_codes(rows)
    unreadable = {(error.row, error.column) for error in errors}
    for index, problem in check_drafts(db, [row.draft for row in rows]):
        error = RowError(rows[index].number, _column_of(problem.path), problem.code, problem.params)
        if (error.row, error.column) not in unreadable:
            errors.append(error)
    return tuple(sorted(errors, key=lambda error: (error.row, _column_order(error.column))))


def _duplicate_codes(rows: Sequence[_RowReader]) -> list[RowError]:
    first: dict[str, int] = {}
    errors = []
    for row in rows:
        code = row.draft.code
        if code and code in first:
            params = {"code": code, "row": first[code]}
            errors.append(RowError(row.number, "code", "category_code_repeated", params))
        first.setdefault(code, row.number)
    return errors


def _column_of(path: str) -> str:
    """The column a validator's field is read from; a whole-dict field maps to no column."""
    return path if path in COLUMNS else ""


def _column_order(column: str) -> int:
    return COLUMNS.index(column) if column in COLUMNS else -1
