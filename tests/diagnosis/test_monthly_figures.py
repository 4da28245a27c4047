"""The monthly figures: a planted spike is found, a flat grid is not, and a recount agrees."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.archive.events import ArchiveEvent
from civicgrid.archive.rollup import window_parts
from civicgrid.archive.store import month_files
from civicgrid.diagnosis.definition import parse_month, shift, window
from civicgrid.diagnosis.engines import (
    DuckDBEngine,
    PostgresEngine,
    SparkEngine,
    load_postgres,
    load_rollups,
)
from civicgrid.diagnosis.report import MonthlyFigures, compute
from civicgrid.errors import Invalid
from tests.diagnosis.conftest import FLAT_GRID, MONTH, SPIKE_GRID

RESIDENTS = {SPIKE_GRID: 2000}


def _cell(figures: MonthlyFigures, grid: str, risk: str) -> dict[str, object]:
    return next(
        row
        for row in figures.cells.to_pylist()
        if row["grid_code"] == grid and row["risk_class"] == risk
    )


def test_a_tripled_month_of_disputes_is_flagged_and_a_flat_grid_is_not(planted):
    root, _ = planted
    figures = compute(DuckDBEngine(root), MONTH, RESIDENTS)

    spike = _cell(figures, SPIKE_GRID, "neighbour_disputes")
    flat = _cell(figures, FLAT_GRID, "neighbour_disputes")
    assert (spike["events"], spike["previous_month"], spike["year_ago"]) == (30, 10, 10)
    assert spike["anomaly"] is True
    assert spike["p_value"] < 1e-5
    assert flat["anomaly"] is False
    assert flat["p_value"] > 0.3
    assert figures.baseline_months == 12
    flagged = {
        (row["grid_code"], row["risk_class"]) for row in figures.cells.to_pylist() if row["anomaly"]
    }
    assert flagged == {(SPIKE_GRID, "neighbour_disputes")}


def _binomial_tail(x: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x, n + 1))


def _recount(events: list[ArchiveEvent]) -> dict[tuple[str, str], dict[str, float]]:
    """The report's figures from the raw events, by the textbook, with no engine or scipy."""
    counts = Counter((e.grid_code or "", e.risk_class or "", e.month) for e in events)
    months = window(MONTH)
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for grid, risk in sorted({(g, r) for g, r, m in counts if m in months}):
        now = counts[(grid, risk, MONTH)]
        baseline = sum(counts[(grid, risk, m)] for m in months[:-1])
        p = _binomial_tail(now, now + baseline, 1 / 13) if now else 1.0
        cells[(grid, risk)] = {
            "events": now,
            "previous_month": counts[(grid, risk, shift(MONTH, -1))],
            "year_ago": counts[(grid, risk, shift(MONTH, -12))],
            "baseline_mean": baseline / 12,
            "p_value": min(p, 1.0),
        }
    ranked = sorted(cells, key=lambda key: cells[key]["p_value"])
    total = len(ranked)
    smallest = 1.0
    for position in range(total, 0, -1):
        key = ranked[position - 1]
        smallest = min(smallest, cells[key]["p_value"] * total / position)
        cells[key]["q_value"] = smallest
    return cells


def test_figures_agree_with_an_independent_recount(planted):
    root, events = planted
    figures = compute(DuckDBEngine(root), MONTH, RESIDENTS)
    expected = _recount(events)

    assert figures.cells.num_rows == len(expected)
    for row in figures.cells.to_pylist():
        wanted = expected[(row["grid_code"], row["risk_class"])]
        for name, value in wanted.items():
            assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    grids = {row["grid_code"]: row for row in figures.grids.to_pylist()}
    totals = Counter(e.grid_code for e in events if e.month == MONTH)
    assert {code: row["events"] for code, row in grids.items()} == dict(totals)
    by_events = sorted(totals.values(), reverse=True)
    assert all(row["rank"] == by_events.index(row["events"]) + 1 for row in grids.values())
    assert grids[SPIKE_GRID]["rank"] == 1
    assert grids[SPIKE_GRID]["residents"] == 2000
    assert grids[FLAT_GRID]["residents"] is None


def test_duckdb_postgresql_and_spark_give_identical_reports(
    planted, planted_with_rollups, planted_digested, postgres_engine, spark
):
    """Every engine, over the raw events, over the closed months' rollups beside the open
    month's events, and over the month's digest, gives the same report to the last bit."""
    root, _ = planted
    rollups, events, _, _ = window_parts(planted_with_rollups, window(MONTH))
    assert {path.parent.parent.name for path in rollups} == {
        f"month={month}" for month in window(MONTH)[:-1]
    }
    assert {path.parent.parent.name for path in events} == {f"month={MONTH}"}
    load_postgres(postgres_engine, month_files(root, window(MONTH)))
    load_rollups(postgres_engine, rollups)
    load_postgres(postgres_engine, events, table="archive_open_events")
    engines = [
        DuckDBEngine(root),
        DuckDBEngine(planted_with_rollups),
        PostgresEngine(postgres_engine),
        PostgresEngine(postgres_engine, "archive_open_events", rollup_table="archive_rollups"),
        SparkEngine(spark, planted_with_rollups),
        DuckDBEngine(planted_digested),
        SparkEngine(spark, planted_digested),
    ]

    reports = [compute(engine, MONTH, RESIDENTS) for engine in engines]

    duckdb, *others = reports
    for other in others:
        assert other.cells.equals(duckdb.cells), other.engine
        assert other.grids.equals(duckdb.grids), other.engine
        assert other.baseline_months == duckdb.baseline_months == 12


@given(st.integers(min_value=2000, max_value=9999), st.integers(min_value=1, max_value=12))
def test_months_parse_and_shift_round_trip(year, month):
    text = f"{year:04d}-{month:02d}"
    assert parse_month(text) == text
    assert shift(shift(text, -13), 13) == text
    assert len(window(text)) == 13


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", None])
def test_a_month_that_is_not_yyyy_mm_is_refused(bad):
    with pytest.raises(Invalid):
        parse_month(bad)
