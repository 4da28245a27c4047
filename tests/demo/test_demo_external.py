"""The demo's year of 110 and 12345 records: taken in by the importer, counted by the report."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.archive.events import local_month
from civicgrid.archive.service import append
from civicgrid.auth.models import Role
from civicgrid.demo.external import import_external, samples
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.models import MonthlyRisk
from civicgrid.diagnosis.production import produce
from civicgrid.geo.service import GridIndex
from civicgrid.sources.models import ExternalRecord
from civicgrid.sources.service import list_sources
from civicgrid.timeutil import utcnow
from tests.factories import CITY, City, actor

END = datetime(2025, 7, 1, tzinfo=UTC)
START = END - timedelta(days=365)
MONTH = "2025-05"
PHONE = re.compile(r"1[3589]\d{9}")


def _year(db: Session) -> dict[str, int]:
    return import_external(db, GridIndex(), count=240, seed=3, start=START, end=END)


def test_the_demo_year_is_imported_once_in_the_city_without_callers(db: Session, city: City):
    first = _year(db)
    again = _year(db)

    assert first == {"demo-110": 132, "demo-12345": 108}
    assert again == {"demo-110": 0, "demo-12345": 0}
    records = db.scalars(select(ExternalRecord)).all()
    assert {record.grid_code for record in records} <= set(city.grids)
    assert {local_month(record.occurred_at) for record in records} >= {"2024-08", MONTH}
    stored = " ".join(str(value) for record in records for value in vars(record).values())
    assert not PHONE.search(stored)
    # The callers' names and the free text stay in the files: only the type is kept.
    types = {value for sample in samples() for value in sample.types}
    assert {record.source_type for record in records} <= types


def test_the_monthly_report_counts_the_demo_records_as_an_independent_recount_does(
    db: Session, city: City, tmp_path: Path
):
    _year(db)
    append(db, root=tmp_path, now=utcnow() + timedelta(minutes=10))

    produce(db, engine=DuckDBEngine(tmp_path), month=MONTH)
    db.commit()

    recount = Counter(
        (record.grid_code, record.risk_class)
        for record in db.scalars(select(ExternalRecord))
        if local_month(record.occurred_at) == MONTH
    )
    reported = {
        (risk.grid_code, risk.risk_class): risk.events
        for risk in db.scalars(select(MonthlyRisk).where(MonthlyRisk.month == MONTH))
        if risk.events
    }
    assert reported == dict(recount)
    assert sum(reported.values()) > 10


def test_the_demo_sources_belong_to_the_city_so_its_administrators_find_them(
    db: Session, city: City
):
    _year(db)

    found = list_sources(db, actor=actor(Role.ADMIN, CITY))

    assert [(source.name, records) for source, records in found] == [
        ("demo-110", 132),
        ("demo-12345", 108),
    ]
