"""The demo's year filled after the city: resumed after a stop without repeats, and shown on
staff pages while it fills."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth.service import create_department
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.service import verify_history
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.demo.filling import (
    FillProgress,
    current_fill,
    fill_cases,
    fill_progress,
    plan_fill,
)
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import as_utc
from tests.factories import (
    CITY,
    OTHER_DISTRICT,
    OWN_DISTRICT,
    City,
    People,
    build_city,
    sign_in,
)

END = datetime(2025, 7, 1, tzinfo=UTC)
START = END - timedelta(days=365)
KINDS = ("urban_management", "housing", "environment", "police")
TOTAL = 50


class Stopped(Exception):
    """The filler's process ending mid-batch, as a stopped `make demo` ends it."""


def add_departments_and_plan(db: Session) -> None:
    for region in (CITY, OWN_DISTRICT, OTHER_DISTRICT):
        for kind in KINDS:
            create_department(
                db, code=f"{region}-{kind}", name=f"{region}{kind}", kind=kind, region_code=region
            )
    plan_fill(db, total=TOTAL, seed=5, start=START, end=END)
    db.commit()


def stop_in_second_batch(done: int, _total: int) -> None:
    if done > 25:
        raise Stopped


@pytest.fixture
def planned(db: Session, city: City) -> None:
    add_departments_and_plan(db)


def stored(db: Session) -> list[tuple[object, ...]]:
    return [
        (case.number, case.status, case.description, as_utc(case.created_at))
        for case in db.scalars(select(Case).order_by(Case.id))
    ]


@pytest.mark.usefixtures("planned")
def test_a_fill_stopped_mid_batch_resumes_after_its_last_stored_case_without_repeats(
    db: Session,
):
    with pytest.raises(Stopped):
        fill_cases(db, GridIndex(), messages_path=None, progress=stop_in_second_batch)
    db.rollback()
    assert fill_progress(db) == FillProgress(25, TOTAL, False)
    # Intake committed the 26th report; its steps, in the batch in hand, were lost.
    assert db.scalar(select(func.count(Case.id))) == 26
    first_part = stored(db)[:25]
    assert stored(db)[25][1] == "reported"

    result = fill_cases(db, GridIndex(), messages_path=None)

    assert result is not None
    assert result.cases.cases == TOTAL - 25
    assert sum(result.external.values()) > 0
    assert fill_progress(db) == FillProgress(TOTAL, TOTAL, True)
    cases = stored(db)
    assert cases[:25] == first_part
    assert len({number for number, *_ in cases}) == len(cases) == TOTAL
    assert verify_history(db) == []
    assert fill_cases(db, GridIndex(), messages_path=None) is None, "a finished fill adds none"


@pytest.mark.usefixtures("city")
def test_a_resumed_fill_stores_the_same_year_as_one_uninterrupted_run(db: Session, tmp_path: Path):
    add_departments_and_plan(db)
    with pytest.raises(Stopped):
        fill_cases(db, GridIndex(), messages_path=None, progress=stop_in_second_batch)
    db.rollback()
    fill_cases(db, GridIndex(), messages_path=None)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'one-run.db'}")
    upgrade_database(engine)
    with Session(bind=engine, expire_on_commit=False) as one_run:
        build_city(one_run)
        add_departments_and_plan(one_run)
        fill_cases(one_run, GridIndex(), messages_path=None)
        assert stored(one_run) == stored(db)
        assert one_run.scalar(select(func.count(CaseAction.id))) == db.scalar(
            select(func.count(CaseAction.id))
        )
    engine.dispose()


@pytest.mark.usefixtures("planned")
def test_staff_pages_show_the_fill_until_it_is_done(
    client: TestClient, db: Session, people: People
):
    sign_in(client, people.owner.username, people.owner.password)
    assert "演示数据生成中 0/50" in client.get("/desk").text
    assert "演示数据生成中" not in client.get("/report").text, "residents see no staff note"
    fill = current_fill(db)
    assert fill is not None
    fill.done, fill.finished_at = TOTAL, END
    db.commit()
    assert "演示数据生成中" not in client.get("/desk").text
