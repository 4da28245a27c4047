"""The anomaly test and its false-discovery control, on arrays of counts.

A grid × class is anomalous when this month's count is improbably high against the
same grid's own previous months. Under "nothing changed" the monthly counts are
Poisson with one rate, so given the total n = this month + the k baseline months,
this month's count is Binomial(n, 1 / (k + 1)): the exact conditional test for
comparing two Poisson rates (as R's `poisson.test` with two counts). It needs no
estimate of the rate, so a grid with a thin history is judged by its own counts
rather than by a guessed prior. One p-value per tested cell; Benjamini–Hochberg
keeps the expected share of false alarms among the flagged cells at `FDR`.
"""

import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

FDR = 0.05


def rate_test(
    events: NDArray[np.int64], baseline: NDArray[np.int64], baseline_months: int
) -> NDArray[np.float64]:
    """One-sided p-value that this month's count exceeds the baseline months' rate."""
    if baseline_months == 0:
        return np.ones(len(events))
    total = events + baseline
    p_values = binom.sf(events - 1, total, 1.0 / (baseline_months + 1))
    return np.where(events > 0, np.minimum(p_values, 1.0), 1.0).astype(np.float64)


def benjamini_hochberg(p_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Adjusted p-values (q): a cell is flagged at level α exactly when its q ≤ α."""
    count = len(p_values)
    if count == 0:
        return np.array([], dtype=np.float64)
    order = np.argsort(p_values, kind="stable")
    scaled = p_values[order] * count / np.arange(1, count + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(count, dtype=np.float64)
    adjusted[order] = np.minimum(monotone, 1.0)
    return adjusted
