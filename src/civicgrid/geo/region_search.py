"""Regions found by name for the region picker's search box, each with the names above it.

The picker lets staff choose a district, street, community or grid by name instead of
typing its 6–15 digit code; a grid's own name (第3网格) says little on its own, so every
hit carries the names of the regions it lies in. Only regions inside the caller's
jurisdiction are found (`in_scope`), like every other region read.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, is_ancestor_of_scope, may_see, within
from civicgrid.divisions import LEVEL_ORDER, Level
from civicgrid.errors import Invalid
from civicgrid.geo.models import Region

MAX_QUERY = 50
MAX_HITS = 20
MAX_CODES = 200
# Codes of the district, street and community a region lies in: its first 6, 9 and 12 digits.
_ANCESTOR_LENGTHS = (6, 9, 12)


@dataclass(frozen=True)
class RegionHit:
    code: str
    name: str
    level: str
    path: list[str]


def search_regions(
    db: Session, actor: Actor, *, text: str, deepest: Level = Level.GRID, limit: int = 10
) -> list[RegionHit]:
    """Regions of the actor's area, down to `deepest`, whose name holds the text, or whose
    code starts with it when it is digits (someone who knows the code may still type it).

    The region whose code is the text comes first, then names starting with the text,
    then shorter (broader) names, then codes.
    """
    wanted = text.strip()
    if not wanted or len(wanted) > MAX_QUERY:
        raise Invalid("picker_query_length", max=MAX_QUERY)
    levels = [level.value for level in LEVEL_ORDER[: LEVEL_ORDER.index(deepest) + 1]]
    query = (
        select(Region)
        .where(
            in_scope(actor, Region.code),
            Region.level.in_(levels),
            _matches(wanted),
        )
        .order_by(Region.code)
        .limit(MAX_HITS * 5)
    )
    found = sorted(
        db.scalars(query),
        key=lambda region: (
            region.code != wanted,
            not region.name.startswith(wanted),
            len(region.name),
            region.code,
        ),
    )[: max(1, min(limit, MAX_HITS))]
    names = _ancestor_names(db, [region.code for region in found])
    return [
        RegionHit(region.code, region.name, region.level, _path(names, region.code))
        for region in found
    ]


def named_regions(db: Session, actor: Actor, *, codes: str) -> list[RegionHit]:
    """The names of codes a page already holds (an account's area, a department's region),
    so its tables show names with the codes on hover: those inside the actor's area, and
    the regions above it, which every page may name. Codes of other areas are left out."""
    wanted = sorted({code.strip() for code in codes.split(",") if code.strip()})
    if len(wanted) > MAX_CODES or not all(code.isdigit() and len(code) <= 15 for code in wanted):
        raise Invalid("picker_codes_invalid", max=MAX_CODES)
    found = [
        region
        for region in db.scalars(select(Region).where(Region.code.in_(wanted)))
        if may_see(actor, region.code) or is_ancestor_of_scope(actor, region.code)
    ]
    names = _ancestor_names(db, [region.code for region in found])
    return [
        RegionHit(region.code, region.name, region.level, _path(names, region.code))
        for region in sorted(found, key=lambda region: region.code)
    ]


def _matches(wanted: str) -> ColumnElement[bool]:
    by_name = Region.name.contains(wanted, autoescape=True)
    return or_(by_name, within(Region.code, wanted)) if wanted.isdigit() else by_name


def _path(names: dict[str, str], code: str) -> list[str]:
    """The district, street and community names above a region, as far as they are known."""
    above = [code[:length] for length in _ANCESTOR_LENGTHS if length < len(code)]
    return [names[prefix] for prefix in above if prefix in names]


def _ancestor_names(db: Session, codes: list[str]) -> dict[str, str]:
    wanted = {code[:length] for code in codes for length in _ANCESTOR_LENGTHS if length < len(code)}
    if not wanted:
        return {}
    rows = db.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    return dict(rows.all())
