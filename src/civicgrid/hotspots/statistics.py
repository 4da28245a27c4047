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

import h3
import numpy as np
from scipy.stats import norm

from civicgrid.diagnosis.statistics import benjamini_hochberg

RING = 1
ALPHA = 0.05


@dataclass(frozen=True)
class Hexagon:
    cell: str
    events: int
    z: float
    p: float
    q: float
    spot: str  # "hot", "cold" or "none"


def study_area(counts: Mapping[str, int], k: int = RING) -> list[str]:
    """The hexagons with events and every hexagon within `k` of one, in a fixed order."""
    cells: set[str] = set()
    for cell in counts:
        cells.update(h3.grid_disk(cell, k))
    return sorted(cells)


def gi_star(counts: Mapping[str, int], *, k: int = RING, alpha: float = ALPHA) -> list[Hexagon]:
    """Gi* of every hexagon of the study area (see the module's docstring)."""
    cells = study_area(counts, k)
    n = len(cells)
    if n < 2:
        return [Hexagon(cell, counts.get(cell, 0), 0.0, 1.0, 1.0, "none") for cell in cells]
    position = {cell: index for index, cell in enumerate(cells)}
    x = np.array([counts.get(cell, 0) for cell in cells], dtype=np.float64)
    mean = x.mean()
    spread = float(np.sqrt((x**2).mean() - mean**2))
    sums = np.zeros(n)
    weights = np.zeros(n)
    for index, cell in enumerate(cells):
        near = [position[other] for other in h3.grid_disk(cell, k) if other in position]
        sums[index] = x[near].sum()
        weights[index] = len(near)
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
