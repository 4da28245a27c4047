"""The 微智理 monthly report, computed: counts, changes, anomalies and ranking per grid.

The engine does the heavy grouping (`definition`); this module turns the grouped
counts into the report with the same arithmetic whichever engine produced them, in
arrays, so 48,000 grids × 29 classes stay well under a second.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import rankdata

from civicgrid.diagnosis.engines import ReportEngine
from civicgrid.diagnosis.statistics import FDR, benjamini_hochberg, rate_test


@dataclass(frozen=True)
class MonthlyFigures:
    """One month's report. `cells`: per grid × risk class, every cell with an event in the
    13-month window (the family the false-discovery control counts). `grids`: per grid."""

    month: str
    engine: str
    baseline_months: int
    cells: pa.Table
    grids: pa.Table

    @property
    def anomalies(self) -> int:
        return int(pc.sum(self.cells.column("anomaly")).as_py() or 0)


def compute(
    engine: ReportEngine, month: str, residents: Mapping[str, int], fdr: float = FDR
) -> MonthlyFigures:
    baseline_months = engine.baseline_months(month)
    cells = engine.cells(month)
    events = cells.column("events").to_numpy()
    baseline = cells.column("baseline").to_numpy()
    p_values = rate_test(events, baseline, baseline_months)
    q_values = benjamini_hochberg(p_values)
    mean = baseline / baseline_months if baseline_months else np.zeros(len(baseline))
    cells = (
        cells.drop_columns(["baseline"])
        .append_column("baseline_mean", pa.array(mean, pa.float64()))
        .append_column("p_value", pa.array(p_values, pa.float64()))
        .append_column("q_value", pa.array(q_values, pa.float64()))
        .append_column("anomaly", pa.array(q_values <= fdr, pa.bool_()))
    )
    return MonthlyFigures(
        month=month,
        engine=engine.name,
        baseline_months=baseline_months,
        cells=cells,
        grids=_grids(cells, residents),
    )


def _grids(cells: pa.Table, residents: Mapping[str, int]) -> pa.Table:
    """Per-grid totals, residents where the registry knows them, and the rank by events."""
    totals = cells.group_by("grid_code").aggregate(
        [("events", "sum"), ("previous_month", "sum"), ("year_ago", "sum"), ("anomaly", "sum")]
    )
    totals = totals.sort_by("grid_code")
    codes = totals.column("grid_code").to_pylist()
    events = totals.column("events_sum").to_numpy()
    ranks = rankdata(-events, method="min").astype(np.int64) if len(events) else events
    return pa.table(
        {
            "grid_code": pa.array(codes, pa.string()),
            "events": pa.array(events, pa.int64()),
            "previous_month": totals.column("previous_month_sum").cast(pa.int64()),
            "year_ago": totals.column("year_ago_sum").cast(pa.int64()),
            "anomalies": totals.column("anomaly_sum").cast(pa.int64()),
            "residents": pa.array([residents.get(code) for code in codes], pa.int64()),
            "rank": pa.array(ranks, pa.int64()),
        }
    )
