"""Producing a month's report on an engine and storing it in place of any earlier one,
and keeping the closed months' digests (`digest`) current for the reports to read."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from civicgrid.archive.rollup import joined, window_parts
from civicgrid.diagnosis.definition import parse_month, window
from civicgrid.diagnosis.engines import DuckDBEngine, ReportEngine
from civicgrid.diagnosis.models import MonthlyGrid, MonthlyReport, MonthlyRisk
from civicgrid.diagnosis.recommendations import propose
from civicgrid.diagnosis.report import MonthlyFigures, compute
from civicgrid.registry.counts import households_per_region, residents_per_region
from civicgrid.timeutil import utcnow


def produce(
    db: Session, *, engine: ReportEngine, month: str, now: datetime | None = None
) -> MonthlyReport:
    """Compute a month's report on `engine` and store it in place of any earlier one."""
    figures = compute(
        engine,
        parse_month(month),
        residents_per_region(db),
        households=households_per_region(db),
    )
    return store(db, figures, now=now)


def store(db: Session, figures: MonthlyFigures, *, now: datetime | None = None) -> MonthlyReport:
    """Replace the month's stored report and its undecided recommendations. Cells with no
    event in the month, last month or a year ago are left out: they carry nothing a reader
    compares (and no test flags a cell without an event this month)."""
    for model in (MonthlyRisk, MonthlyGrid, MonthlyReport):
        db.execute(delete(model).where(model.month == figures.month))
    header = MonthlyReport(
        month=figures.month,
        engine=figures.engine,
        baseline_months=figures.baseline_months,
        tests=figures.cells.num_rows,
        anomalies=figures.anomalies,
        peer_anomalies=figures.peer_anomalies,
        computed_at=now or utcnow(),
    )
    db.add(header)
    db.flush()
    grids = [{"month": figures.month, **row} for row in figures.grids.to_pylist()]
    if grids:
        db.execute(insert(MonthlyGrid), grids)
    risks = [
        {"month": figures.month, **row}
        for row in figures.cells.to_pylist()
        if row["events"] or row["previous_month"] or row["year_ago"]
    ]
    if risks:
        db.execute(insert(MonthlyRisk), risks)
    propose(db, figures.month, figures.cells)
    return header


def refresh_digests(engine: DuckDBEngine, months: Iterable[str]) -> list[str]:
    """Write the digest of each of `months` (closed and compacted) whose window is all
    rollups and whose stored digest is not current; returns the months written.

    Each month's folders are listed once a round, not once for each of the 13 windows it
    falls in, so a round that finds every digest current reads only the rollups' footers."""
    wanted = sorted(months)
    listing = sorted({month for report_month in wanted for month in window(report_month)})
    listed = {month: window_parts(engine.root, [month]) for month in listing}
    return [
        month
        for month in wanted
        if engine.write_digest(month, joined(listed[part] for part in window(month)))
    ]
