"""The anomaly test and its false-discovery control, on arrays of counts.

A grid × class is anomalous when this month's count is improbably high against the
same grid's own previous months. Under "nothing changed" the monthly counts are
Poisson with one rate, so given the total n = this month + the k baseline months,
this month's count is Binomial(n, 1 / (k + 1)): the exact conditional test for
comparing two Poisson rates (as R's `poisson.test` with two counts). It needs no
estimate of the rate, so a grid with a thin history is judged by its own counts
rather than by a guessed prior. One p-value per tested cell; Benjamini–Hochberg
keeps the expected share of false alarms among the flagged cells at `FDR`.

The second test (`peer_test`) asks the other question a grid worker's leader asks: is
this grid high against the other grids of its street this month? Its model and why are
in its docstring; it gets its own Benjamini–Hochberg family, so each test's q-values
mean what they say.
"""

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy.special import betainc, gammainc

FDR = 0.05


def rate_test(
    events: NDArray[np.int64], baseline: NDArray[np.int64], baseline_months: int
) -> NDArray[np.float64]:
    """One-sided p-value that this month's count exceeds the baseline months' rate.

    A p-value depends only on the cell's two counts, and a million cells have a few
    thousand distinct pairs of them: each pair's tail is computed once."""
    p_values = np.ones(len(events), dtype=np.float64)
    tested = events > 0
    if baseline_months == 0 or not tested.any():
        return p_values
    # P(Binomial(n, p) ≥ x) = I_p(x, n - x + 1) for 1 ≤ x ≤ n: the regularised incomplete
    # beta function directly (what `binom.sf` computes too, without its per-call checks).
    x, n = events[tested], events[tested] + baseline[tested]
    span = int(n.max()) + 1
    first, inverse = distinct(x * span + n, (int(x.max()) + 1) * span)
    tails = betainc(x[first], n[first] - x[first] + 1, 1.0 / (baseline_months + 1))
    p_values[tested] = tails[inverse]
    return np.minimum(p_values, 1.0)


def distinct(keys: NDArray[np.int64], size: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """A position of each distinct key (0 ≤ key < `size`), in key order, and which of them
    each key is: by a table of every possible key when that is small (no sort), else by a
    sort."""
    if size <= 2 * len(keys):
        slot = np.full(size, -1, dtype=np.intp)
        slot[keys] = np.arange(len(keys))
        present = np.flatnonzero(slot >= 0)
        index = np.zeros(size, dtype=np.intp)
        index[present] = np.arange(len(present))
        return slot[present], index[keys]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def benjamini_hochberg(p_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Adjusted p-values (q): a cell is flagged at level α exactly when its q ≤ α.

    Only p < 1 is ranked: a p of 1 (a cell not tested) has q = 1 whatever its rank, and
    every p < 1 ranks before it, so the family's size is all that the rest contribute.
    Cells with one p-value share one q (the one at the last rank among them: the scaled
    p falls along a tie), so only the distinct p-values are sorted, found by hashing; a
    million tested cells have a few thousand of them."""
    count = len(p_values)
    adjusted = np.ones(count, dtype=np.float64)
    below = np.flatnonzero(p_values < 1.0)
    if len(below) == 0:
        return adjusted
    encoded = pc.dictionary_encode(pa.array(p_values[below]))
    values = encoded.dictionary.to_numpy()
    which = encoded.indices.to_numpy()
    order = np.argsort(values)
    last_rank = np.cumsum(np.bincount(which, minlength=len(values))[order])
    scaled = values[order] * count / last_rank
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted_values = np.empty(len(values), dtype=np.float64)
    adjusted_values[order] = np.minimum(monotone, 1.0)
    adjusted[below] = adjusted_values[which]
    return adjusted


def peer_test(
    counts: NDArray[np.int64], exposure: NDArray[np.float64], street: NDArray[np.int64]
) -> NDArray[np.float64]:
    """One-sided p-value per grid × class (rows × columns of `counts`) that the grid's count
    exceeds what its street's other grids (its peers) had this month.

    The model: each grid's count is negative binomial with mean `exposure × peer rate` and
    variance `mean × (1 + φ)` (a Poisson whose rate varies between grids as a gamma, "NB1").
    Why this and not a plain Poisson: grids of one street differ beyond their size (a market,
    a school, a bar street), so their counts spread wider than Poisson; a Poisson test would
    call every busy grid anomalous at the 48,000-grid scale. φ is measured from the peers
    themselves (Pearson's χ² over their degrees of freedom, less one, never below 0), so a
    street whose grids always differ widely flags only a grid far outside that spread.

    Everything about the expectation is leave-one-out: the peer rate and φ come from the
    street's other grids only, so a spike cannot hide itself by raising its own expectation,
    and the p-value falls as the grid's own count rises with its peers unchanged. The peer
    rate carries half an event more than the peers had (the usual continuity half): a
    street whose peers had none of a class does not make one event infinitely surprising.
    A grid alone in its street has no peers and is not tested (p = 1).
    """
    grids = counts.shape[0]
    streets = int(street.max()) + 1 if grids else 0
    x = counts.astype(np.float64)
    total = _by_street(x, street, streets)
    weighted = _by_street(x * x / exposure[:, None], street, streets)
    size = np.bincount(street, weights=exposure, minlength=streets).astype(np.float64)
    members = np.bincount(street, minlength=streets)
    p_values = np.ones(counts.shape, dtype=np.float64)
    rows, columns = np.nonzero((counts > 0) & (members[street] >= 2)[:, None])
    first, inverse = _distinct_tails(counts, exposure, street, rows, columns)
    place = street[rows[first]]
    column = columns[first]
    tails = _peer_tail(
        counts[rows[first], column].astype(np.float64),
        exposure[rows[first]],
        total[place, column],
        weighted[place, column],
        size[place],
        members[place],
    )
    p_values[rows, columns] = tails[inverse]
    return p_values


def _distinct_tails(
    counts: NDArray[np.int64],
    exposure: NDArray[np.float64],
    street: NDArray[np.int64],
    rows: NDArray[np.intp],
    columns: NDArray[np.intp],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The tested cells (`rows`, `columns`) whose tails to compute, and which of them each
    cell's tail is: a tail depends only on the street, class, count and exposure, so where
    grids share an exposure (one per grid when the registry lacks residents) each distinct
    four is computed once, found by an integer key made of them (`distinct`); a busy city
    has ~20 times fewer of them than tested cells. Where most grids have an exposure no
    other grid of their street has, few cells would share a tail, and each is its own."""
    cells = np.arange(len(rows))
    exposures, exposure_index = np.unique(exposure, return_inverse=True)
    shared = len(np.unique(street * len(exposures) + exposure_index)) * 4 <= len(exposure)
    tested = counts[rows, columns]
    span = int(tested.max(initial=0)) + 1
    keys = (int(street.max(initial=0)) + 1) * counts.shape[1] * span * len(exposures)
    if not shared or keys >= 2**63:
        return cells, cells
    cell = (street[rows] * counts.shape[1] + columns) * span + tested
    return distinct(cell * len(exposures) + exposure_index[rows], keys)


def _peer_tail(  # noqa: PLR0917 - one street × class's sums, as the docstring names them
    x: NDArray[np.float64],
    e: NDArray[np.float64],
    total: NDArray[np.float64],
    weighted: NDArray[np.float64],
    size: NDArray[np.float64],
    members: NDArray[np.int64],
) -> NDArray[np.float64]:
    """`peer_test`'s p-value of cells with count x and exposure e, from their street ×
    class's sums over all its grids (count, count² / exposure, exposure, grids)."""
    peers_x, peers_e, peers_n = total - x, size - e, members - 1
    tested = peers_e > 0
    safe_e = np.where(tested, peers_e, 1.0)
    observed_rate = peers_x / safe_e
    rate = (peers_x + 0.5) / safe_e
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = (weighted - x * x / e) / observed_rate - peers_x
        dispersion = pearson / np.maximum(peers_n - 1, 1) - 1.0
    dispersion = np.where((peers_n >= 2) & (peers_x > 0), np.maximum(dispersion, 0.0), 0.0)
    return _nb1_tail(x, e * rate, dispersion, tested)


def _by_street(values: NDArray[np.float64], street: NDArray[np.int64], streets: int) -> Any:
    """Column sums per street: a (streets × classes) table from a (grids × classes) one."""
    classes = values.shape[1]
    index = (street[:, None] * classes + np.arange(classes)).ravel()
    sums = np.bincount(index, weights=values.ravel(), minlength=streets * classes)
    return sums.reshape(streets, classes)


def _nb1_tail(
    x: NDArray[np.float64], mean: Any, dispersion: Any, tested: Any
) -> NDArray[np.float64]:
    """P(count ≥ x) under NB1 (Poisson where φ is 0); 1 where the cell is not tested.

    Computed only for the tested cells, with the special functions the distributions are
    made of: P(Poisson(μ) ≥ x) = P(x, μ), the regularised lower incomplete gamma, and
    P(NB(r, p) ≥ x) = I_{1-p}(x, r) with r = μ/φ and 1 - p = φ/(1 + φ)."""
    p_values = np.ones(x.shape, dtype=np.float64)
    spread = tested & (dispersion > 0)
    plain = tested & ~spread
    phi = dispersion[spread]
    p_values[spread] = betainc(x[spread], mean[spread] / phi, phi / (1.0 + phi))
    p_values[plain] = gammainc(x[plain], mean[plain])
    return np.clip(p_values, 0.0, 1.0)
