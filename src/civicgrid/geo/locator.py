"""The point → grid locator: which grid a WGS-84 point lies in, for millions of points a second.

A uniform raster is laid over the grids' extent. A cell that no grid edge passes through
lies wholly inside one grid or none, so it stores that answer and a point there costs one
array lookup. A cell that an edge passes through (a boundary cell) keeps the edges that
touch it, the grids that may cover part of it, and which of those cover its centre. A
point there is settled by counting, in numpy, the cell's edges crossed on the way from
the centre to the point: each crossing of a grid's edge flips whether the grid covers
it. Grids are tried in code order, so a point covered by several goes to the lowest code.
A point too close to an edge or vertex for floating point to call (a point on a shared
edge, say) is settled by Shapely's exact test instead, with the same tie-break.

A locator is immutable: when grids change the caller builds a new one and swaps the
reference, which is why building is kept to seconds for a whole city. Geometries must be
valid polygons or multipolygons in WGS-84.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

# The raster gets this many cells per grid or per ring vertex, whichever gives more,
# capped at 16 million cells (64 MB of int32 labels). Per grid, so that in a city-like
# partition only about one point in five lands in a boundary cell; per vertex, so that
# a few grids with long detailed outlines do not crowd hundreds of edges into a cell.
CELLS_PER_GRID = 128
CELLS_PER_VERTEX = 16
MAX_CELLS = 16_000_000

# Distances in cell units. An edge passing within _EPS of a cell counts as touching it,
# and a point within _EPS of an edge or vertex is left to the exact test. _EPS dwarfs the
# rounding of the cell arithmetic (about 1e-10 cells for city-sized rasters), so neither
# decision can be flipped by it.
_EPS = 1e-6

# Upper bound on the items generated at once while building, to keep the peak memory
# of a city-sized build near the size of the finished index.
_CHUNK = 1 << 19

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)

Ints = NDArray[np.signedinteger[Any]]  # int64 where it indexes, int32 where it is stored
Floats = NDArray[np.float64]
Flags = NDArray[np.bool_]
XY = tuple[Floats, Floats]


@dataclass(frozen=True, slots=True)
class _Raster:
    """Square cells of side ``size`` degrees, ``nx`` by ``ny``, from (x0, y0)."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int

    @classmethod
    def over(cls, bounds: Floats, cells: int) -> Self:
        """About ``cells`` square cells covering ``bounds`` (xmin, ymin, xmax, ymax)."""
        x0, y0, x1, y1 = (float(b) for b in bounds)
        width, height = x1 - x0, y1 - y0
        # The second term keeps a very elongated extent from needing more than `cells`
        # cells along its long side.
        size = max(math.sqrt(width * height / cells), max(width, height) / cells, 1e-9)
        # Counted with the division to_cells uses (not //, which may round differently),
        # so the far edge of the extent always falls inside the last cell.
        return cls(x0, y0, size, int(width / size) + 1, int(height / size) + 1)

    def to_cells(self, x: Floats, y: Floats) -> tuple[Floats, Floats]:
        """Coordinates in cell units; the same arithmetic serves building and querying."""
        return (x - self.x0) / self.size, (y - self.y0) / self.size

    def cell_of(self, u: Floats, v: Floats) -> Ints:
        """The cell holding each point given in cell units, or -1 outside the raster."""
        # Comparisons are False for NaN, so a point without coordinates is simply outside.
        inside = (u >= 0) & (u < self.nx) & (v >= 0) & (v < self.ny)
        cell = np.where(inside, v, 0).astype(np.int64) * self.nx
        cell += np.where(inside, u, 0).astype(np.int64)
        return np.where(inside, cell, -1)


class _Outline(NamedTuple):
    """Every ring vertex of every grid in cell units; segment i runs from vertex i to i + 1."""

    u: Floats
    v: Floats
    grid: NDArray[np.int32]  # the grid each vertex's ring belongs to
    segments: NDArray[np.int32]  # vertices starting a segment: all but each ring's last


class _BoundaryCells(NamedTuple):
    """What a point in boundary cell b needs; the lists are CSR, indexed by b."""

    # Grids that may cover part of the cell, in code order, and whether each covers
    # the centre: candidates[candidate_offsets[b]:candidate_offsets[b + 1]].
    candidate_offsets: Ints
    candidates: NDArray[np.int32]
    centre_inside: Flags
    # Segments touching the cell, and each one's grid as an index into the cell's
    # candidates: segments[segment_offsets[b]:segment_offsets[b + 1]].
    segment_offsets: Ints
    segments: NDArray[np.int32]
    segment_slot: NDArray[np.int32]


class Locator:
    """An immutable index answering which grid covers a point; safe to share across threads."""

    def __init__(
        self,
        *,
        codes: tuple[str, ...],
        geometries: NDArray[np.object_],
        raster: _Raster,
        cells: NDArray[np.int32],
        outline: _Outline,
        boundary: _BoundaryCells,
    ) -> None:
        self.codes = codes
        self._geometries = geometries
        self._raster = raster
        # cells[i] >= 0: the grid covering all of cell i; -1: no grid; <= -2: boundary
        # cell number -2 - cells[i].
        self._cells = cells
        self._u, self._v = outline.u, outline.v
        self._boundary = boundary

    @classmethod
    def build(cls, grids: Iterable[tuple[str, BaseGeometry]]) -> Self:
        """Index grids given as (code, polygon or multipolygon in WGS-84)."""
        codes, geometries = _sorted_grids(grids)
        n_grids = max(len(codes), 1)
        raster = _Raster.over(_extent(geometries), _cell_budget(geometries))
        outline = _outline(geometries, raster)
        cell, segment = _touching_segments(outline, raster)
        touched_cells = cell[_starts_of_runs(cell)]
        labels, covering = _label_cells(outline, raster, n_grids, touched_cells)
        boundary = _boundary_cells(cell, segment, covering, outline, n_grids)
        labels[touched_cells] = -2 - np.arange(touched_cells.size, dtype=np.int32)
        _prepare(geometries)
        for array in (labels, outline.u, outline.v, *boundary):
            array.flags.writeable = False
        return cls(
            codes=codes,
            geometries=geometries,
            raster=raster,
            cells=labels,
            outline=outline,
            boundary=boundary,
        )

    @classmethod
    def empty(cls) -> Self:
        """A locator with no grids: every point is unlocated."""
        return cls.build([])

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the grid covering (lng, lat), or None when no grid does."""
        index = int(self.locate_many(np.array([lng]), np.array([lat]))[0])
        return self.codes[index] if index >= 0 else None

    def locate_many(self, lngs: ArrayLike, lats: ArrayLike) -> NDArray[np.int32]:
        """For each point, the index into ``codes`` of its grid, or -1 when it has none."""
        x = np.asarray(lngs, dtype=np.float64)
        y = np.asarray(lats, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        x, y = np.broadcast_to(x, shape).ravel(), np.broadcast_to(y, shape).ravel()
        u, v = self._raster.to_cells(x, y)
        cell = self._raster.cell_of(u, v)
        found = np.where(cell >= 0, self._cells[cell], np.int32(-1))
        pending = np.flatnonzero(found <= -2)
        if pending.size:  # a single point usually needs no more than the lookup
            self._settle_boundary(found, pending, cell[pending], u[pending], v[pending])
            unsure = pending[found[pending] <= -2]
            self._settle_exactly(found, unsure, x[unsure], y[unsure])
        return found.reshape(shape)

    def codes_for(self, indices: ArrayLike) -> list[str | None]:
        """Turn indices from ``locate_many`` into codes, None for an unlocated point."""
        return [self.codes[i] if i >= 0 else None for i in np.ravel(indices).tolist()]

    def _settle_boundary(
        self, found: NDArray[np.int32], pending: Ints, cell: Ints, u: Floats, v: Floats
    ) -> None:
        """Settle points in boundary cells by counting edge crossings from the cell centre.

        Which grids cover the centre comes from the scanline fill. Where a centre lies
        within _EPS of an edge, so that could be off, the path to any point of the cell
        passes near that edge and is unclear. Points whose count is unclear keep a value
        <= -2 in ``found``.
        """
        b = -2 - found[pending].astype(np.int64)
        row, col = np.divmod(cell, self._raster.nx)
        owner, entry = _ranges(*_runs(self._boundary.segment_offsets, b))
        segment = self._boundary.segments[entry]
        centre_u, centre_v = (col + 0.5)[owner], (row + 0.5)[owner]
        crossed, unclear = _crossings(
            (self._u[segment] - centre_u, self._v[segment] - centre_v),
            (self._u[segment + 1] - centre_u, self._v[segment + 1] - centre_v),
            (u[owner] - centre_u, v[owner] - centre_v),
        )
        settled = self._lowest_covering(b, owner[crossed], entry[crossed])
        unsure = np.zeros(b.size, dtype=bool)
        unsure[owner[unclear]] = True
        found[pending] = np.where(unsure, found[pending], settled)

    def _lowest_covering(self, b: Ints, owner: Ints, entry: Ints) -> NDArray[np.int32]:
        """Per point in boundary cell b[i], the lowest grid covering it, or -1.

        A grid covers the point if it covers the centre and the path crosses its edges an
        even number of times, or does not and the count is odd; ``owner`` and ``entry``
        list the crossings as (point, segment entry of its cell).
        """
        boundary = self._boundary
        start, count = _runs(boundary.candidate_offsets, b)
        point, candidate = _ranges(start, count)
        # Each crossing flips its grid's entry among the point's candidates, which
        # start at first[point] in the flattened list.
        first = np.cumsum(count) - count
        flips = np.bincount(first[owner] + boundary.segment_slot[entry], minlength=point.size)
        inside = np.flatnonzero(boundary.centre_inside[candidate] ^ (flips % 2 == 1))
        lowest = inside[_starts_of_runs(point[inside])]
        settled = np.full(b.size, np.int32(-1))
        settled[point[lowest]] = boundary.candidates[candidate[lowest]]
        return settled

    def _settle_exactly(
        self, found: NDArray[np.int32], pending: Ints, x: Floats, y: Floats
    ) -> None:
        """Settle points with Shapely's exact test against their cell's candidates.

        Round k tests each unsettled point against its cell's k-th candidate; candidates
        are in code order, so the first that covers the point is the lowest code.
        """
        boundary = self._boundary
        b = -2 - found[pending].astype(np.int64)
        found[pending] = -1
        position, stop = boundary.candidate_offsets[b], boundary.candidate_offsets[b + 1]
        while pending.size:
            grid = boundary.candidates[position]
            hit = shapely.intersects_xy(self._geometries[grid], x, y)
            found[pending[hit]] = grid[hit]
            position += 1
            keep = ~hit & (position < stop)
            pending, x, y, position, stop = (a[keep] for a in (pending, x, y, position, stop))


def _crossings(a: XY, b: XY, p: XY) -> tuple[Flags, Flags]:
    """Whether segment a-b crosses the path from the origin to p, and whether that is unclear.

    The crossing is proper when a and b lie strictly on opposite sides of the path's line
    and the origin and p strictly on opposite sides of the segment's line. It is unclear
    when one of those four points lies within _EPS of the other line while the opposite
    test does not rule a crossing out.
    """
    (ax, ay), (bx, by), (px, py) = a, b, p
    ex, ey = bx - ax, by - ay
    origin_side = ey * ax - ex * ay  # the origin and p against the segment's line
    p_side = ex * (py - ay) - ey * (px - ax)
    a_side = px * ay - py * ax  # a and b against the path's line
    b_side = px * by - py * bx
    segment_tolerance = _EPS * np.hypot(ex, ey)
    path_tolerance = _EPS * np.hypot(px, py)
    near_segment_line = (np.abs(origin_side) <= segment_tolerance) | (
        np.abs(p_side) <= segment_tolerance
    )
    near_path_line = (np.abs(a_side) <= path_tolerance) | (np.abs(b_side) <= path_tolerance)
    apart_across_segment = (origin_side > 0) != (p_side > 0)
    apart_across_path = (a_side > 0) != (b_side > 0)
    crossed = apart_across_segment & apart_across_path & ~near_segment_line & ~near_path_line
    unclear = (near_segment_line & (apart_across_path | near_path_line)) | (
        near_path_line & (apart_across_segment | near_segment_line)
    )
    return crossed, unclear


def _sorted_grids(
    grids: Iterable[tuple[str, BaseGeometry]],
) -> tuple[tuple[str, ...], NDArray[np.object_]]:
    """Codes in ascending order, which is the order ties are broken in, with their shapes."""
    pairs = sorted(grids, key=lambda pair: pair[0])
    codes = tuple(code for code, _ in pairs)
    if len(set(codes)) != len(codes):
        raise ValueError("grid codes must be unique")
    geometries = np.array([geometry for _, geometry in pairs], dtype=object)
    if not np.isin(shapely.get_type_id(geometries), _POLYGONAL).all():
        raise ValueError("grid geometries must be polygons or multipolygons")
    return codes, geometries


def _cell_budget(geometries: NDArray[np.object_]) -> int:
    vertices = int(shapely.get_num_coordinates(geometries).sum())
    wanted = max(geometries.size * CELLS_PER_GRID, vertices * CELLS_PER_VERTEX, 1)
    return min(wanted, MAX_CELLS)


def _extent(geometries: NDArray[np.object_]) -> Floats:
    if shapely.is_empty(geometries).all():
        # Nothing to cover: any small raster will do, all of it empty.
        return np.array([0.0, 0.0, 1.0, 1.0])
    return shapely.total_bounds(geometries)


def _outline(geometries: NDArray[np.object_], raster: _Raster) -> _Outline:
    parts, part_grid = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    points, point_ring = shapely.get_coordinates(rings, return_index=True)
    u, v = raster.to_cells(points[:, 0], points[:, 1])
    # Rings are closed (the last vertex repeats the first), so every vertex but the
    # last of its ring starts a segment.
    segments = np.flatnonzero(point_ring[1:] == point_ring[:-1])
    grid = part_grid[ring_part[point_ring]].astype(np.int32)
    return _Outline(u, v, grid, segments.astype(np.int32))


def _runs(offsets: Ints, index: Ints) -> tuple[Ints, Ints]:
    """Start and length of the CSR runs numbered ``index``."""
    start = offsets[index]
    return start, offsets[index + 1] - start


def _ranges(starts: Ints, counts: Ints) -> tuple[Ints, Ints]:
    """Expand integer ranges [start, start + count) into (range number, value) pairs."""
    owner = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - np.repeat(first - starts, counts)


def _chunks(counts: Ints, limit: int) -> Iterator[slice]:
    """Slices of consecutive items whose counts add up to about ``limit`` at most."""
    totals = np.cumsum(counts)
    start = 0
    while start < counts.size:
        done = int(totals[start - 1]) if start else 0
        stop = max(int(np.searchsorted(totals, done + limit, side="right")), start + 1)
        yield slice(start, stop)
        start = stop


def _distinct(values: Ints) -> Ints:
    """Sorted unique values; numpy 2.4's hash-based ``np.unique`` is far slower on int64."""
    ordered = np.sort(values)
    return ordered[_starts_of_runs(ordered)]


def _starts_of_runs(ordered: Ints) -> Flags:
    return np.concatenate([ordered[:1] == ordered[:1], ordered[1:] != ordered[:-1]])


def _floor(a: Floats) -> Ints:
    return np.floor(a).astype(np.int64)


def _touching_segments(outline: _Outline, raster: _Raster) -> tuple[Ints, Ints]:
    """Every (cell, segment) pair where the segment touches the cell, sorted by cell.

    A segment meets a cell only if it has an endpoint in the cell or crosses one of the
    cell's sides, so marking the endpoint cells and the two cells on either side of every
    grid-line crossing finds them all, without sampling.
    """
    start, end = outline.segments, outline.segments + 1
    du = np.abs(outline.u[end] - outline.u[start])
    dv = np.abs(outline.v[end] - outline.v[start])
    work = _floor(du + 2 * _EPS) + _floor(dv + 2 * _EPS) + 3
    # Chunks hold different segments, so no key repeats across them: sorting suffices.
    keys = np.concatenate(
        [
            np.empty(0, np.int64),
            *(_touched_by(outline, part, raster) for part in _chunks(work, _CHUNK)),
        ]
    )
    keys.sort()
    return np.divmod(keys, outline.u.size)


def _touched_by(outline: _Outline, part: slice, raster: _Raster) -> Ints:
    segment = outline.segments[part]
    u1, v1 = outline.u[segment], outline.v[segment]
    u2, v2 = outline.u[segment + 1], outline.v[segment + 1]
    keys = [_box_keys((u1, u1), (v1, v1), segment, raster, outline.u.size)]
    # A crossing of the vertical line u = k touches columns k - 1 and k, which are the
    # columns within half a cell of it; likewise rows for a horizontal line.
    owner, k, v = _line_crossings(u1, v1, u2, v2)
    keys.append(_box_keys((k - 0.5, k + 0.5), (v, v), segment[owner], raster, outline.u.size))
    owner, k, u = _line_crossings(v1, u1, v2, u2)
    keys.append(_box_keys((u, u), (k - 0.5, k + 0.5), segment[owner], raster, outline.u.size))
    return _distinct(np.concatenate(keys))


def _line_crossings(a1: Floats, b1: Floats, a2: Floats, b2: Floats) -> tuple[Ints, Floats, Floats]:
    """Where segments cross the lines a = integer: (segment, line, b at the crossing).

    Lines within _EPS of a segment's span count as crossed. ``b`` is clamped to the
    segment's own range, which bounds the error of steep segments; their cells are also
    reached through the crossings in the other direction.
    """
    first = _floor(np.minimum(a1, a2) - _EPS) + 1
    owner, line = _ranges(first, _floor(np.maximum(a1, a2) + _EPS) - first + 1)
    da, db = a2 - a1, b2 - b1
    slope = np.divide(db, da, out=np.zeros_like(db), where=da != 0)[owner]
    b = b1[owner] + (line - a1[owner]) * slope
    b = np.clip(b, np.minimum(b1, b2)[owner], np.maximum(b1, b2)[owner])
    return owner, line.astype(np.float64), b


def _box_keys(u: XY, v: XY, item: Ints, raster: _Raster, item_count: int) -> Ints:
    """Keys ``cell * item_count + item`` of the cells within _EPS of each box u x v.

    Boxes are points or unit-wide spans, given as (low, high) bounds, so each meets at
    most 2 x 2 cells.
    """
    col0, col1 = _floor(u[0] - _EPS), _floor(u[1] + _EPS)
    row0, row1 = _floor(v[0] - _EPS), _floor(v[1] + _EPS)
    keys = []
    for dc in (0, 1):
        for dr in (0, 1):
            col, row = col0 + dc, row0 + dr
            keep = (col <= col1) & (row <= row1)
            keep &= (col >= 0) & (col < raster.nx) & (row >= 0) & (row < raster.ny)
            keys.append(((row * raster.nx + col) * item_count + item)[keep])
    return np.concatenate(keys)


def _label_cells(
    outline: _Outline, raster: _Raster, n_grids: int, touched_cells: Ints
) -> tuple[NDArray[np.int32], Ints]:
    """Label each cell with the lowest grid covering its centre, by scanline fill.

    Returns the labels (-1 for none) and the keys ``cell * n_grids + grid`` of every
    touched cell whose centre the grid covers.
    """
    grid, row, start, stop = _spans(outline, raster)
    labels = np.full(raster.nx * raster.ny, n_grids, dtype=np.int32)
    touched = np.zeros(labels.size, dtype=bool)
    touched[touched_cells] = True
    covering = [np.empty(0, np.int64)]
    for part in _chunks(stop - start, _CHUNK):
        owner, col = _ranges(start[part], stop[part] - start[part])
        cell = row[part][owner] * raster.nx + col
        cell_grid = grid[part][owner]
        np.minimum.at(labels, cell, cell_grid.astype(np.int32))
        covering.append((cell * n_grids + cell_grid)[touched[cell]])
    labels[labels == n_grids] = -1
    return labels, _distinct(np.concatenate(covering))


def _spans(outline: _Outline, raster: _Raster) -> tuple[Ints, Ints, Ints, Ints]:
    """Runs of cells whose centres lie inside a grid: (grid, row, first column, end column).

    Each row's centre line is cut by the grid's edges; sorted along the line, the cuts
    pair up into inside stretches (even-odd rule, so holes and multipolygons need no
    special case). A segment counts on a line if one end is on or below it and the other
    above, so a vertex on the line is counted exactly once or twice as it must be.
    """
    v1, v2 = outline.v[outline.segments], outline.v[outline.segments + 1]
    first = np.ceil(np.minimum(v1, v2) - 0.5).astype(np.int64)
    count = np.ceil(np.maximum(v1, v2) - 0.5).astype(np.int64) - first
    # Only segments that cut some centre line matter; detailed outlines have few.
    cutting = np.flatnonzero(count)
    segment, v1, v2 = outline.segments[cutting], v1[cutting], v2[cutting]
    u1, u2 = outline.u[segment], outline.u[segment + 1]
    owner, row = _ranges(first[cutting], count[cutting])
    u = u1[owner] + (row + 0.5 - v1[owner]) * (u2 - u1)[owner] / (v2 - v1)[owner]
    grid = outline.grid[segment][owner]
    order = np.lexsort((u, row, grid))
    grid, row, u = grid[order], row[order], u[order]
    start = np.clip(np.ceil(u[0::2] - 0.5), 0, raster.nx).astype(np.int64)
    stop = np.clip(np.ceil(u[1::2] - 0.5), 0, raster.nx).astype(np.int64)
    return grid[0::2], row[0::2], start, stop


def _boundary_cells(
    cell: Ints, segment: Ints, covering: Ints, outline: _Outline, n_grids: int
) -> _BoundaryCells:
    """Gather, per touched cell, its segments and candidate grids (see _BoundaryCells)."""
    segment_key = cell * n_grids + outline.grid[segment]
    candidate_keys = _distinct(np.concatenate([segment_key, covering]))
    segment_starts = _starts_of_runs(cell)
    segment_cell = np.cumsum(segment_starts) - 1
    candidate_offsets = _offsets(_starts_of_runs(candidate_keys // n_grids))
    slot = np.searchsorted(candidate_keys, segment_key) - candidate_offsets[segment_cell]
    return _BoundaryCells(
        candidate_offsets=candidate_offsets,
        candidates=(candidate_keys % n_grids).astype(np.int32),
        centre_inside=_members(candidate_keys, covering),
        segment_offsets=_offsets(segment_starts),
        segments=segment.astype(np.int32),
        segment_slot=slot.astype(np.int32),
    )


def _offsets(starts: Flags) -> Ints:
    """CSR offsets of runs flagged by their first item, ending with the total length."""
    return np.append(np.flatnonzero(starts), starts.size).astype(np.int64)


def _members(values: Ints, ordered: Ints) -> Flags:
    """Which of ``values`` occur in the sorted array ``ordered``."""
    at = np.minimum(np.searchsorted(ordered, values), max(ordered.size - 1, 0))
    return ordered[at] == values if ordered.size else np.zeros(values.size, dtype=bool)


def _prepare(geometries: NDArray[np.object_]) -> None:
    """Prepare geometries for fast exact tests, and build their lazy parts now.

    GEOS builds a prepared polygon's point-location index on first use; doing that here,
    while the locator is still private to one thread, keeps later concurrent queries
    read-only.
    """
    shapely.prepare(geometries)
    xmin, ymin, xmax, ymax = shapely.bounds(geometries).T
    shapely.intersects_xy(geometries, (xmin + xmax) / 2, (ymin + ymax) / 2)
