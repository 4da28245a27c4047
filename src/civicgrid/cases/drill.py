"""The cases behind an analysis figure: a region or grid, a risk class, a local month,
an H3 hexagon of the hotspot map.

The analysis page links each count (a grid's month, a grid × class) to the cases it was
counted from; these are the conditions the case list adds for that, inside the reader's
jurisdiction and reading rule like every other filter of the list.
"""

import re
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, select

from civicgrid.auth.scope import within
from civicgrid.cases.models import Case
from civicgrid.categories.models import Category
from civicgrid.divisions import significant_prefix
from civicgrid.errors import Invalid
from civicgrid.hexcells import half_planes, is_cell
from civicgrid.timeutil import DISPLAY_ZONE

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def in_region(code: str) -> ColumnElement[bool]:
    """Cases placed in a grid, or in any grid of a region (code of any level); a case
    with no grid is in no figure of the report, so it is in none of these lists."""
    return within(Case.region_code, significant_prefix(code)) & Case.grid_code.is_not(None)


def of_risk_class(risk_class: str) -> ColumnElement[bool]:
    """Cases whose category counts toward the risk class (the same rule the archive uses)."""
    categories = select(Category.code).where(Category.risk_class == risk_class)
    return Case.category_code.in_(categories)


def in_month(month: str) -> ColumnElement[bool]:
    """Cases reported in a month as the city counts it (Asia/Shanghai), like the report."""
    match = _MONTH.match(month)
    if match is None:
        raise Invalid("case_month_invalid", field="month", value=month)
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=DISPLAY_ZONE)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=DISPLAY_ZONE)
    return (Case.created_at >= start.astimezone(UTC)) & (Case.created_at < end.astimezone(UTC))


def in_hexagon(cell: str) -> ColumnElement[bool]:
    """Cases whose point lies in an H3 hexagon of the hotspot map (resolution 9), as the
    archive counted them: inside its six edges (`hexcells.half_planes`)."""
    if not is_cell(cell):
        raise Invalid("case_hexagon_invalid", field="hexagon", value=cell[:20])
    inside = [a * Case.lat - b * Case.lng >= c for a, b, c in half_planes(cell)]
    return and_(Case.lng.is_not(None), Case.lat.is_not(None), *inside)
