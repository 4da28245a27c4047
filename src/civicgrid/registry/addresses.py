"""Standard addresses (标准地址): text split into GB/T 31000's levels, stored once as a chain.

"正阳北路12号3栋2单元501室" becomes five rows, road → house number → building
→ unit → room, each the child of the one above, so every household, dwelling
and organisation at one building shares the building's row. The importer calls
this with a thousand addresses at a time, so each level costs one SELECT and
one INSERT for the whole batch, never one round trip per address.
"""

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from civicgrid.bulk import insert_returning, one_of
from civicgrid.divisions import Level, normalise_code
from civicgrid.errors import BatchInvalid, DomainError, Invalid
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.registry.models import Address, AddressLevel
from civicgrid.timeutil import utcnow

MAX_TEXT = 400
MAX_NAME = 120
# Keeps every IN list far below both engines' limits on bound parameters.
_CHUNK = 4000
_NUMERAL = r"[0-9A-Z一二三四五六七八九十百零〇甲乙丙丁东西南北-]+"
# The road is the shortest head after which the rest reads as number, building, unit
# and room: "永昌街道正阳北路12号" keeps "街道" inside the road instead of ending at 街.
_LEVELS = re.compile(
    rf"""^(?P<road>.+?)
    (?P<house_number>[0-9]+(?:[-之][0-9]+)?号(?!楼)(?:院)?)?
    (?P<building>{_NUMERAL}(?:号楼|栋|幢|座))?
    (?P<unit>{_NUMERAL}单元)?
    (?P<room>[0-9A-Z]+(?:-[0-9]+)?)?室?$""",
    re.VERBOSE,
)
_LOCATABLE_LEVELS = (Level.GRID.value, Level.COMMUNITY.value)


@dataclass(frozen=True)
class AddressInput:
    """An address as a clerk or a file gives it: text, and a WGS-84 point or a region."""

    full_text: str
    lng: float | None = None
    lat: float | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class _Placed:
    """One input after checking: its levels, its region, and its point."""

    parts: tuple[tuple[AddressLevel, str], ...]
    region_code: str
    lng: float | None
    lat: float | None
    prefixes: tuple[str, ...]  # the full text down to each level


def normalise_address(text: str) -> str:
    """Full-width digits and letters to ASCII, letters upper-case, no whitespace at all.

    Chinese addresses carry no meaningful spaces; office files are full of
    them, and "３栋" and "3栋" must be the same building.
    """
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def split_levels(text: str) -> tuple[tuple[AddressLevel, str], ...]:
    """The normalised text as (level, name) pairs from the road down.

    Text that names no house number, building, unit or room (a village group,
    a market) stays whole as one road-level node rather than being refused:
    it is still the most exact address the office has.
    """
    match = _LEVELS.match(text)
    found = match.groupdict() if match else {}
    if not _is_structured(found):
        return ((AddressLevel.ROAD, text),)
    if found["room"]:
        found["room"] += "室"
    return tuple((AddressLevel(level), value) for level, value in found.items() if value)


def _is_structured(found: dict[str, str | None]) -> bool:
    """Whether a level below the road was recognised.

    A bare number after a name ("幸福村88") is not read as a room: a room
    needs a house number, building or unit above it.
    """
    return bool(found) and bool(found["house_number"] or found["building"] or found["unit"])


def ensure_addresses(
    db: Session, items: Sequence[AddressInput], *, grid_index: GridIndex
) -> list[Address]:
    """The leaf Address row of each input, in order; missing levels are created.

    Text that does not split is kept whole, but an address must lie where the
    jurisdiction filter can see it: in a grid by its point, or in a given grid
    or community. Raises BatchInvalid naming each input (by position) that is
    empty, too long, or cannot be placed, before anything is written.
    """
    ids = ensure_address_ids(db, items, grid_index=grid_index)
    # populate_existing: a node loaded earlier in this session may have been widened.
    query = (
        select(Address).where(Address.id.in_(set(ids))).execution_options(populate_existing=True)
    )
    rows = {row.id: row for row in db.scalars(query)}
    return [rows[address_id] for address_id in ids]


@dataclass(slots=True)
class _Node:
    """A stored node as the address book path needs it: no ORM object, no unit of work."""

    id: int
    region_code: str
    lng: float | None
    lat: float | None


@dataclass
class AddressBook:
    """The nodes one caller has already found or created, kept across its batches.

    A node created through this book has no children but the ones created
    through it too, so its children are never asked of the database: an
    import of a new district asks only for its roads.
    """

    nodes: dict["_NodeKey", _Node] = field(default_factory=dict)
    created: set[int] = field(default_factory=set)


def ensure_address_ids(
    db: Session,
    items: Sequence[AddressInput],
    *,
    grid_index: GridIndex,
    book: AddressBook | None = None,
) -> list[int]:
    """The leaf node id of each input, in order, through Core statements only.

    `ensure_addresses` for callers that need ids alone (the importer, a
    million rows): each level costs at most one SELECT, one multi-row INSERT
    and one UPDATE of widened nodes, and a `book` kept across batches spares
    the SELECT for everything met or made before.
    """
    book = book if book is not None else AddressBook()
    placed = _place_all(db, items, grid_index)
    parents: list[int | None] = [None] * len(placed)
    depth = max((len(item.parts) for item in placed), default=0)
    now = utcnow()
    for level_index in range(depth):
        reaching = [n for n, item in enumerate(placed) if len(item.parts) > level_index]
        wanted: dict[_NodeKey, list[_Placed]] = {}
        for position in reaching:
            key = (parents[position], placed[position].parts[level_index][1])
            wanted.setdefault(key, []).append(placed[position])
        _ensure_level(db, book, wanted, level_index, now)
        for position in reaching:
            parents[position] = book.nodes[
                (parents[position], placed[position].parts[level_index][1])
            ].id
    return [parent for parent in parents if parent is not None]


def _place_all(db: Session, items: Sequence[AddressInput], grid_index: GridIndex) -> list[_Placed]:
    texts = [normalise_address(item.full_text) for item in items]
    located = _locate(db, items, grid_index)
    known = _known_regions(db, items)
    placed: list[_Placed] = []
    problems: list[tuple[int, DomainError]] = []
    for position, (item, text, grid) in enumerate(zip(items, texts, located, strict=True)):
        try:
            placed.append(_place(item, text, grid, known))
        except DomainError as problem:
            problems.append((position, problem))
    if problems:
        raise BatchInvalid(problems)
    return placed


def _place(item: AddressInput, text: str, grid: str | None, known: set[str]) -> _Placed:
    if not text:
        raise Invalid("registry_address_empty")
    parts = split_levels(text)
    if len(text) > MAX_TEXT or any(len(name) > MAX_NAME for _, name in parts):
        raise Invalid("registry_address_too_long", limit=MAX_TEXT)
    point = _checked_point(item)
    region = grid or _given_region(item, known)
    lng, lat = point if point is not None else (None, None)
    prefixes = tuple(accumulate(name for _, name in parts))
    return _Placed(parts=parts, region_code=region, lng=lng, lat=lat, prefixes=prefixes)


def _checked_point(item: AddressInput) -> tuple[float, float] | None:
    if item.lng is None and item.lat is None:
        return None
    if item.lng is None or item.lat is None:
        raise Invalid("registry_point_incomplete")
    if not (_finite_in(item.lng, 180) and _finite_in(item.lat, 90)):
        raise Invalid("registry_point_invalid", lng=item.lng, lat=item.lat)
    return item.lng, item.lat


def _finite_in(value: float, bound: float) -> bool:
    return math.isfinite(value) and -bound <= value <= bound


def _given_region(item: AddressInput, known: set[str]) -> str:
    """The region the caller named, when the point found no grid (or there was none)."""
    if item.region_code is None:
        raise Invalid("registry_address_unlocated", address=item.full_text.strip()[:60])
    code = normalise_code(item.region_code)
    if code not in known:
        raise Invalid("registry_region_unknown", code=code)
    return code


def _locate(db: Session, items: Sequence[AddressInput], grid_index: GridIndex) -> list[str | None]:
    """Each input's grid by its point, in one vectorised pass; None without a usable point."""
    usable = [
        n
        for n, item in enumerate(items)
        if item.lng is not None
        and item.lat is not None
        and _finite_in(item.lng, 180)
        and _finite_in(item.lat, 90)
    ]
    grids: list[str | None] = [None] * len(items)
    if not usable:
        return grids
    locator = grid_index.current(db)
    lngs = np.array([items[n].lng for n in usable], dtype=np.float64)
    lats = np.array([items[n].lat for n in usable], dtype=np.float64)
    for position, code in zip(
        usable, locator.codes_for(locator.locate_many(lngs, lats)), strict=True
    ):
        grids[position] = code
    return grids


def _known_regions(db: Session, items: Sequence[AddressInput]) -> set[str]:
    """Which of the given region codes are grids or communities, in one query per chunk."""
    codes: set[str] = set()
    for item in items:
        if item.region_code is None:
            continue
        try:
            codes.add(normalise_code(item.region_code))
        except Invalid:
            continue  # reported for its own row by _given_region
    found: set[str] = set()
    ordered = sorted(codes)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(Region.code).where(
            Region.code.in_(chunk), Region.level.in_(_LOCATABLE_LEVELS)
        )
        found.update(db.scalars(query))
    return found


_NodeKey = tuple[int | None, str]
_TABLE = cast(Table, Address.__table__)
_NODE_COLUMN_NAMES = ("id", "parent_id", "name", "region_code", "lng", "lat")
_NODE_COLUMNS = (
    _TABLE.c.id,
    _TABLE.c.parent_id,
    _TABLE.c.name,
    _TABLE.c.region_code,
    _TABLE.c.lng,
    _TABLE.c.lat,
)


def _ensure_level(
    db: Session,
    book: AddressBook,
    wanted: dict[_NodeKey, list[_Placed]],
    level_index: int,
    now: datetime,
) -> None:
    """Find or create the nodes of one level for every input that reaches it, into `book`.

    New nodes go in through the driver in bulk (bulk.insert_returning): the ORM's
    unit of work would insert a self-referencing table row by row. Each comes back
    with its id and is kept in the book by (parent, name), unique within a level.
    """
    _load_existing(db, book, [key for key in wanted if key not in book.nodes])
    widened: list[dict[str, Any]] = [
        {
            "node_id": node.id,
            "new_region": node.region_code,
            "new_lng": node.lng,
            "new_lat": node.lat,
        }
        for key, below in wanted.items()
        if (node := book.nodes.get(key)) is not None and _widen(node, _deeper(below, level_index))
    ]
    if widened:
        db.execute(_WIDEN, widened)
        _forget_loaded(db, [change["node_id"] for change in widened])
    rows = [
        _new_row(key[0], below, level_index, now)
        for key, below in wanted.items()
        if key not in book.nodes
    ]
    if rows:
        created = insert_returning(db, _TABLE, rows, _NODE_COLUMN_NAMES)
        for node_id, parent_id, name, region_code, lng, lat in created:
            book.nodes[(parent_id, name)] = _Node(node_id, region_code, lng, lat)
            book.created.add(node_id)


_WIDEN = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("node_id"))
    .values(region_code=bindparam("new_region"), lng=bindparam("new_lng"), lat=bindparam("new_lat"))
)


def _forget_loaded(db: Session, node_ids: Sequence[int]) -> None:
    """Expire the Address objects this session holds for widened nodes, so none reads stale."""
    for node_id in node_ids:
        loaded = db.identity_map.get(db.identity_key(Address, node_id))
        if loaded is not None:
            db.expire(loaded)


def _deeper(below: Sequence[_Placed], level_index: int) -> list[_Placed]:
    """The inputs that continue below this level (for them the node is not the leaf)."""
    return [item for item in below if len(item.parts) > level_index + 1]


def _load_existing(db: Session, book: AddressBook, keys: Sequence[_NodeKey]) -> None:
    """The stored nodes among `keys`; roads (no parent) are matched by name alone.

    Children of a node this book created were all created through it, so they
    are not asked for.
    """
    roads = [name for parent, name in keys if parent is None]
    children = [
        (parent, name) for parent, name in keys if parent is not None and parent not in book.created
    ]
    for start in range(0, len(roads), _CHUNK):
        query = select(*_NODE_COLUMNS).where(
            _TABLE.c.parent_id.is_(None), one_of(db, _TABLE.c.name, roads[start : start + _CHUNK])
        )
        _remember(book, db.execute(query))
    for start in range(0, len(children), _CHUNK):
        chunk = children[start : start + _CHUNK]
        query = select(*_NODE_COLUMNS).where(tuple_(_TABLE.c.parent_id, _TABLE.c.name).in_(chunk))
        _remember(book, db.execute(query))


def _remember(book: AddressBook, rows: Iterable[Any]) -> None:
    for node_id, parent_id, name, region_code, lng, lat in rows:
        book.nodes[(parent_id, name)] = _Node(node_id, region_code, lng, lat)


def _new_row(
    parent_id: int | None, below: Sequence[_Placed], level_index: int, now: datetime
) -> dict[str, Any]:
    """A node takes the first point below it: a building's point is about its rooms' point."""
    first = below[0]
    level, name = first.parts[level_index]
    region = first.region_code
    for item in _deeper(below, level_index):
        region = common_region(region, item.region_code)
    return {
        "parent_id": parent_id,
        "level": level.value,
        "name": name,
        "full_text": first.prefixes[level_index],
        "lng": first.lng,
        "lat": first.lat,
        "region_code": region,
        "created_at": now,
    }


def _widen(node: _Node, below: Sequence[_Placed]) -> bool:
    """A road crossing two grids belongs to the smallest region holding both; True if changed.

    Leaves keep the grid they were first placed in; only levels with rows
    below them widen, so a grid worker sees the rooms in the grid, and the
    street the whole road.
    """
    if not below:
        return False
    code = node.region_code
    for item in below:
        code = common_region(code, item.region_code)
    changed = code != node.region_code
    node.region_code = code
    if node.lng is None and below[0].lng is not None:
        node.lng, node.lat = below[0].lng, below[0].lat
        changed = True
    return changed


def common_region(first: str, second: str) -> str:
    """The smallest region code containing both (grid 15, community 12, street 9, district 6)."""
    if first.startswith(second):
        return second
    if second.startswith(first):
        return first
    for length in (12, 9, 6):
        if first[:length] == second[:length]:
            return first[:length]
    if first[:4] == second[:4]:
        return first[:4] + "00"
    if first[:2] == second[:2]:
        return first[:2] + "0000"
    return ""
