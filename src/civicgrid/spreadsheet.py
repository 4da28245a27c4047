"""Reading cells of office spreadsheets, and the row-by-row report every importer gives.

Workbooks that went through office software arrive with padded cells, numbers
typed as text and full-width characters; these readers accept all of those and
refuse only what cannot be meant. The taxonomy's and the registry's importers
both read through them, so a padded cell means the same to both.
"""

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from civicgrid.i18n import translate

# The list separator of Chinese text (、) plus the commas and semicolons people also type.
_LIST_SPLIT = re.compile("[\u3001,\uff0c;\uff1b\n]+")
# Spaces and the invisible characters copy-paste from web pages and Word brings along.
_PADDING = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; `code` is a catalogue id."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def cell_text(value: object) -> str:
    """A cell as trimmed text; a whole number Excel stored as 12.0 reads as "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _PADDING.sub("", str(value))


def folded(value: object) -> str:
    """Text compared loosely: full-width letters and digits as ASCII, case ignored."""
    return unicodedata.normalize("NFKC", cell_text(value)).casefold()


def cell_code(value: object) -> str:
    """A code (category, department): ASCII upper case whatever the keyboard mode."""
    return unicodedata.normalize("NFKC", cell_text(value)).upper()


def cell_number(value: object) -> float | None:
    """A number, also when typed as text ("24", " 1,000 ", "２４"); None for an empty cell."""
    if isinstance(value, bool):
        raise CellError("cell_number_expected", value=cell_text(value))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", cell_text(value)).replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise CellError("cell_number_expected", value=cell_text(value)) from None
    if not math.isfinite(number):
        raise CellError("cell_number_expected", value=cell_text(value))
    return number


def cell_integer(value: object) -> int | None:
    number = cell_number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise CellError("cell_integer_expected", value=cell_text(value))
    return int(number)


def cell_list(value: object) -> list[str]:
    """Words separated by 、 , ， ; ； or line breaks, trimmed, blanks dropped."""
    return [word for part in _LIST_SPLIT.split(cell_text(value)) if (word := cell_text(part))]


@dataclass(frozen=True)
class RowError:
    """One problem of an imported file. Row 0 is the file itself; `column` may be "".

    Each importer's subclass names its catalogue ids: `column_ids` formats a column
    key into the id of its label, `line_id` is the report line "row N, column C: …".
    """

    column_ids: ClassVar[str]
    line_id: ClassVar[str]

    row: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return f"error.{self.code}"

    def message(self, locale: str) -> str:
        return translate(self.message_id, locale, **self.params)

    def column_label(self, locale: str) -> str:
        return translate(self.column_ids.format(column=self.column), locale) if self.column else ""

    def line(self, locale: str) -> str:
        if self.row == 0:
            return self.message(locale)
        return translate(
            self.line_id,
            locale,
            row=self.row,
            column=self.column_label(locale) or "-",
            message=self.message(locale),
        )
