"""Importing registry files (CSV or .xlsx): every row checked, every problem reported by row.

A file is stored in full or not at all: one bad ID number refuses the whole
file, with each bad row listed as the clerk sees it in Excel (row number,
column heading, what is wrong), unless the clerk chooses to skip the bad rows.
The import is one transaction that this module commits or rolls back itself,
so call it with a session that holds nothing else.

Speed matters (a city's register is millions of rows): rows are read and
checked in chunks, the database is asked once per chunk (duplicate ID numbers
by blind index, known households), and each chunk is written with multi-row
inserts rather than one ORM object at a time. The columns of each kind are
described in docs/registry-import.md.
"""

import codecs
import csv
import time
import zipfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache, lru_cache, partial
from itertools import islice
from pathlib import Path
from typing import Any, cast

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Dialect, LargeBinary, Table, select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from civicgrid.auth.scope import Actor, may_see
from civicgrid.db import Base
from civicgrid.divisions import Level
from civicgrid.errors import BatchInvalid, DomainError, Forbidden, Invalid
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import SUPPORTED_LOCALES, translate
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.registry.cells import (
    cell_choice,
    cell_choices,
    cell_coordinate,
    cell_date,
    cell_name,
    cell_number,
    cell_text,
    folded,
)
from civicgrid.registry.models import (
    CareGroup,
    CareMembership,
    DocumentKind,
    Household,
    Housing,
    HousingUse,
    KeyPlace,
    Organisation,
    OrganisationKind,
    PlaceKind,
    ResidenceKind,
    Resident,
    Tenure,
)
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.roles import IMPORT_ROLES
from civicgrid.registry.sealing import (
    CONTACT_PHONE,
    DOCUMENT,
    OWNER_PHONE,
    PHONE,
    cipher_for,
    index_of,
    new_uid,
    seal,
)
from civicgrid.registry.validation import (
    parse_credit_code,
    parse_phone,
    parse_region_code,
    parse_resident_id,
)
from civicgrid.settings import Settings
from civicgrid.spreadsheet import CellError, cell_integer
from civicgrid.spreadsheet import RowError as SheetRowError
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

CHUNK_ROWS = 5000
MAX_REPORTED_ERRORS = 1000
HEADER_SEARCH_ROWS = 10  # offices put a title and a date line above the headings
SNIFF_BYTES = 1 << 20
# Mainland China's extent, so a swapped longitude and latitude is caught before locating.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
ALIAS_SEPARATOR = "|"


class ImportKind(StrEnum):
    RESIDENTS = "residents"
    HOUSEHOLDS = "households"
    HOUSING = "housing"
    ORGANISATIONS = "organisations"
    KEY_PLACES = "key_places"


@dataclass(frozen=True)
class RowError(SheetRowError):
    """One problem: row 0 is the file itself; `column` is a column key or ""."""

    column_ids = "registry_import.column.{column}"
    line_id = "registry_import.row_error"


@dataclass
class ImportReport:
    """What an import read, stored and refused.

    `errors` holds the first MAX_REPORTED_ERRORS problems, `error_count` all of
    them; `skipped` counts the rows with a problem, which are never stored.
    """

    kind: ImportKind
    file: str
    dry_run: bool = False
    skip_bad_rows: bool = False
    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        """Rows were refused and nothing was stored: the command exits non-zero."""
        return self.error_count > 0 and self.imported == 0

    def add(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def lines(self, locale: str) -> list[str]:
        summary = translate(
            "registry_import.summary",
            locale,
            file=self.file,
            kind=translate(f"registry_import.kind.{self.kind}", locale),
            read=self.rows_read,
            imported=self.imported,
            skipped=self.skipped,
            errors=self.error_count,
            seconds=f"{self.seconds:.1f}",
        )
        lines = [summary, translate(self._outcome(), locale)]
        lines += [warning.line(locale) for warning in self.warnings]
        lines += [error.line(locale) for error in self.errors]
        if self.error_count > len(self.errors):
            more = self.error_count - len(self.errors)
            lines.append(translate("registry_import.more_errors", locale, count=more))
        return lines

    def _outcome(self) -> str:
        if self.dry_run:
            return (
                "registry_import.checked_with_errors"
                if self.error_count
                else "registry_import.checked"
            )
        if self.refused:
            return "registry_import.refused"
        return "registry_import.stored_skipping" if self.error_count else "registry_import.stored"


def column_label(column: str, locale: str) -> str:
    return translate(f"registry_import.column.{column}", locale)


def require_importer(actor: Actor) -> None:
    if actor.role not in IMPORT_ROLES:
        raise Forbidden("registry_import_forbidden")


def import_file(
    db: Session,
    path: Path,
    *,
    kind: ImportKind,
    actor: Actor,
    settings: Settings,
    grid_index: GridIndex,
    skip_bad_rows: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row of the file and store it, all or nothing unless `skip_bad_rows`.

    Commits when something was stored; rolls back otherwise (and always on a dry run).
    """
    require_importer(actor)
    started = time.perf_counter()
    report = ImportReport(kind=kind, file=path.name, dry_run=dry_run, skip_bad_rows=skip_bad_rows)
    try:
        with open_rows(path) as rows:
            _import_rows(_Context.start(db, actor, settings, grid_index), kind, rows, report)
    except DomainError as error:
        report.add([RowError(0, "", error.code, error.params)])
    _finish(db, report)
    report.seconds = time.perf_counter() - started
    return report


def _finish(db: Session, report: ImportReport) -> None:
    if report.dry_run or report.refused or (report.error_count and not report.skip_bad_rows):
        db.rollback()
        report.imported = 0
    else:
        db.commit()


Rows = Iterator[tuple[int, tuple[object, ...]]]


@contextmanager
def open_rows(path: Path) -> Iterator[Rows]:
    """The file's rows numbered as a spreadsheet shows them (from 1), CSV or .xlsx alike."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise Invalid("registry_import_xls")
    if suffix in XLSX_SUFFIXES or (suffix not in CSV_SUFFIXES and zipfile.is_zipfile(path)):
        with _xlsx_rows(path) as rows:
            yield enumerate(rows, start=1)
        return
    with _csv_rows(path) as rows:
        yield enumerate(rows, start=1)


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[tuple[object, ...]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Invalid("registry_import_unreadable") from None
    try:
        yield workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


@contextmanager
def _csv_rows(path: Path) -> Iterator[Iterator[tuple[object, ...]]]:
    with path.open(encoding=csv_encoding(path), newline="") as handle:
        yield _guarded_csv(csv.reader(handle))


def _guarded_csv(reader: Iterator[list[str]]) -> Iterator[tuple[object, ...]]:
    """A decoding problem deep in a file is a refusal of the file, not a crash."""
    try:
        for record in reader:
            yield tuple(record)
    except (UnicodeDecodeError, csv.Error):
        raise Invalid("registry_import_unreadable_csv") from None


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else GB18030, which Chinese
    Windows offices save by default and which covers GBK and GB2312."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


Parse = Callable[[object], Any]


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    parse: Parse
    required: bool = False


def _optional(parse: Callable[[Any], Any]) -> Parse:
    """Blank cells read as None; anything else goes to the validator as it came."""

    def read(value: object) -> Any:
        if value is None or (type(value) is str and not cell_text(value)):
            return None
        return parse(value)

    return read


def _text(limit: int, *, name: bool = False) -> Parse:
    def read(value: object) -> str | None:
        text = cell_name(value) if name else cell_text(value)
        if len(text) > limit:
            raise Invalid("registry_import_too_long", limit=limit, length=len(text))
        return text or None

    return read


def _at_least(minimum: float, parse: Parse) -> Parse:
    def read(value: object) -> Any:
        number = parse(value)
        if number is not None and number < minimum:
            raise Invalid("registry_import_too_small", value=cell_text(value), minimum=minimum)
        return number

    return read


@cache
def _words(group: str, values: tuple[str, ...]) -> dict[str, str]:
    """Every spelling of each value: its slug and the catalogue's words in every locale."""
    words = {folded(value): value for value in values}
    for locale in SUPPORTED_LOCALES:
        for value in values:
            spellings = translate(f"registry_import.{group}.{value}", locale)
            words |= {folded(word): value for word in spellings.split(ALIAS_SEPARATOR)}
    return words


def _choice(group: str, enum: type[StrEnum], *, many: bool = False) -> Parse:
    words = _words(group, tuple(member.value for member in enum))
    return partial(cell_choices if many else cell_choice, words=words)


def _location_columns() -> tuple[_Column, ...]:
    return (
        _Column("address", _text(400)),
        _Column("grid_code", _grid_code),
        _Column("lng", partial(cell_coordinate, low=LNG_RANGE[0], high=LNG_RANGE[1])),
        _Column("lat", partial(cell_coordinate, low=LAT_RANGE[0], high=LAT_RANGE[1])),
    )


@lru_cache(maxsize=1 << 16)
def _region_code(raw: str) -> str:
    """Remembered: a register names the same few hundred grids a million times."""
    return parse_region_code(raw)


def _grid_code(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        text = cell_text(value)
        return _region_code(text) if text else None
    return parse_region_code(value)  # type: ignore[arg-type]


@cache
def columns_of(kind: ImportKind, today: date) -> tuple[_Column, ...]:
    """The columns of a kind; `today` bounds birth dates (the Shanghai date of the import)."""
    phone = _optional(parse_phone)
    whole = _at_least(0, cell_integer)
    by_kind: dict[ImportKind, tuple[_Column, ...]] = {
        ImportKind.RESIDENTS: (
            _Column("name", _text(64, name=True), required=True),
            _Column("id_number", _optional(partial(parse_resident_id, today=today)), required=True),
            _Column("phone", phone),
            _Column("residence_kind", _choice("residence_kind", ResidenceKind), required=True),
            _Column("household_number", _text(32)),
            _Column("relation_to_head", _text(16)),
            _Column("moved_in_on", cell_date),
            _Column("care_groups", _choice("care_group", CareGroup, many=True)),
        ),
        ImportKind.HOUSEHOLDS: (_Column("household_number", _text(32), required=True),),
        ImportKind.HOUSING: (
            _Column("use", _choice("housing_use", HousingUse), required=True),
            _Column("tenure", _choice("tenure", Tenure), required=True),
            _Column("area_m2", _at_least(0, cell_number)),
            _Column("owner_name", _text(64, name=True)),
            _Column("owner_phone", phone),
        ),
        ImportKind.ORGANISATIONS: (
            _Column("name", _text(200, name=True), required=True),
            _Column("credit_code", _optional(parse_credit_code), required=True),
            _Column("organisation_kind", _choice("organisation_kind", OrganisationKind)),
            _Column("legal_representative", _text(64, name=True)),
            _Column("contact_phone", phone),
            _Column("employees", whole),
        ),
        ImportKind.KEY_PLACES: (
            _Column("name", _text(200, name=True), required=True),
            _Column("place_kind", _choice("place_kind", PlaceKind), required=True),
            _Column("credit_code", _optional(parse_credit_code)),
            _Column("patrol_every_days", _at_least(1, cell_integer)),
            _Column("note", _text(2000)),
        ),
    }
    return by_kind[kind] + _location_columns()


# Address text is what identifies a household's or a dwelling's place.
_ADDRESS_REQUIRED = frozenset({ImportKind.HOUSEHOLDS, ImportKind.HOUSING})


@cache
def _heading_words(columns: tuple[_Column, ...]) -> dict[str, str]:
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
class _Header:
    number: int
    positions: dict[str, int]


def _find_header(
    kind: ImportKind, columns: tuple[_Column, ...], rows: Rows, report: ImportReport
) -> _Header | None:
    """The first of the top rows naming two known columns: title lines above it are skipped."""
    words = _heading_words(columns)
    for number, cells in islice(rows, HEADER_SEARCH_ROWS):
        keys = [words.get(folded(cell)) for cell in cells]
        if sum(key is not None for key in keys) >= 2:
            return _header(kind, columns, _HeadingRow(number, cells, keys), report)
    report.add([RowError(0, "", "registry_import_no_header", {"rows": HEADER_SEARCH_ROWS})])
    return None


@dataclass(frozen=True, slots=True)
class _HeadingRow:
    number: int
    cells: tuple[object, ...]
    keys: list[str | None]


def _header(
    kind: ImportKind, columns: tuple[_Column, ...], heading: _HeadingRow, report: ImportReport
) -> _Header | None:
    """Where each column is; unknown and repeated headings are warned about, missing ones refuse."""
    positions = _positions(heading, report)
    missing = [column.key for column in columns if column.required and column.key not in positions]
    if kind in _ADDRESS_REQUIRED and "address" not in positions:
        missing.append("address")
    report.add(RowError(heading.number, key, "registry_import_column_missing") for key in missing)
    return None if missing else _Header(heading.number, positions)


def _positions(heading: _HeadingRow, report: ImportReport) -> dict[str, int]:
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


@dataclass(eq=False, slots=True)
class _Row:
    """One data row as read: its values by column key, and whatever was wrong with it."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    region_code: str = ""
    address_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, column: str, code: str, /, **params: Any) -> None:
        self.errors.append(RowError(self.number, column, code, params))


# A column as the row reader walks it: key, parser, required, position in the file (or -1).
_PlacedColumn = tuple[str, Parse, bool, int]


def _read_row(number: int, cells: tuple[object, ...], columns: Sequence[_PlacedColumn]) -> _Row:
    """Every cell of one row through its column's reader; plain tuples, since this runs
    once per row of a million-row file."""
    row = _Row(number)
    values = row.values
    width = len(cells)
    for key, parse, required, position in columns:
        try:
            value = parse(cells[position] if 0 <= position < width else None)
        except (DomainError, CellError) as error:
            row.refuse(key, error.code, **error.params)
            continue
        if required and value is None:
            row.refuse(key, "registry_import_required")
        values[key] = value
    return row


@dataclass
class _Context:
    """What one import learns as it goes, so each chunk asks the database only what is new."""

    db: Session
    actor: Actor
    cipher: FieldCipher
    grid_index: GridIndex
    now: datetime
    today: date
    known_areas: frozenset[str]
    # One import holds one kind, so the keys (an ID number's 16-byte blind index,
    # a household number, a credit code) never meet keys of another kind.
    first_seen: dict[Hashable, int] = field(default_factory=dict)
    address_ids: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    new_households: dict[str, _Row] = field(default_factory=dict)
    organisations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(
        cls, db: Session, actor: Actor, settings: Settings, grid_index: GridIndex
    ) -> "_Context":
        areas = db.scalars(
            select(Region.code).where(Region.level.in_([Level.GRID, Level.COMMUNITY]))
        )
        now = utcnow()
        return cls(
            db=db,
            actor=actor,
            cipher=cipher_for(settings),
            grid_index=grid_index,
            now=now,
            today=now.astimezone(DISPLAY_ZONE).date(),
            known_areas=frozenset(areas),
        )

    def repeated(self, row: _Row, column: str, key: Hashable) -> bool:
        """Whether an earlier row of the file already had this key; refuses the row if so."""
        first = self.first_seen.setdefault(key, row.number)
        if first != row.number:
            row.refuse(column, "registry_import_repeated", row=first)
            return True
        return False


def _import_rows(context: _Context, kind: ImportKind, rows: Rows, report: ImportReport) -> None:
    columns = columns_of(kind, context.today)
    header = _find_header(kind, columns, rows, report)
    if header is None:
        return
    placed = [
        (column.key, column.parse, column.required, header.positions.get(column.key, -1))
        for column in columns
    ]
    while chunk := list(islice(rows, CHUNK_ROWS)):
        filled = [(number, cells) for number, cells in chunk if any(cell_text(c) for c in cells)]
        parsed = [_read_row(number, cells, placed) for number, cells in filled]
        _import_chunk(context, kind, parsed, report)


def _import_chunk(
    context: _Context, kind: ImportKind, rows: list[_Row], report: ImportReport
) -> None:
    _place(context, kind, rows)
    CHECKS[kind](context, [row for row in rows if row.ok])
    good = [row for row in rows if row.ok]
    if _writing(report, clean=len(good) == len(rows)):
        report.imported += WRITERS[kind](context, _resolve_addresses(context, good))
    report.rows_read += len(rows)
    report.skipped += sum(not row.ok for row in rows)
    report.add(error for row in rows for error in row.errors)


def _writing(report: ImportReport, *, clean: bool) -> bool:
    """Good rows are written unless this is a dry run or a bad row has already doomed the file."""
    if report.dry_run:
        return False
    return report.skip_bad_rows or (clean and report.error_count == 0)


def _place(context: _Context, kind: ImportKind, rows: list[_Row]) -> None:
    """Each row's grid: from its point when it has one (one vectorised lookup), else its code."""
    for row in rows:
        _check_location_cells(kind, row)
    pointed = [row for row in rows if row.ok and row.values["lng"] is not None]
    locator = context.grid_index.current(context.db)
    if pointed:
        slots = locator.locate_many(
            [row.values["lng"] for row in pointed], [row.values["lat"] for row in pointed]
        )
        for row, slot in zip(pointed, slots, strict=True):
            if slot < 0:
                row.refuse("lng", "registry_import_point_outside")
            else:
                row.region_code = locator.codes[int(slot)]
    for row in rows:
        if row.ok and not row.region_code:
            _region_from_code(context, row)
        if row.ok and not may_see(context.actor, row.region_code):
            row.refuse("grid_code", "registry_import_out_of_scope", code=row.region_code)


def _check_location_cells(kind: ImportKind, row: _Row) -> None:
    values = row.values
    if (values.get("lng") is None) != (values.get("lat") is None):
        row.refuse(
            "lat" if values.get("lat") is None else "lng", "registry_import_point_incomplete"
        )
    if (
        kind in _ADDRESS_REQUIRED
        and not values.get("address")
        and "address" not in _columns_refused(row)
    ):
        row.refuse("address", "registry_import_required")


def _columns_refused(row: _Row) -> set[str]:
    return {error.column for error in row.errors}


def _region_from_code(context: _Context, row: _Row) -> None:
    code = row.values.get("grid_code")
    if code is None:
        row.refuse("grid_code", "registry_import_no_location")
    elif code not in context.known_areas:
        row.refuse("grid_code", "registry_import_area_unknown", code=code)
    else:
        row.region_code = code


def _resolve_addresses(context: _Context, rows: list[_Row]) -> list[_Row]:
    """Standard addresses for the chunk in one batch; texts met before come from the cache.

    Returns the rows still good: an address the address book cannot place refuses its rows.
    """
    wanted = [row for row in rows if row.values.get("address")]
    new: dict[str, _Row] = {}
    for row in wanted:
        if row.values["address"] not in context.address_ids:
            new.setdefault(row.values["address"], row)
    refused = _ensure_addresses(context, new)
    for row in wanted:
        text = row.values["address"]
        if text in refused:
            row.refuse("address", refused[text].code, **refused[text].params)
        else:
            row.address_id = context.address_ids[text]
    return [row for row in rows if row.ok]


def _ensure_addresses(context: _Context, new: dict[str, _Row]) -> dict[str, DomainError]:
    """Store the new address texts; the ones refused come back with why.

    The address book checks a whole batch before writing any of it, so after a
    refusal the rest is simply asked again.
    """
    refused: dict[str, DomainError] = {}
    texts = list(new)
    while texts:
        items = [_address_input(new[text]) for text in texts]
        try:
            found = ensure_addresses(context.db, items, grid_index=context.grid_index)
        except BatchInvalid as batch:
            refused |= {texts[position]: problem for position, problem in batch.items}
            texts = [text for text in texts if text not in refused]
            continue
        context.address_ids |= {
            text: address.id for text, address in zip(texts, found, strict=True)
        }
        break
    return refused


def _address_input(row: _Row) -> AddressInput:
    values = row.values
    return AddressInput(
        full_text=values["address"],
        lng=values["lng"],
        lat=values["lat"],
        region_code=row.region_code,
    )


def _check_residents(context: _Context, rows: list[_Row]) -> None:
    """Each ID number once in the file and not yet in the registry; households known."""
    fresh = []
    for row in rows:
        index = index_of(context.cipher, row.values["id_number"].number, field=DOCUMENT)
        row.values["document_index"] = index
        if not context.repeated(row, "id_number", index):
            fresh.append(row)
    indexes = [row.values["document_index"] for row in fresh]
    stored = set(
        context.db.scalars(
            select(Resident.document_index).where(Resident.document_index.in_(indexes))
        )
    )
    for row in fresh:
        if row.values["document_index"] in stored:
            row.refuse("id_number", "registry_import_id_registered")
    _check_households(context, [row for row in rows if row.ok and row.values["household_number"]])


def _check_households(context: _Context, rows: list[_Row]) -> None:
    """A household number names a stored household, or a new one given with an address."""
    _load_households(context, {row.values["household_number"] for row in rows})
    for row in rows:
        number = row.values["household_number"]
        if number in context.households or number in context.new_households:
            continue
        if not row.values.get("address"):
            row.refuse("household_number", "registry_import_household_unknown", number=number)
        else:
            context.new_households[number] = row


def _load_households(context: _Context, numbers: set[str]) -> None:
    unknown = [number for number in numbers if number not in context.households]
    if not unknown:
        return
    query = select(Household.number, Household.id, Household.region_code).where(
        Household.number.in_(unknown)
    )
    for number, household_id, region_code in context.db.execute(query):
        # A household outside the actor's area is not joined; the row says it is unknown.
        if may_see(context.actor, region_code):
            context.households[number] = household_id


def _check_new_households(context: _Context, rows: list[_Row]) -> None:
    numbers = [row.values["household_number"] for row in rows]
    stored = set(context.db.scalars(select(Household.number).where(Household.number.in_(numbers))))
    for row in rows:
        number = row.values["household_number"]
        if context.repeated(row, "household_number", number):
            continue
        if number in stored:
            row.refuse("household_number", "registry_import_household_registered", number=number)


def _check_housing(context: _Context, rows: list[_Row]) -> None:
    for row in rows:
        context.repeated(row, "address", folded(row.values["address"]))


def _check_organisations(context: _Context, rows: list[_Row]) -> None:
    codes = [row.values["credit_code"].code for row in rows]
    stored = set(
        context.db.scalars(
            select(Organisation.credit_code).where(Organisation.credit_code.in_(codes))
        )
    )
    for row in rows:
        code = row.values["credit_code"].code
        if context.repeated(row, "credit_code", code):
            continue
        if code in stored:
            row.refuse("credit_code", "registry_import_credit_registered", code=code)


def _check_key_places(context: _Context, rows: list[_Row]) -> None:
    """A key place's credit code links it to an organisation already in the registry and in view."""
    linked = [row for row in rows if row.values["credit_code"] is not None]
    codes = {row.values["credit_code"].code for row in linked} - context.organisations.keys()
    if codes:
        query = select(Organisation.credit_code, Organisation.id, Organisation.region_code).where(
            Organisation.credit_code.in_(codes)
        )
        for code, organisation_id, region_code in context.db.execute(query):
            if may_see(context.actor, region_code):
                context.organisations[code] = organisation_id
    for row in linked:
        code = row.values["credit_code"].code
        if code not in context.organisations:
            row.refuse("credit_code", "registry_import_organisation_unknown", code=code)


CHECKS: dict[ImportKind, Callable[[_Context, list[_Row]], None]] = {
    ImportKind.RESIDENTS: _check_residents,
    ImportKind.HOUSEHOLDS: _check_new_households,
    ImportKind.HOUSING: _check_housing,
    ImportKind.ORGANISATIONS: _check_organisations,
    ImportKind.KEY_PLACES: _check_key_places,
}


def _write_residents(context: _Context, rows: list[_Row]) -> int:
    _create_households(context)
    records = [_resident_record(context, row) for row in rows]
    _insert(context, Resident, records)
    _add_care_groups(context, rows, records)
    return len(records)


def _insert(context: _Context, model: type[Base], records: list[dict[str, Any]]) -> None:
    """Rows written by the driver in bulk: COPY on PostgreSQL, executemany on SQLite.

    At a million rows SQLAlchemy's per-row parameter handling costs more than
    the database does; each column's bind conversion (dates as SQLite stores
    them) is still applied, except for bytes, which both drivers take as they are.
    """
    if not records:
        return
    table = cast(Table, model.__table__)
    connection = context.db.connection()
    dialect = connection.dialect
    keys = list(records[0])
    converters = [_converter(table.c[key].type, dialect) for key in keys]
    rows = [
        tuple(
            value if convert is None or value is None else convert(value)
            for value, convert in zip(map(record.__getitem__, keys), converters, strict=True)
        )
        for record in records
    ]
    names = ", ".join(dialect.identifier_preparer.quote(key) for key in keys)
    target = f"{dialect.identifier_preparer.format_table(table)} ({names})"
    if dialect.name == "postgresql":
        _copy(connection.connection.driver_connection, target, rows)
        return
    marks = ", ".join(["?"] * len(keys))
    connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", rows)


def _copy(driver: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY, through the same connection and so the same transaction."""
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _converter(kind: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(kind, LargeBinary):
        return None
    return kind.bind_processor(dialect)


def _add_care_groups(context: _Context, rows: list[_Row], records: list[dict[str, Any]]) -> None:
    """Care-group memberships of the residents just written, found by their uids."""
    cared = {
        record["uid"]: row
        for row, record in zip(rows, records, strict=True)
        if row.values["care_groups"]
    }
    if not cared:
        return
    ids = context.db.execute(select(Resident.uid, Resident.id).where(Resident.uid.in_(cared)))
    memberships = [
        {
            "resident_id": resident_id,
            "care_group": group,
            "note": "",
            "region_code": cared[uid].region_code,
        }
        for uid, resident_id in ids
        for group in cared[uid].values["care_groups"]
    ]
    _insert(context, CareMembership, memberships)


def _create_households(context: _Context) -> None:
    """The households this chunk's rows introduced, at the first member's address."""
    pending = {
        number: row for number, row in context.new_households.items() if row.address_id is not None
    }
    records = [
        {
            "number": number,
            "address_id": row.address_id,
            "kind": "family",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for number, row in pending.items()
    ]
    _insert(context, Household, records)
    for number in pending:
        del context.new_households[number]
    _load_households(context, set(pending))


def _resident_record(context: _Context, row: _Row) -> dict[str, Any]:
    values = row.values
    person = values["id_number"]
    uid = new_uid()
    document = seal(context.cipher, person.number, field=DOCUMENT, uid=uid)
    phone = values["phone"] and seal(context.cipher, values["phone"].digits, field=PHONE, uid=uid)
    return {
        "uid": uid,
        "name": values["name"],
        "document_kind": DocumentKind.RESIDENT_ID.value,
        "document_token": document.token,
        "document_index": document.index,
        "birth_date": person.birth_date,
        "sex": person.sex.value,
        "origin_region_code": person.region_code,
        "phone_token": phone.token if phone else None,
        "phone_index": phone.index if phone else None,
        "residence_kind": values["residence_kind"],
        "household_id": context.households.get(values["household_number"] or ""),
        "relation_to_head": values["relation_to_head"],
        "address_id": row.address_id,
        "moved_in_on": values["moved_in_on"],
        "region_code": row.region_code,
        "created_at": context.now,
        "updated_at": context.now,
    }


def _write_households(context: _Context, rows: list[_Row]) -> int:
    records = [
        {
            "number": row.values["household_number"],
            "address_id": row.address_id,
            "kind": "family",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for row in rows
    ]
    _insert(context, Household, records)
    return len(records)


def _write_housing(context: _Context, rows: list[_Row]) -> int:
    """Dwellings at addresses that have none yet; a second one at the same address is refused."""
    address_ids = [row.address_id for row in rows]
    taken = set(
        context.db.scalars(select(Housing.address_id).where(Housing.address_id.in_(address_ids)))
    )
    for row in rows:
        if row.address_id in taken:
            row.refuse("address", "registry_import_housing_registered")
    records = [_housing_record(context, row) for row in rows if row.ok]
    _insert(context, Housing, records)
    return len(records)


def _housing_record(context: _Context, row: _Row) -> dict[str, Any]:
    values = row.values
    uid = new_uid()
    phone = values["owner_phone"] and seal(
        context.cipher, values["owner_phone"].digits, field=OWNER_PHONE, uid=uid
    )
    return {
        "uid": uid,
        "address_id": row.address_id,
        "use": values["use"],
        "tenure": values["tenure"],
        "area_m2": values["area_m2"],
        "owner_name": values["owner_name"],
        "owner_phone_token": phone.token if phone else None,
        "owner_phone_index": phone.index if phone else None,
        "region_code": row.region_code,
        "created_at": context.now,
        "updated_at": context.now,
    }


def _write_organisations(context: _Context, rows: list[_Row]) -> int:
    records = [_organisation_record(context, row) for row in rows]
    _insert(context, Organisation, records)
    return len(records)


def _organisation_record(context: _Context, row: _Row) -> dict[str, Any]:
    values = row.values
    uid = new_uid()
    phone = values["contact_phone"] and seal(
        context.cipher, values["contact_phone"].digits, field=CONTACT_PHONE, uid=uid
    )
    return {
        "uid": uid,
        "name": values["name"],
        "credit_code": values["credit_code"].code,
        "kind": values["organisation_kind"] or OrganisationKind.OTHER.value,
        "address_id": row.address_id,
        "legal_representative": values["legal_representative"],
        "contact_phone_token": phone.token if phone else None,
        "contact_phone_index": phone.index if phone else None,
        "employees": values["employees"],
        "region_code": row.region_code,
        "created_at": context.now,
    }


def _write_key_places(context: _Context, rows: list[_Row]) -> int:
    records = [
        {
            "name": row.values["name"],
            "kind": row.values["place_kind"],
            "address_id": row.address_id,
            "organisation_id": _organisation_id(context, row),
            "lng": row.values["lng"],
            "lat": row.values["lat"],
            "patrol_every_days": row.values["patrol_every_days"] or 7,
            "note": row.values["note"] or "",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for row in rows
    ]
    _insert(context, KeyPlace, records)
    return len(records)


def _organisation_id(context: _Context, row: _Row) -> int | None:
    credit = row.values["credit_code"]
    return None if credit is None else context.organisations[credit.code]


WRITERS: dict[ImportKind, Callable[[_Context, list[_Row]], int]] = {
    ImportKind.RESIDENTS: _write_residents,
    ImportKind.HOUSEHOLDS: _write_households,
    ImportKind.HOUSING: _write_housing,
    ImportKind.ORGANISATIONS: _write_organisations,
    ImportKind.KEY_PLACES: _write_key_places,
}
