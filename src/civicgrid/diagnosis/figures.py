"""Figures derived from counts, the same for the API, the workbook and the report."""

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray


def change(now: int, before: int) -> float | None:
    """Relative change (0.5 is +50 %); none when there is nothing to compare with."""
    return None if before == 0 else (now - before) / before


def change_pct(now: NDArray[np.int64], before: NDArray[np.int64]) -> pa.Array:
    """`change` for a whole column, in percent (+50.0 is +50 %); null where `before` is 0."""
    missing = before == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        values = (now - before) * 100.0 / np.where(missing, 1, before)
    return pa.array(values, pa.float64(), mask=missing)


def rate(events: NDArray[np.int64], per: Sequence[int | None], scale: int) -> pa.Array:
    """Events per `scale` residents or households; null where the registry has none there."""
    denominators = np.array([value or 0 for value in per], dtype=np.float64)
    missing = denominators == 0
    values = events * float(scale) / np.where(missing, 1.0, denominators)
    return pa.array(values, pa.float64(), mask=missing)
