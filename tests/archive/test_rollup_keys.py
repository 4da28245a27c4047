"""The rollup's integer keys: the class dictionary grows as classes first arrive, and a
report reads the same figures, in the same order, as one over the events alone."""

import shutil
from datetime import datetime
from pathlib import Path

from civicgrid.archive import compaction, rollup, store
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import compute
from tests.factories import OTHER_GRID, OWN_GRID, archived_event

# Each month brings a class that sorts before the ones already stored, one with a quote.
CLASSES_BY_MONTH = {
    "2026-09": ("theft", "noise"),
    "2026-10": ("fire", "theft"),
    "2026-11": ("arson", "it's_a_class", "theft"),
}


def _archive(root: Path) -> None:
    serial = 0
    for month, classes in CLASSES_BY_MONTH.items():
        when = datetime.fromisoformat(f"{month}-15T04:00:00+00:00")
        batch = []
        for position, risk in enumerate(classes):
            for grid in (OWN_GRID, OTHER_GRID):
                for _ in range(position + (2 if grid == OWN_GRID else 1)):
                    serial += 1
                    batch.append(archived_event(serial, when, grid, risk))
        store.write_batch(root, "dispute", batch)


def test_classes_arriving_out_of_byte_order_give_the_report_of_the_events_alone(tmp_path: Path):
    rolled, events_only = tmp_path / "rolled", tmp_path / "events"
    _archive(rolled)
    shutil.copytree(rolled, events_only)
    for month in ("2026-09", "2026-10"):
        compaction.compact_month(rolled, month, {"dispute": 10**12})

    parts = rollup.window_parts(rolled, ["2026-09", "2026-10", "2026-11"])
    # Two months, two districts (the two grids are in different ones).
    assert (len(parts.rollups), parts.classes) == (4, ["noise", "theft", "fire"])
    figures = compute(DuckDBEngine(rolled), "2026-11", {})
    expected = compute(DuckDBEngine(events_only), "2026-11", {})

    assert figures.cells.equals(expected.cells)
    assert figures.grids.equals(expected.grids)
    keys = [(row["grid_code"], row["risk_class"]) for row in figures.cells.to_pylist()]
    assert keys == sorted(keys, key=lambda pair: (pair[0], pair[1].encode()))
    assert len(keys) == 2 * 5
    own = {
        row["risk_class"]: row for row in figures.cells.to_pylist() if row["grid_code"] == OWN_GRID
    }
    assert (own["theft"]["events"], own["theft"]["previous_month"]) == (4, 3)
    assert own["it's_a_class"]["events"] == 3
    assert (figures.baseline_months, own["fire"]["baseline_mean"]) == (2, 1.0)
