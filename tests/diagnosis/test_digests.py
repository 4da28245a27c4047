"""A closed month's digest: read in place of the grouping while its window is unchanged,
never trusted once a late batch, a new rollup or a new folder changes that window."""

import shutil
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicgrid.archive import compaction, rollup, store
from civicgrid.archive.events import SCHEMA
from civicgrid.diagnosis import digest
from civicgrid.diagnosis.definition import shift, window
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.production import refresh_digests
from civicgrid.diagnosis.report import MonthlyFigures, compute
from tests.diagnosis.conftest import MONTH, SPIKE_GRID
from tests.factories import OTHER_GRID, archived_event

ALL_COMMITTED = {"dispute": 10**12}


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _from_events_only(root: Path, copy: Path) -> MonthlyFigures:
    """The month's report from a copy without rollups or digests: every event read."""
    shutil.copytree(root, copy)
    for path in copy.glob(f"month=*/district=*/{store.ROLLUP}"):
        path.unlink()
    shutil.rmtree(copy / digest.FOLDER, ignore_errors=True)
    return compute(DuckDBEngine(copy), MONTH, {})


def _same(one: MonthlyFigures, other: MonthlyFigures) -> bool:
    return (
        one.cells.equals(other.cells)
        and one.grids.equals(other.grids)
        and one.baseline_months == other.baseline_months
    )


def _late_batch(root: Path, month: str, grid: str, count: int) -> None:
    when = datetime.fromisoformat(f"{month}-20T04:00:00+00:00")
    store.write_batch(
        root, "dispute", [archived_event(10**9 + n, when, grid, "theft") for n in range(count)]
    )


def _grouping_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any DuckDB connection now fails: a report that still comes out read no rollup."""

    def refuse(*_: object) -> None:
        raise AssertionError("the report opened DuckDB to group its window")

    monkeypatch.setattr(DuckDBEngine, "_connection", refuse)


def test_a_digested_month_is_reported_without_grouping_and_gives_the_same_figures(
    planted_digested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    expected = _from_events_only(planted_digested, tmp_path / "events")
    _grouping_refused(monkeypatch)

    figures = compute(DuckDBEngine(planted_digested), MONTH, {})

    assert _same(figures, expected)
    spike = [r for r in figures.cells.to_pylist() if r["grid_code"] == SPIKE_GRID]
    assert [(r["risk_class"], r["events"], r["anomaly"]) for r in spike] == [
        ("neighbour_disputes", 30, True)
    ]


def test_a_current_digest_is_not_written_again(planted_digested: Path, tmp_path: Path):
    root = _copy(planted_digested, tmp_path / "archive")
    written = digest.path_of(root, MONTH).stat().st_mtime_ns

    assert refresh_digests(DuckDBEngine(root), [MONTH]) == []
    assert digest.path_of(root, MONTH).stat().st_mtime_ns == written


def test_a_late_batch_in_the_window_is_counted_at_once_and_digested_on_the_next_round(
    planted_digested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = _copy(planted_digested, tmp_path / "archive")
    late_month = shift(MONTH, -3)
    _late_batch(root, late_month, OTHER_GRID, 4)
    expected = _from_events_only(root, tmp_path / "events")

    # The window now holds an event file no rollup counts: the digest is not read.
    assert digest.current(root, MONTH, rollup.window_parts(root, window(MONTH))) is None
    assert _same(compute(DuckDBEngine(root), MONTH, {}), expected)

    compaction.compact_month(root, late_month, ALL_COMMITTED)
    assert refresh_digests(DuckDBEngine(root), [MONTH]) == [MONTH]
    with monkeypatch.context() as patched:
        _grouping_refused(patched)
        assert _same(compute(DuckDBEngine(root), MONTH, {}), expected)


def test_a_rollup_written_again_or_a_new_folder_makes_the_digest_stale(
    planted_digested: Path, tmp_path: Path
):
    root = _copy(planted_digested, tmp_path / "archive")
    first = shift(MONTH, -12)
    folder = next((root / f"month={first}").glob("district=*"))
    names = rollup.counted_files(folder)
    assert names is not None
    events = pa.concat_tables(pq.read_table(folder / name, schema=SCHEMA) for name in names)
    rollup.write(folder, names, events)

    assert digest.current(root, MONTH, rollup.window_parts(root, window(MONTH))) is None
    assert refresh_digests(DuckDBEngine(root), [MONTH]) == [MONTH]

    # A district folder the window did not have: an event of a grid of another district.
    _late_batch(root, first, "310113999001001", 1)
    compaction.compact_month(root, first, ALL_COMMITTED)
    assert digest.current(root, MONTH, rollup.window_parts(root, window(MONTH))) is None
    assert refresh_digests(DuckDBEngine(root), [MONTH]) == [MONTH]
    assert _same(compute(DuckDBEngine(root), MONTH, {}), _from_events_only(root, tmp_path / "e"))


def test_a_month_whose_window_has_open_events_gets_no_digest(
    planted_with_rollups: Path, tmp_path: Path
):
    root = _copy(planted_with_rollups, tmp_path / "archive")

    assert refresh_digests(DuckDBEngine(root), [MONTH, shift(MONTH, -1)]) == [shift(MONTH, -1)]
    assert not digest.path_of(root, MONTH).exists()


def test_a_digest_left_half_written_is_dropped_and_never_read(
    planted_digested: Path, tmp_path: Path
):
    root = _copy(planted_digested, tmp_path / "archive")
    target = digest.path_of(root, MONTH)
    leftover = target.with_name(f".{target.name}.4242.tmp")
    leftover.write_bytes(target.read_bytes()[:100])
    target.unlink()

    assert refresh_digests(DuckDBEngine(root), [MONTH]) == [MONTH]
    assert not leftover.exists()
    assert _same(compute(DuckDBEngine(root), MONTH, {}), _from_events_only(root, tmp_path / "e"))
