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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

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
    placed = _place_all(db, items, grid_index)
    parents: list[int | None] = [None] * len(placed)
    leaves: list[Address | None] = [None] * len(placed)
    depth = max((len(item.parts) for item in placed), default=0)
    for level_index in range(depth):
        reaching = [n for n, item in enumerate(placed) if len(item.parts) > level_index]
        nodes = _ensure_level(db, placed, parents, reaching, level_index)
        for position in reaching:
            node = nodes[_key(placed[position], parents[position], level_index)]
            parents[position] = node.id
            leaves[position] = node
    return [leaf for leaf in leaves if leaf is not None]


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
    return _Placed(parts=parts, region_code=region, lng=lng, lat=lat)


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


def _key(item: _Placed, parent: int | None, level_index: int) -> _NodeKey:
    return parent, item.parts[level_index][1]


def _ensure_level(
    db: Session,
    placed: Sequence[_Placed],
    parents: Sequence[int | None],
    reaching: Sequence[int],
    level_index: int,
) -> dict[_NodeKey, Address]:
    """Find or create the nodes of one level for every input that reaches it.

    New nodes go in as one multi-row INSERT … RETURNING: the ORM's unit of work
    would insert a self-referencing table row by row. The returned rows are
    matched back by (parent, name), unique within a level, because asking the
    engine to keep the parameters' order makes SQLite insert one row at a time.
    """
    wanted: dict[_NodeKey, list[_Placed]] = {}
    for position in reaching:
        key = _key(placed[position], parents[position], level_index)
        wanted.setdefault(key, []).append(placed[position])
    nodes = _existing(db, list(wanted))
    for key, node in nodes.items():
        _widen(node, _deeper(wanted[key], level_index))
    rows = [
        _new_row(key[0], below, level_index) for key, below in wanted.items() if key not in nodes
    ]
    if rows:
        # render_nulls: rows with and without a point stay in one statement, not many.
        created = db.scalars(
            insert(Address).returning(Address).execution_options(render_nulls=True), rows
        )
        nodes.update({(row.parent_id, row.name): row for row in created})
    db.flush()
    return nodes


def _deeper(below: Sequence[_Placed], level_index: int) -> list[_Placed]:
    """The inputs that continue below this level (for them the node is not the leaf)."""
    return [item for item in below if len(item.parts) > level_index + 1]


def _existing(db: Session, keys: Sequence[_NodeKey]) -> dict[_NodeKey, Address]:
    """The nodes already stored; roads (no parent) are matched by name alone."""
    roads = [name for parent, name in keys if parent is None]
    children = [(parent, name) for parent, name in keys if parent is not None]
    found: dict[_NodeKey, Address] = {}
    for start in range(0, len(roads), _CHUNK):
        query = select(Address).where(
            Address.parent_id.is_(None), Address.name.in_(roads[start : start + _CHUNK])
        )
        found.update({(None, row.name): row for row in db.scalars(query)})
    for start in range(0, len(children), _CHUNK):
        chunk = children[start : start + _CHUNK]
        query = select(Address).where(tuple_(Address.parent_id, Address.name).in_(chunk))
        found.update({(row.parent_id, row.name): row for row in db.scalars(query)})
    return found


def _new_row(parent_id: int | None, below: Sequence[_Placed], level_index: int) -> dict[str, Any]:
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
        "full_text": "".join(part for _, part in first.parts[: level_index + 1]),
        "lng": first.lng,
        "lat": first.lat,
        "region_code": region,
        "created_at": utcnow(),
    }


def _widen(node: Address, below: Sequence[_Placed]) -> None:
    """A road crossing two grids belongs to the smallest region holding both.

    Leaves keep the grid they were first placed in; only levels with rows
    below them widen, so a grid worker sees the rooms in the grid, and the
    street the whole road.
    """
    if not below:
        return
    code = node.region_code
    for item in below:
        code = common_region(code, item.region_code)
    if code != node.region_code:
        node.region_code = code
    if node.lng is None and below[0].lng is not None:
        node.lng, node.lat = below[0].lng, below[0].lat


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
