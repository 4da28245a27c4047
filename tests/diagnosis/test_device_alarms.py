"""Device alarms (sensor readings' threshold crossings among them) in the monthly report:
counted per grid as a class of their own and never added to the grid's events."""

from datetime import datetime
from pathlib import Path

from civicgrid.archive import store
from civicgrid.archive.events import ArchiveEvent
from civicgrid.archive.rollup import DEVICE_ALARMS
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import compute
from tests.factories import OWN_GRID, archived_event

MONTH = "2026-11"
WHEN = datetime.fromisoformat(f"{MONTH}-03T06:00:00+00:00")


def _event(serial: int, source: str, risk_class: str | None, kind: str) -> ArchiveEvent:
    return archived_event(
        serial, WHEN, OWN_GRID, risk_class, source=source, kind=kind, status="closed"
    )


def test_alarms_count_as_device_alarms_beside_the_grids_events_not_in_them(tmp_path: Path):
    """Three water-level alarms (one opened the flooding case) and two cases; a grid's
    alarms are not compared with other grids' (they follow how many devices it has)."""
    store.write_batch(
        tmp_path,
        "case",
        [_event(1, "case", "flooding", "device"), _event(2, "case", "theft", "resident")],
    )
    store.write_batch(
        tmp_path, "alarm", [_event(n, "alarm", None, "water_level_high") for n in (1, 2, 3)]
    )

    figures = compute(DuckDBEngine(tmp_path), MONTH, {})

    classes = {row["risk_class"]: row["events"] for row in figures.cells.to_pylist()}
    assert classes == {"flooding": 1, "theft": 1, DEVICE_ALARMS: 3}
    (grid,) = figures.grids.to_pylist()
    assert (grid["events"], grid["device_alarms"]) == (2, 3)
    alarms = next(row for row in figures.cells.to_pylist() if row["risk_class"] == DEVICE_ALARMS)
    assert alarms["peer_p_value"] == 1.0
