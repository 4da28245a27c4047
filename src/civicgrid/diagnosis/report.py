"""The 微智理 monthly report, computed: counts, changes, anomalies and ranking per grid.

The engine does the heavy grouping (`definition`); this module turns the grouped
counts into the report with the same arithmetic whichever engine produced them, in
arrays, so 48,000 grids × 29 classes stay well under a second.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import rankdata

from civicgrid.archive.rollup import DEVICE_ALARMS
from civicgrid.diagnosis.engines import ReportEngine
from civicgrid.diagnosis.figures import change_pct, rate
from civicgrid.diagnosis.statistics import FDR, benjamini_hochberg, peer_test, rate_test
from civicgrid.divisions import Level, level_of

STREET_DIGITS = 9


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

    @property
    def peer_anomalies(self) -> int:
        return int(pc.sum(self.cells.column("peer_anomaly")).as_py() or 0)


def compute(
    engine: ReportEngine,
    month: str,
    residents: Mapping[str, int],
    fdr: float = FDR,
    *,
    households: Mapping[str, int] | None = None,
) -> MonthlyFigures:
    """The report from the engine's grouped counts and the registry's residents and
    households per grid (counts only)."""
    baseline_months = engine.baseline_months(month)
    cells = engine.cells(month)
    events = cells.column("events").to_numpy()
    baseline = cells.column("baseline").to_numpy()
    previous = cells.column("previous_month").to_numpy()
    year_ago = cells.column("year_ago").to_numpy()
    p_values = rate_test(events, baseline, baseline_months)
    q_values = benjamini_hochberg(p_values)
    mean = baseline / baseline_months if baseline_months else np.zeros(len(baseline))
    cells = (
        cells.drop_columns(["baseline"])
        .append_column("baseline_mean", pa.array(mean, pa.float64()))
        .append_column("p_value", pa.array(p_values, pa.float64()))
        .append_column("q_value", pa.array(q_values, pa.float64()))
        .append_column("anomaly", pa.array(q_values <= fdr, pa.bool_()))
        .append_column("month_on_month_pct", change_pct(events, previous))
        .append_column("year_on_year_pct", change_pct(events, year_ago))
    )
    peer_p = _peer_p_values(cells, residents)
    peer_q = benjamini_hochberg(peer_p)
    cells = (
        cells.append_column("peer_p_value", pa.array(peer_p, pa.float64()))
        .append_column("peer_q_value", pa.array(peer_q, pa.float64()))
        .append_column("peer_anomaly", pa.array(peer_q <= fdr, pa.bool_()))
    )
    return MonthlyFigures(
        month=month,
        engine=engine.name,
        baseline_months=baseline_months,
        cells=cells,
        grids=_grids(cells, residents, households or {}),
    )


def _peer_p_values(cells: pa.Table, residents: Mapping[str, int]) -> Any:
    """The street-peer test's p-value of each cell, on a dense grid × class table.

    The peers are every grid of the street the report knows: those with an event in the
    window and those the registry has residents in (a grid with no event is a peer with
    zeros). The exposure is residents when the registry knows every grid of the street,
    otherwise one per grid: rates per resident and per grid cannot be mixed in one street.
    Device alarms are not compared between grids (p = 1): they follow how many devices a
    grid has, which no exposure here measures; their own-history test still runs.
    """
    grid_codes = pc.dictionary_encode(cells.column("grid_code")).combine_chunks()
    class_codes = pc.dictionary_encode(cells.column("risk_class")).combine_chunks()
    known = grid_codes.dictionary.to_pylist()
    seen = set(known)
    codes = known + sorted(
        code for code in residents if code not in seen and level_of(code) is Level.GRID
    )
    counts = np.zeros((len(codes), len(class_codes.dictionary)), dtype=np.int64)
    rows = grid_codes.indices.to_numpy(zero_copy_only=False)
    columns = class_codes.indices.to_numpy(zero_copy_only=False)
    counts[rows, columns] = cells.column("events").to_numpy()
    names = class_codes.dictionary.to_pylist()
    if DEVICE_ALARMS in names:
        counts[:, names.index(DEVICE_ALARMS)] = 0
    streets = pc.dictionary_encode(pa.array([code[:STREET_DIGITS] for code in codes]))
    street = streets.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    people = np.array([residents.get(code, 0) for code in codes], dtype=np.float64)
    unknown = np.bincount(street, weights=people <= 0, minlength=len(streets.dictionary))
    exposure = np.where(unknown[street] > 0, 1.0, people)
    return peer_test(counts, exposure, street)[rows, columns]


def _grids(
    cells: pa.Table, residents: Mapping[str, int], households: Mapping[str, int]
) -> pa.Table:
    """Per-grid totals of the risk classes, the device alarms beside them (never added in:
    an alarm that opened a case is already that case's event), rates per 1,000 residents
    and per household where the registry knows them, the changes in %, and the rank."""
    alarm = pc.equal(cells.column("risk_class"), DEVICE_ALARMS)
    counted = {
        name: pc.if_else(alarm, 0, cells.column(name))
        for name in ("events", "previous_month", "year_ago")
    }
    totals = (
        pa.table(
            {
                "grid_code": cells.column("grid_code"),
                **counted,
                "device_alarms": pc.if_else(alarm, cells.column("events"), 0),
                "anomaly": cells.column("anomaly"),
                "peer_anomaly": cells.column("peer_anomaly"),
            }
        )
        .group_by("grid_code")
        .aggregate(
            [(name, "sum") for name in (*counted, "device_alarms", "anomaly", "peer_anomaly")]
        )
        .sort_by("grid_code")
    )
    codes = totals.column("grid_code").to_pylist()
    events = totals.column("events_sum").to_numpy()
    previous = totals.column("previous_month_sum").to_numpy()
    year_ago = totals.column("year_ago_sum").to_numpy()
    people = [residents.get(code) for code in codes]
    homes = [households.get(code) for code in codes]
    ranks = rankdata(-events, method="min").astype(np.int64) if len(events) else events
    return pa.table(
        {
            "grid_code": pa.array(codes, pa.string()),
            "events": pa.array(events, pa.int64()),
            "previous_month": pa.array(previous, pa.int64()),
            "year_ago": pa.array(year_ago, pa.int64()),
            "month_on_month_pct": change_pct(events, previous),
            "year_on_year_pct": change_pct(events, year_ago),
            "device_alarms": totals.column("device_alarms_sum").cast(pa.int64()),
            "anomalies": totals.column("anomaly_sum").cast(pa.int64()),
            "peer_anomalies": totals.column("peer_anomaly_sum").cast(pa.int64()),
            "residents": pa.array(people, pa.int64()),
            "households": pa.array(homes, pa.int64()),
            "rate_per_1000": rate(events, people, 1000),
            "rate_per_household": rate(events, homes, 1),
            "rank": pa.array(ranks, pa.int64()),
        }
    )
