"""Region codes as the national statistical division codes write them.

Province `530000`, city `530500`, district/county `530502` (GB/T 2260),
street/township `530502001`, community/village `530502001001` (statistical
division codes), grid = community + 3 digits (`530502001001007`).
Jurisdiction matches on a code's significant digits: `53` for a province,
`5305` for a city, the whole code below that.
"""

import re
from enum import StrEnum

from civicgrid.errors import Invalid


class Level(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


LEVEL_ORDER = list(Level)
_DIGITS = re.compile(r"^[0-9]+$")
_LENGTHS = {6, 9, 12, 15}


def normalise_code(raw: str) -> str:
    """Validate a code and fold the padded 12-digit form onto its own level.

    The statistical tables pad higher levels with zeros to 12 digits
    (`530502000000` is the district `530502`); everything else must already
    have one of the four lengths the hierarchy uses.
    """
    code = raw.strip()
    if not _DIGITS.match(code) or len(code) not in _LENGTHS:
        raise Invalid("invalid_region_code", code=raw)
    if len(code) == 12 and code.endswith("000"):
        code = code[:9] if not code.endswith("000000") else code[:6]
    _check_segments(code, raw)
    return code


def _check_segments(code: str, raw: str) -> None:
    """Segments are numbered from 1: a zero segment names nothing.

    Only a province or city may end in zeros (`530000`, `530500`); below a
    district every 3-digit segment is a real number. Cities without counties
    (东莞 4419, 中山 4420) number their townships straight under the city, so
    `441900003` is a real street.
    """
    province, city = code[:2], code[2:4]
    if province == "00" or (city == "00" and code[4:] != "00"):
        raise Invalid("invalid_region_code", code=raw)
    if len(code) > 6 and city == "00":
        raise Invalid("invalid_region_code", code=raw)
    if any(code[start : start + 3] == "000" for start in range(6, len(code), 3)):
        raise Invalid("invalid_region_code", code=raw)


def level_of(code: str) -> Level:
    if len(code) == 15:
        return Level.GRID
    if len(code) == 12:
        return Level.COMMUNITY
    if len(code) == 9:
        return Level.STREET
    if code.endswith("0000"):
        return Level.PROVINCE
    if code.endswith("00"):
        return Level.CITY
    return Level.DISTRICT


def significant_prefix(code: str) -> str:
    """The digits every code inside this region starts with."""
    level = level_of(code)
    if level is Level.PROVINCE:
        return code[:2]
    if level is Level.CITY:
        return code[:4]
    return code


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level is Level.PROVINCE:
        return None
    if level is Level.CITY:
        return code[:2] + "0000"
    if level is Level.DISTRICT:
        return code[:4] + "00"
    return code[: len(code) - 3]


def contains(outer: str, inner: str) -> bool:
    """Whether region `inner` lies inside (or is) region `outer`."""
    return inner.startswith(significant_prefix(outer))


def child_code(parent: str, number: int) -> str:
    """The code of the `number`-th child one level below `parent` (1-based)."""
    level = level_of(parent)
    if level in {Level.PROVINCE, Level.CITY}:
        raise ValueError("children of provinces and cities carry national codes, not numbers")
    if not 1 <= number <= 999:
        raise ValueError("child numbers run from 1 to 999")
    return f"{parent}{number:03d}"
