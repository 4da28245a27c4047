"""Getis-Ord Gi* over H3 hexagons, with Benjamini–Hochberg false-discovery control.

Neighbours of a hexagon are the hexagons within `k` steps (its k-ring), itself included,
with weight 1 (the "star": a hexagon's own count is part of its neighbourhood sum). The
study area is every hexagon within `k` of an event: those beyond are neighbours of no
hexagon with an event and change nothing near one, while the empty hexagons next to the
events must count (an area where nothing happens is what makes a cluster stand out).

    Gi* = (Σj wij xj − x̄ Wi) / (s √((n S1i − Wi²) / (n − 1)))

with n hexagons, x̄ and s the mean and (population) standard deviation of their counts,
Wi = Σj wij and S1i = Σj wij² (equal for binary weights). Under the null hypothesis of no
spatial association Gi* is approximately standard normal: p is two-sided, and a hexagon
is hot (or cold) when its Benjamini–Hochberg q ≤ `alpha` and z > 0 (or < 0).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import h3ronpy
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.stats import norm

from civicgrid.diagnosis.statistics import benjamini_hochberg

RING = 1
ALPHA = 0.05

Cells = NDArray[np.uint64]


@dataclass(frozen=True)
class Hexagon:
    cell: str
    events: int
    z: float
    p: float
    q: float
    spot: str  # "hot", "cold" or "none"


def _disks(cells: Cells, k: int) -> tuple[NDArray[np.intp], Cells]:
    """Every hexagon's k-ring at once (h3ronpy): the owner's position and the neighbour."""
    disks = pa.array(h3ronpy.grid_disk(cells, k))
    offsets = disks.offsets.to_numpy()
    owners = np.repeat(np.arange(len(cells)), np.diff(offsets))
    return owners, disks.flatten().to_numpy().astype(np.uint64)


def _ids(cells: list[str]) -> Cells:
    return np.array([int(cell, 16) for cell in cells], dtype=np.uint64)


def study_area(counts: Mapping[str, int], k: int = RING) -> list[str]:
    """The hexagons with events and every hexagon within `k` of one, in a fixed order."""
    return [f"{cell:x}" for cell in _study_ids(counts, k)]


def _study_ids(counts: Mapping[str, int], k: int) -> Cells:
    if not counts:
        return np.array([], dtype=np.uint64)
    _, neighbours = _disks(_ids(list(counts)), k)
    return np.unique(neighbours)


def gi_star(counts: Mapping[str, int], *, k: int = RING, alpha: float = ALPHA) -> list[Hexagon]:
    """Gi* of every hexagon of the study area (see the module's docstring)."""
    ids = _study_ids(counts, k)
    cells = [f"{cell:x}" for cell in ids]
    n = len(cells)
    if n < 2:
        return [Hexagon(cell, counts.get(cell, 0), 0.0, 1.0, 1.0, "none") for cell in cells]
    x = np.array([counts.get(cell, 0) for cell in cells], dtype=np.float64)
    mean = x.mean()
    spread = float(np.sqrt((x**2).mean() - mean**2))
    owners, neighbours = _disks(ids, k)
    found = np.minimum(np.searchsorted(ids, neighbours), n - 1)
    inside = ids[found] == neighbours  # neighbours outside the study area hold no event
    sums = np.bincount(owners[inside], weights=x[found[inside]], minlength=n)
    weights = np.bincount(owners[inside], minlength=n).astype(np.float64)
    # No spread (every count equal), or a hexagon whose neighbourhood is the whole study
    # area: nothing to compare it with, so it is not a spot (z = 0 rather than 0 / 0).
    denominator = spread * np.sqrt((n * weights - weights**2) / (n - 1))
    defined = denominator > 0
    z = np.zeros(n)
    z[defined] = (sums[defined] - mean * weights[defined]) / denominator[defined]
    p = 2 * norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    return [
        Hexagon(cell, int(x[i]), float(z[i]), float(p[i]), float(q[i]), _spot(z[i], q[i], alpha))
        for i, cell in enumerate(cells)
    ]


def _spot(z: float, q: float, alpha: float) -> str:
    if q > alpha:
        return "none"
    return "hot" if z > 0 else "cold"
