"""The 微智理 monthly report, computed: counts, changes, anomalies and ranking per grid.

The engine does the heavy grouping (`definition`) and hands back the cells keyed by
integers, ordered by grid (`engines.Cells`); this module turns the grouped counts into
the report with the same arithmetic whichever engine produced them, in arrays indexed
by those keys, and writes the grid codes and class names in only at the end, so 48,000
grids × 29 classes stay well under a second.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
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
    found = engine.cells(month)
    counts = {name: found.table.column(name).to_numpy() for name in found.table.column_names}
    events, baseline = counts["events"], counts["baseline"]
    rows, codes = _grid_rows(counts["grid_key"])
    columns = counts["class_key"]
    p_values = rate_test(events, baseline, baseline_months)
    q_values = benjamini_hochberg(p_values)
    peer_p = _peer_p_values(codes, rows, columns, events, found.classes, residents)
    peer_q = benjamini_hochberg(peer_p)
    mean = baseline / baseline_months if baseline_months else np.zeros(len(baseline))
    cells = pa.table(
        {
            "grid_code": pa.array(codes, pa.string()).take(rows),
            "risk_class": pa.array(found.classes, pa.string()).take(columns),
            **{name: found.table.column(name) for name in ("events", "previous_month", "year_ago")},
            "baseline_mean": pa.array(mean, pa.float64()),
            "p_value": pa.array(p_values, pa.float64()),
            "q_value": pa.array(q_values, pa.float64()),
            "anomaly": pa.array(q_values <= fdr, pa.bool_()),
            "month_on_month_pct": change_pct(events, counts["previous_month"]),
            "year_on_year_pct": change_pct(events, counts["year_ago"]),
            "peer_p_value": pa.array(peer_p, pa.float64()),
            "peer_q_value": pa.array(peer_q, pa.float64()),
            "peer_anomaly": pa.array(peer_q <= fdr, pa.bool_()),
        }
    )
    alarm = _class_column(found.classes, DEVICE_ALARMS)
    return MonthlyFigures(
        month=month,
        engine=engine.name,
        baseline_months=baseline_months,
        cells=cells,
        grids=_grids(
            codes,
            rows,
            {**counts, "anomaly": q_values <= fdr, "peer_anomaly": peer_q <= fdr},
            columns == alarm,
            residents,
            households or {},
        ),
    )


def _grid_rows(keys: NDArray[np.int64]) -> tuple[NDArray[np.intp], list[str]]:
    """Each cell's grid as a row number, and the grids' codes: the cells come ordered by
    grid, so a grid's row starts where its key changes (no hashing of codes)."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return np.cumsum(starts) - 1, [str(key) for key in keys[starts].tolist()]


def _class_column(classes: Sequence[str], name: str) -> int:
    """The column of a class, or -1 (no cell's) when the window has none of it."""
    return classes.index(name) if name in classes else -1


def _peer_p_values(  # noqa: PLR0917 - the cells' keys and counts, as the docstring names them
    codes: list[str],
    rows: NDArray[np.intp],
    columns: NDArray[np.int32],
    events: NDArray[np.int64],
    classes: Sequence[str],
    residents: Mapping[str, int],
) -> Any:
    """The street-peer test's p-value of each cell, on a dense grid × class table.

    The peers are every grid of the street the report knows: those with an event in the
    window and those the registry has residents in (a grid with no event is a peer with
    zeros). The exposure is residents when the registry knows every grid of the street,
    otherwise one per grid: rates per resident and per grid cannot be mixed in one street.
    Device alarms are not compared between grids (p = 1): they follow how many devices a
    grid has, which no exposure here measures; their own-history test still runs.
    """
    seen = set(codes)
    everyone = codes + sorted(
        code for code in residents if code not in seen and level_of(code) is Level.GRID
    )
    counts = np.zeros((len(everyone), len(classes)), dtype=np.int64)
    counts[rows, columns] = events
    alarm = _class_column(classes, DEVICE_ALARMS)
    if alarm >= 0:
        counts[:, alarm] = 0
    streets = pc.dictionary_encode(pa.array([code[:STREET_DIGITS] for code in everyone]))
    street = streets.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    people = np.array([residents.get(code, 0) for code in everyone], dtype=np.float64)
    unknown = np.bincount(street, weights=people <= 0, minlength=len(streets.dictionary))
    exposure = np.where(unknown[street] > 0, 1.0, people)
    return peer_test(counts, exposure, street)[rows, columns]


def _grids(  # noqa: PLR0917 - the cells by grid, as the docstring names them
    codes: list[str],
    rows: NDArray[np.intp],
    cells: Mapping[str, NDArray[Any]],
    alarm: NDArray[np.bool_],
    residents: Mapping[str, int],
    households: Mapping[str, int],
) -> pa.Table:
    """Per-grid totals of the risk classes, the device alarms beside them (never added in:
    an alarm that opened a case is already that case's event), rates per 1,000 residents
    and per household where the registry knows them, the changes in %, and the rank."""
    starts = np.flatnonzero(np.diff(rows, prepend=-1))

    def total(values: NDArray[Any]) -> NDArray[np.int64]:
        """Sums per grid (the cells of a grid are consecutive)."""
        if not len(values):
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(values.astype(np.int64), starts)

    events, previous, year_ago = (
        total(np.where(alarm, 0, cells[name])) for name in ("events", "previous_month", "year_ago")
    )
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
            "device_alarms": pa.array(total(np.where(alarm, cells["events"], 0)), pa.int64()),
            "anomalies": pa.array(total(cells["anomaly"]), pa.int64()),
            "peer_anomalies": pa.array(total(cells["peer_anomaly"]), pa.int64()),
            "residents": pa.array(people, pa.int64()),
            "households": pa.array(homes, pa.int64()),
            "rate_per_1000": rate(events, people, 1000),
            "rate_per_household": rate(events, homes, 1),
            "rank": pa.array(ranks, pa.int64()),
        }
    )
