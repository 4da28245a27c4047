"""The point → grid locator: which grid a WGS-84 point lies in, for millions of points a second.

A uniform raster is laid over the grids' extent. A cell that no grid edge passes through
lies wholly inside one grid or none, so it stores that answer and a point there costs one
array lookup. A cell that an edge passes through (a boundary cell) stores the grids that
may cover part of it; a point there gets an exact Shapely test against those candidates,
tried in code order so that a point on a shared edge or vertex goes to the lowest code.
Grids are the city's partition, so with a few hundred cells per grid most points never
reach Shapely.

A locator is immutable: when grids change the caller builds a new one and swaps the
reference, which is why building is kept to seconds for a whole city. Geometries must be
valid polygons or multipolygons in WGS-84.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Self

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

# About 256 cells per grid leaves roughly one point in six in a boundary cell for a
# city-like partition; the cap bounds the label raster at 64 MB of int32.
CELLS_PER_GRID = 256
MAX_CELLS = 16_000_000

# An edge passing within this fraction of a cell of a cell's square makes it a boundary
# cell. It dwarfs the rounding of the cell arithmetic (about 1e-12 cells), so a point on
# an edge can never be looked up in a cell that was labelled as wholly inside one grid.
_EPS = 1e-6

# Upper bound on the cells generated at once while building, to keep the peak memory
# of a city-sized build near the size of the finished index.
_CHUNK = 1 << 20

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Raster:
    """Square cells of side ``size`` degrees, ``nx`` by ``ny``, from (x0, y0)."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int

    @classmethod
    def over(cls, bounds: Floats, n_grids: int) -> Self:
        x0, y0, x1, y1 = (float(b) for b in bounds)
        width, height = x1 - x0, y1 - y0
        cells = min(max(n_grids, 1) * CELLS_PER_GRID, MAX_CELLS)
        # The second term keeps a very elongated extent from needing more than `cells`
        # cells along its long side.
        size = max(math.sqrt(width * height / cells), max(width, height) / cells, 1e-9)
        return cls(x0, y0, size, int(width // size) + 1, int(height // size) + 1)

    def to_cells(self, x: Floats, y: Floats) -> tuple[Floats, Floats]:
        """Coordinates in cell units; the same arithmetic serves building and querying."""
        return (x - self.x0) / self.size, (y - self.y0) / self.size


class _Edges(NamedTuple):
    """Every ring segment of every grid, in cell units, with the grid it belongs to."""

    grid: Ints
    u1: Floats
    v1: Floats
    u2: Floats
    v2: Floats


class Locator:
    """An immutable index answering which grid covers a point; safe to share across threads."""

    def __init__(
        self,
        codes: tuple[str, ...],
        geometries: NDArray[np.object_],
        raster: _Raster,
        cells: NDArray[np.int32],
        offsets: Ints,
        candidates: NDArray[np.int32],
    ) -> None:
        self.codes = codes
        self._geometries = geometries
        self._raster = raster
        # cells[i] >= 0: the grid covering all of cell i; -1: no grid; <= -2: boundary
        # cell number -2 - cells[i], whose candidates are candidates[offsets[b]:offsets[b+1]].
        self._cells = cells
        self._offsets = offsets
        self._candidates = candidates

    @classmethod
    def build(cls, grids: Iterable[tuple[str, BaseGeometry]]) -> Self:
        """Index grids given as (code, polygon or multipolygon in WGS-84)."""
        codes, geometries = _sorted_grids(grids)
        raster = _Raster.over(_extent(geometries), len(codes))
        edges = _edges(geometries, raster)
        n_grids = max(len(codes), 1)
        boundary = _boundary_keys(edges, raster, n_grids)
        labels, covering = _label_cells(edges, raster, n_grids, _distinct(boundary // n_grids))
        cells, offsets, candidates = _encode(
            labels, _distinct(np.concatenate([boundary, covering])), n_grids
        )
        _prepare(geometries)
        for array in (cells, offsets, candidates):
            array.flags.writeable = False
        return cls(codes, geometries, raster, cells, offsets, candidates)

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
        found = self._cell_values(x, y)
        pending = np.flatnonzero(found <= -2)
        self._resolve_boundary(found, pending, x[pending], y[pending])
        return found.reshape(shape)

    def codes_for(self, indices: NDArray[np.integer]) -> list[str | None]:
        """Turn indices from ``locate_many`` into codes, None for an unlocated point."""
        return [self.codes[i] if i >= 0 else None for i in np.asarray(indices).ravel().tolist()]

    def _cell_values(self, x: Floats, y: Floats) -> NDArray[np.int32]:
        raster = self._raster
        u, v = raster.to_cells(x, y)
        # Comparisons are False for NaN, so a point without coordinates is simply outside.
        inside = (u >= 0) & (u < raster.nx) & (v >= 0) & (v < raster.ny)
        cell = np.where(inside, v, 0).astype(np.int64) * raster.nx
        cell += np.where(inside, u, 0).astype(np.int64)
        return np.where(inside, self._cells[cell], np.int32(-1))

    def _resolve_boundary(
        self, found: NDArray[np.int32], pending: Ints, x: Floats, y: Floats
    ) -> None:
        """Settle points in boundary cells exactly, writing each one's grid into ``found``.

        Round k tests each unsettled point against its cell's k-th candidate; candidates
        are in code order, so the first that covers the point is the lowest code.
        """
        boundary = -2 - found[pending]
        found[pending] = -1
        position, stop = self._offsets[boundary], self._offsets[boundary + 1]
        while pending.size:
            grid = self._candidates[position]
            hit = shapely.intersects_xy(self._geometries[grid], x, y)
            found[pending[hit]] = grid[hit]
            position += 1
            keep = ~hit & (position < stop)
            pending, x, y, position, stop = (a[keep] for a in (pending, x, y, position, stop))


def _sorted_grids(
    grids: Iterable[tuple[str, BaseGeometry]],
) -> tuple[tuple[str, ...], NDArray[np.object_]]:
    """Codes in ascending order, which is the order ties are broken in, with their shapes."""
    pairs = sorted(grids, key=lambda pair: pair[0])
    codes = tuple(code for code, _ in pairs)
    if len(set(codes)) != len(codes):
        raise ValueError("grid codes must be unique")
    geometries = np.array([geometry for _, geometry in pairs] or [], dtype=object)
    kinds = shapely.get_type_id(geometries)
    if not np.isin(kinds, _POLYGONAL).all():
        raise ValueError("grid geometries must be polygons or multipolygons")
    return codes, geometries


def _extent(geometries: NDArray[np.object_]) -> Floats:
    if shapely.is_empty(geometries).all():
        # Nothing to cover: any small raster will do, all of it empty.
        return np.array([0.0, 0.0, 1.0, 1.0])
    return shapely.total_bounds(geometries)


def _edges(geometries: NDArray[np.object_], raster: _Raster) -> _Edges:
    parts, part_grid = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    points, point_ring = shapely.get_coordinates(rings, return_index=True)
    # Consecutive points of one ring form a segment; rings are closed, so the last
    # point repeats the first and every vertex starts a segment.
    same_ring = point_ring[1:] == point_ring[:-1]
    start, end = points[:-1][same_ring], points[1:][same_ring]
    u1, v1 = raster.to_cells(start[:, 0], start[:, 1])
    u2, v2 = raster.to_cells(end[:, 0], end[:, 1])
    grid = part_grid[ring_part[point_ring[:-1][same_ring]]].astype(np.int64)
    return _Edges(grid, u1, v1, u2, v2)


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
    """Sorted unique values; numpy 2.4's hash-based ``np.unique`` is far slower on int64 keys."""
    ordered = np.sort(values)
    return ordered[_starts_of_runs(ordered)]


def _starts_of_runs(ordered: Ints) -> NDArray[np.bool_]:
    return np.concatenate([ordered[:1] == ordered[:1], ordered[1:] != ordered[:-1]])


def _floor(a: Floats) -> Ints:
    return np.floor(a).astype(np.int64)


def _boundary_keys(edges: _Edges, raster: _Raster, n_grids: int) -> Ints:
    """Sorted unique keys ``cell * n_grids + grid`` for every cell a grid's edge touches.

    A segment meets a cell only if it has an endpoint in the cell or crosses one of the
    cell's sides, so marking the endpoint cells and the two cells on either side of every
    grid-line crossing finds them all, without sampling.
    """
    lo_u, hi_u = np.minimum(edges.u1, edges.u2), np.maximum(edges.u1, edges.u2)
    lo_v, hi_v = np.minimum(edges.v1, edges.v2), np.maximum(edges.v1, edges.v2)
    work = _floor(hi_u + _EPS) - _floor(lo_u - _EPS) + _floor(hi_v + _EPS) - _floor(lo_v - _EPS)
    found = [
        _touched_by(_Edges(*(column[part] for column in edges)), raster, n_grids)
        for part in _chunks(work + 1, _CHUNK)
    ]
    return _distinct(np.concatenate([np.empty(0, np.int64), *found]))


def _touched_by(edges: _Edges, raster: _Raster, n_grids: int) -> Ints:
    grid, u1, v1, u2, v2 = edges
    keys = [_box_keys(u1, u1, v1, v1, grid, raster, n_grids)]
    # A crossing of the vertical line u = k touches columns k - 1 and k, which are the
    # columns within half a cell of it; likewise rows for a horizontal line.
    owner, k, v = _line_crossings(u1, v1, u2, v2)
    keys.append(_box_keys(k - 0.5, k + 0.5, v, v, grid[owner], raster, n_grids))
    owner, k, u = _line_crossings(v1, u1, v2, u2)
    keys.append(_box_keys(u, u, k - 0.5, k + 0.5, grid[owner], raster, n_grids))
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


def _box_keys(
    u_lo: Floats,
    u_hi: Floats,
    v_lo: Floats,
    v_hi: Floats,
    grid: Ints,
    raster: _Raster,
    n_grids: int,
) -> Ints:
    """Keys of the cells within _EPS of each box [u_lo, u_hi] x [v_lo, v_hi].

    Boxes are points or unit-wide spans, so each meets at most 2 x 2 cells.
    """
    col0, col1 = _floor(u_lo - _EPS), _floor(u_hi + _EPS)
    row0, row1 = _floor(v_lo - _EPS), _floor(v_hi + _EPS)
    keys = []
    for dc in (0, 1):
        for dr in (0, 1):
            col, row = col0 + dc, row0 + dr
            keep = (col <= col1) & (row <= row1)
            keep &= (col >= 0) & (col < raster.nx) & (row >= 0) & (row < raster.ny)
            keys.append(((row * raster.nx + col) * n_grids + grid)[keep])
    return np.concatenate(keys)


def _label_cells(
    edges: _Edges, raster: _Raster, n_grids: int, boundary_cells: Ints
) -> tuple[NDArray[np.int32], Ints]:
    """Label each cell with the lowest grid covering its centre, by scanline fill.

    Returns the labels (-1 for none) and, as extra candidate keys, every (boundary cell,
    grid covering its centre): that catches a grid which overlaps a boundary cell
    entirely without an edge of its own there.
    """
    grid, row, start, stop = _spans(edges, raster)
    labels = np.full(raster.nx * raster.ny, n_grids, dtype=np.int32)
    is_boundary = np.zeros(labels.size, dtype=bool)
    is_boundary[boundary_cells] = True
    covering = [np.empty(0, np.int64)]
    for part in _chunks(stop - start, _CHUNK):
        owner, col = _ranges(start[part], stop[part] - start[part])
        cell = row[part][owner] * raster.nx + col
        owner_grid = grid[part][owner]
        np.minimum.at(labels, cell, owner_grid.astype(np.int32))
        on_boundary = is_boundary[cell]
        covering.append(cell[on_boundary] * n_grids + owner_grid[on_boundary])
    labels[labels == n_grids] = -1
    return labels, np.concatenate(covering)


def _spans(edges: _Edges, raster: _Raster) -> tuple[Ints, Ints, Ints, Ints]:
    """Runs of cells whose centres lie inside a grid: (grid, row, first column, end column).

    Each row's centre line is cut by the grid's edges; sorted along the line, the cuts
    pair up into inside stretches (even-odd rule, so holes and multipolygons need no
    special case). An edge counts on a line if one end is on or below it and the other
    above, so a vertex on the line is counted exactly once or twice as it must be.
    """
    grid, u1, v1, u2, v2 = edges
    first = np.ceil(np.minimum(v1, v2) - 0.5).astype(np.int64)
    owner, row = _ranges(first, np.ceil(np.maximum(v1, v2) - 0.5).astype(np.int64) - first)
    centre = row + 0.5
    u = u1[owner] + (centre - v1[owner]) * (u2 - u1)[owner] / (v2 - v1)[owner]
    order = np.lexsort((u, row, grid[owner]))
    grid, row, u = grid[owner][order], row[order], u[order]
    start = np.clip(np.ceil(u[0::2] - 0.5), 0, raster.nx).astype(np.int64)
    stop = np.clip(np.ceil(u[1::2] - 0.5), 0, raster.nx).astype(np.int64)
    return grid[0::2], row[0::2], start, stop


def _encode(
    labels: NDArray[np.int32], keys: Ints, n_grids: int
) -> tuple[NDArray[np.int32], Ints, NDArray[np.int32]]:
    """Fold the sorted candidate keys into the raster as boundary cells with candidates."""
    cell, grid = np.divmod(keys, n_grids)
    first = np.flatnonzero(_starts_of_runs(cell))
    boundary_cells = cell[first]
    labels[boundary_cells] = -2 - np.arange(boundary_cells.size, dtype=np.int32)
    offsets = np.append(first, keys.size).astype(np.int64)
    return labels, offsets, grid.astype(np.int32)


def _prepare(geometries: NDArray[np.object_]) -> None:
    """Prepare geometries for fast exact tests, and build their lazy parts now.

    GEOS builds a prepared polygon's point-location index on first use; doing that here,
    while the locator is still private to one thread, keeps later concurrent queries
    read-only.
    """
    shapely.prepare(geometries)
    xmin, ymin, xmax, ymax = shapely.bounds(geometries).T
    shapely.intersects_xy(geometries, (xmin + xmax) / 2, (ymin + ymax) / 2)
