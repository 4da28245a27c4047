"""Reading an import file: CSV (UTF-8 or GB18030) or .xlsx, told apart by name and content."""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from civicgrid.errors import Invalid

SNIFF_BYTES = 1 << 20
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})

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
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        raise Invalid("registry_import_unreadable") from None
    try:
        yield _guarded_xlsx(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _guarded_xlsx(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """Broken XML in the sheet (SyntaxError is the XML parsers' common base) met while
    reading is a refusal of the file, not a crash."""
    try:
        yield from rows
    except SyntaxError:
        raise Invalid("registry_import_unreadable") from None


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
