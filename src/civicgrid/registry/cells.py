"""Reading the cells of registry files as offices write them.

Registers come out of office software and older systems: names padded to line
up in a column ("张  三"), dates in five spellings within one column, Excel
date serials, numbers stored as text. The readers here accept all of those and
refuse only what cannot be meant. Identifiers that Excel has already turned
into numbers (5.30502E+17) are refused by `registry/validation.py`, never
repaired: the digits it dropped are gone.

Text, numbers and lists are read by the kernel's spreadsheet readers
(`civicgrid/spreadsheet.py`), so every importer treats a padded cell alike.
"""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache

from civicgrid import spreadsheet
from civicgrid.errors import Invalid
from civicgrid.spreadsheet import cell_list, cell_number

# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); serials
# below 61 fall before that bug and no living resident moved in then.
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_SERIAL = 61
LAST_SERIAL = 2_958_465  # 9999-12-31, the last date Excel shows
EARLIEST_DATE = date(1900, 3, 1)

# 2023-01-05, 2023/1/5, 2023.1.5 and 2023年1月5日, each maybe followed by a time of day.
_SEPARATED_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_TEXT = re.compile(r"^\d{2,5}(?:\.0+)?$")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_INVISIBLE_EDGES = "\u200b\ufeff"
_DATE_MEMO = 4096


def cell_text(value: object) -> str:
    """A cell as trimmed text (the taxonomy's reader), with a fast path for clean text.

    Most cells of a million-row register need no trimming; checking both ends
    is cheaper than the trimming expression, and the importer reads ten cells a row.
    """
    if type(value) is str and (
        not value
        or not (
            value[0].isspace()
            or value[-1].isspace()
            or value[0] in _INVISIBLE_EDGES
            or value[-1] in _INVISIBLE_EDGES
        )
    ):
        return value
    return spreadsheet.cell_text(value)


def cell_name(value: object) -> str:
    """A person's or place's name, without the spaces typed to line names up ("张  三")."""
    text = cell_text(value)
    return text if text.isalnum() else _CJK_GAP.sub("", text)


def cell_date(value: object) -> date | None:
    """A date from a date cell, an Excel serial, or text in the spellings offices use.

    A time of day after the date is dropped: a register keeps the day someone
    moved in, and the government export carries "2019/4/25 9:32:09" in date columns.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Invalid("registry_import_date_expected", value=cell_text(value))
    if isinstance(value, int | float):
        return _numeric_date(value)
    return _text_date(cell_text(value))


def _numeric_date(number: float) -> date:
    """An Excel serial, or 20230105 typed into a number cell."""
    if float(number).is_integer():
        compact = _COMPACT_DATE.match(str(int(number)))
        if compact:
            return _checked_date(compact.group(), *compact.groups())
    if not FIRST_SERIAL <= number <= LAST_SERIAL:
        raise Invalid("registry_import_date_expected", value=cell_text(number))
    return EXCEL_EPOCH + timedelta(days=int(number))


@lru_cache(maxsize=_DATE_MEMO)
def _text_date(raw: str) -> date | None:
    """Remembered: a register's dates repeat, and each spelling is parsed once."""
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    if not text:
        return None
    if _SERIAL_TEXT.match(text):
        return _numeric_date(float(text))
    match = _SEPARATED_DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise Invalid("registry_import_date_expected", value=text)
    return _checked_date(text, *match.groups())


def _checked_date(text: str, year: str, month: str, day: str) -> date:
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:
        raise Invalid("registry_import_date_invalid", value=text) from None
    if found < EARLIEST_DATE:
        raise Invalid("registry_import_date_invalid", value=text)
    return found


def cell_coordinate(value: object, *, low: float, high: float) -> float | None:
    """A longitude or latitude in decimal degrees, also when typed as text."""
    number = cell_number(value)
    if number is not None and not low <= number <= high:
        raise Invalid(
            "registry_import_coordinate_range", value=cell_text(value), low=low, high=high
        )
    return number


def folded(value: object) -> str:
    """Text compared loosely: full-width as ASCII, case and inner spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).casefold().split())


def cell_choice(value: object, words: Mapping[str, str]) -> str | None:
    """One of a fixed set of values, by any of its spellings in `words` (folded)."""
    if type(value) is str and value in words:
        return words[value]
    text = folded(value)
    if not text:
        return None
    if text not in words:
        raise Invalid("registry_import_choice_unknown", value=cell_text(value))
    return words[text]


def cell_choices(value: object, words: Mapping[str, str]) -> list[str]:
    """Several choices in one cell, separated by 、 , ; or line breaks; repeats dropped."""
    chosen: list[str] = []
    for word in cell_list(value):
        choice = cell_choice(word, words)
        if choice is not None and choice not in chosen:
            chosen.append(choice)
    return chosen


__all__ = [
    "cell_choice",
    "cell_choices",
    "cell_coordinate",
    "cell_date",
    "cell_name",
    "cell_number",
    "cell_text",
    "folded",
]
