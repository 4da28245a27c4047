"""The address search box: a road, a 小区, a standard address, a key place or a region
name, turned into a point and its grid for a form where a location is entered.

It lives in the registry, not in geo, because it reads the registry's addresses and
key places and the registry already depends on geo (the other way would be a loop).
Answers carry places only: an address or a key place's name, never who lives there.

Each source is asked with an index it can use and its own small limit:

- regions (street, community, grid): their names, inside the actor's codes (the
  primary key's range);
- roads and 小区 (address nodes without a parent): the name anywhere in it, over
  the parent-less rows only (a few thousand in a city, found through the
  `parent_id` index), so "北路" finds "正阳北路";
- longer addresses (house number, building, unit, room): the text as a prefix of
  the full address, asked as a range on the indexed `full_text`;
- key places: the name anywhere in it (a city has hundreds).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session

from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.divisions import Level
from civicgrid.errors import Invalid
from civicgrid.geo.locator import Locator
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import normalise_address
from civicgrid.registry.models import Address, KeyPlace
from civicgrid.registry.roles import PLACE_SEARCH_ROLES
from civicgrid.registry.service import require_role

MIN_QUERY = 2
MAX_QUERY = 100
MAX_PLACES = 20
KEY_PLACE = "key_place"
_SEARCHED_LEVELS = (Level.STREET.value, Level.COMMUNITY.value, Level.GRID.value)
# Sorts after every character, so [text, text + _TOP) holds exactly the texts starting with it
# under a code-point collation (SQLite; PostgreSQL's C and C.UTF-8); LIKE keeps it exact elsewhere.
_TOP = "\U0010ffff"
_GRID_LENGTH = 15
# Street, community and grid codes are the first 9, 12 and 15 digits of a grid code.
_NAMED_LENGTHS = (9, 12, 15)


@dataclass(frozen=True)
class PlaceHit:
    """One suggestion: what it is called, what kind of place, where, and in which regions."""

    name: str
    kind: str
    lng: float | None
    lat: float | None
    region_code: str
    grid_code: str | None
    street: str | None = None
    community: str | None = None
    grid: str | None = None


def search_places(
    db: Session, actor: Actor, *, grid_index: GridIndex, text: str, limit: int = 10
) -> list[PlaceHit]:
    """Places in the actor's area whose name holds the text, best first.

    Names starting with the text come before names only containing it, then
    shorter (broader) names first; each source is capped at `limit`, so one
    search costs four bounded queries and one for the region names.
    """
    require_role(actor, PLACE_SEARCH_ROLES)
    wanted = query_text(text)
    limit = max(1, min(limit, MAX_PLACES))
    locator = grid_index.current(db)
    hits = [
        *_regions(db, actor, wanted, limit),
        *_roads(db, actor, wanted, limit, locator),
        *_addresses(db, actor, wanted, limit, locator),
        *_key_places(db, actor, wanted, limit, locator),
    ]
    best = sorted(_unique(hits), key=lambda hit: _rank(hit, wanted))[:limit]
    return _named(db, best)


def query_text(text: str) -> str:
    """The normalised text; fewer than two characters would match half the city."""
    wanted = normalise_address(text)
    if len(wanted) < MIN_QUERY:
        raise Invalid("registry_place_query_too_short", min=MIN_QUERY)
    if len(wanted) > MAX_QUERY:
        raise Invalid("registry_place_query_too_long", max=MAX_QUERY)
    return wanted


def _rank(hit: PlaceHit, wanted: str) -> tuple[bool, int, str]:
    return (not hit.name.upper().startswith(wanted), len(hit.name), hit.name)


def _unique(hits: Iterable[PlaceHit]) -> list[PlaceHit]:
    """A road found both by name and as a prefix is suggested once."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for hit in hits:
        key = (hit.kind, hit.name, hit.region_code)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def _contains(
    column: QueryableAttribute[str] | ColumnElement[str], wanted: str
) -> ColumnElement[bool]:
    return column.contains(wanted, autoescape=True)


def _unindexed(column: QueryableAttribute[str]) -> ColumnElement[str]:
    """The same codes, as an expression no index covers, for the jurisdiction filter.

    The text's own index (parent-less rows, the full text's range) is the narrow one;
    PostgreSQL's generic plan for a prepared statement cannot see that the area's code
    range is wide (a city administrator's covers every row) and ANDs both indexes as
    bitmaps, reading the whole region index: 8–13 ms instead of well under one.
    """
    return column.concat("")


def _regions(db: Session, actor: Actor, wanted: str, limit: int) -> list[PlaceHit]:
    query = (
        select(Region)
        .where(
            in_scope(actor, Region.code),
            Region.level.in_(_SEARCHED_LEVELS),
            _contains(Region.name, wanted),
        )
        .order_by(Region.code)
        .limit(limit)
    )
    return [
        PlaceHit(
            name=region.name,
            kind=region.level,
            lng=region.center_lng,
            lat=region.center_lat,
            region_code=region.code,
            grid_code=region.code if region.level == Level.GRID.value else None,
        )
        for region in db.scalars(query)
    ]


def _roads(db: Session, actor: Actor, wanted: str, limit: int, locator: Locator) -> list[PlaceHit]:
    query = (
        select(Address)
        .where(
            Address.parent_id.is_(None),
            in_scope(actor, _unindexed(Address.region_code)),
            _contains(Address.name, wanted),
        )
        .order_by(Address.name)
        .limit(limit)
    )
    return [_address_hit(actor, address, locator) for address in db.scalars(query)]


def _addresses(
    db: Session, actor: Actor, wanted: str, limit: int, locator: Locator
) -> list[PlaceHit]:
    query = (
        select(Address)
        .where(
            Address.full_text >= wanted,
            Address.full_text < wanted + _TOP,
            Address.full_text.startswith(wanted, autoescape=True),
            in_scope(actor, _unindexed(Address.region_code)),
        )
        .order_by(Address.full_text)
        .limit(limit)
    )
    return [_address_hit(actor, address, locator) for address in db.scalars(query)]


def _key_places(
    db: Session, actor: Actor, wanted: str, limit: int, locator: Locator
) -> list[PlaceHit]:
    query = (
        select(KeyPlace)
        .where(in_scope(actor, KeyPlace.region_code), _contains(KeyPlace.name, wanted))
        .order_by(KeyPlace.name)
        .limit(limit)
    )
    return [
        PlaceHit(
            name=place.name,
            kind=KEY_PLACE,
            lng=place.lng,
            lat=place.lat,
            region_code=place.region_code,
            grid_code=_grid_of(actor, place.region_code, place.lng, place.lat, locator),
        )
        for place in db.scalars(query)
    ]


def _address_hit(actor: Actor, address: Address, locator: Locator) -> PlaceHit:
    return PlaceHit(
        name=address.full_text,
        kind=address.level,
        lng=address.lng,
        lat=address.lat,
        region_code=address.region_code,
        grid_code=_grid_of(actor, address.region_code, address.lng, address.lat, locator),
    )


def _grid_of(
    actor: Actor, region_code: str, lng: float | None, lat: float | None, locator: Locator
) -> str | None:
    """The row's own grid, else the grid its point falls in, when the actor may see it.

    A road across two grids is stored at their community; its point still lies in one.
    """
    if len(region_code) == _GRID_LENGTH:
        return region_code
    if lng is None or lat is None:
        return None
    grid = locator.locate(lng, lat)
    return grid if grid is not None and may_see(actor, grid) else None


def _named(db: Session, hits: Sequence[PlaceHit]) -> list[PlaceHit]:
    """Each hit with the names of its street, community and grid, in one query."""
    codes = {
        (hit.grid_code or hit.region_code)[:length]
        for hit in hits
        for length in _NAMED_LENGTHS
        if len(hit.grid_code or hit.region_code) >= length
    }
    query = select(Region.code, Region.name).where(Region.code.in_(codes))
    names: dict[str, str] = dict(db.execute(query).all()) if codes else {}
    named = []
    for hit in hits:
        code = hit.grid_code or hit.region_code
        street, community, grid = (
            names.get(code[:length]) if len(code) >= length else None for length in _NAMED_LENGTHS
        )
        named.append(replace(hit, street=street, community=community, grid=grid))
    return named
