"""The demo year of cases: every case walked through the real workflow, reproducibly."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.service import create_department
from civicgrid.cases.models import Case, CaseAction, CaseFeedback
from civicgrid.cases.service import verify_history
from civicgrid.cases.workflow import ALLOWED, Status
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.demo.cases import GenerationReport, generate_cases
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import as_utc
from tests.factories import CITY, OTHER_DISTRICT, OWN_DISTRICT, City, build_city, run

END = datetime(2025, 7, 1, tzinfo=UTC)
START = END - timedelta(days=365)
KINDS = ("urban_management", "housing", "environment", "police")


def add_departments(db: Session) -> None:
    for region in (CITY, OWN_DISTRICT, OTHER_DISTRICT):
        for kind in KINDS:
            create_department(
                db, code=f"{region}-{kind}", name=f"{region}{kind}", kind=kind, region_code=region
            )
    db.commit()


def generate(
    db: Session, count: int, seed: int = 7, messages: Path | None = None
) -> GenerationReport:
    return generate_cases(
        db, GridIndex(), count=count, seed=seed, start=START, end=END, messages_path=messages
    )


@pytest.fixture
def year(db: Session, city: City) -> GenerationReport:
    add_departments(db)
    return generate(db, 120)


def test_every_generated_case_has_an_intact_hash_chain(db, year: GenerationReport):
    assert year.cases == 120
    assert db.scalar(select(CaseAction.id).order_by(CaseAction.id.desc()).limit(1)) == year.actions
    assert verify_history(db) == []


def test_every_step_is_one_the_workflow_table_allows(db, year: GenerationReport):
    steps: dict[int, list[CaseAction]] = {}
    for action in db.scalars(select(CaseAction).order_by(CaseAction.case_id, CaseAction.sequence)):
        steps.setdefault(action.case_id, []).append(action)
    for history in steps.values():
        assert history[0].from_status is None
        assert history[0].to_status == Status.REPORTED.value
        for before, after in pairwise(history):
            assert after.from_status == before.to_status
            assert Status(after.to_status) in ALLOWED[Status(before.to_status)]
            assert as_utc(after.created_at) >= as_utc(before.created_at)


def test_statuses_channels_and_places_are_spread_like_a_real_year(db, year: GenerationReport):
    statuses = Counter(db.scalars(select(Case.status)))
    assert statuses == year.by_status
    assert statuses[Status.CLOSED.value] > 60
    assert statuses[Status.REJECTED.value] >= 1
    assert (
        sum(statuses.values()) - statuses[Status.CLOSED.value] - statuses[Status.REJECTED.value]
        >= 1
    ), "the newest cases are still open"
    assert year.by_channel.most_common(1)[0][0] == "hotline_12345"
    assert len(year.by_channel) >= 6
    actions = Counter(db.scalars(select(CaseAction.to_status)))
    for status in (Status.SELF_RESOLVED, Status.RETURNED, Status.REOPENED, Status.RATED):
        assert actions[status.value] >= 1, status
    ratings = list(db.scalars(select(CaseFeedback.rating).where(CaseFeedback.kind == "rating")))
    assert len(ratings) == actions[Status.RATED.value]
    assert set(ratings) <= {1, 2, 3, 4, 5}
    districts = Counter(code[:6] for code in db.scalars(select(Case.region_code)))
    assert set(districts) == {OWN_DISTRICT, OTHER_DISTRICT}
    reported = [as_utc(moment) for moment in db.scalars(select(Case.created_at))]
    assert all(START <= moment < END for moment in reported)
    daytime = sum(1 for moment in reported if 8 <= (moment.hour + 8) % 24 < 20)
    assert daytime > 0.7 * len(reported)


def fingerprint(db: Session) -> list[tuple[object, ...]]:
    cases = db.scalars(select(Case).order_by(Case.id))
    return [
        (
            case.number,
            case.status,
            case.channel,
            case.grid_code,
            case.description,
            as_utc(case.created_at),
            tuple(
                (action.to_status, as_utc(action.created_at), action.note)
                for action in db.scalars(
                    select(CaseAction)
                    .where(CaseAction.case_id == case.id)
                    .order_by(CaseAction.sequence)
                )
            ),
        )
        for case in cases
    ]


def test_the_same_seed_gives_the_same_cases(db, city: City, tmp_path: Path):
    add_departments(db)
    generate(db, 60, seed=11)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade_database(engine)
    with Session(bind=engine, expire_on_commit=False) as again:
        build_city(again)
        add_departments(again)
        generate(again, 60, seed=11)
        assert fingerprint(again) == fingerprint(db)
    engine.dispose()


def test_real_messages_are_told_with_the_demo_city_names(db, city: City, shared_data: Path):
    add_departments(db)
    generate(db, 80, messages=shared_data / "messages" / "messages_with_votes.csv")
    descriptions = list(db.scalars(select(Case.description)))
    assert not any("A市" in text or "西地省" in text for text in descriptions)
    assert any("保山市" in text for text in descriptions)
    assert all(len(text) <= 241 for text in descriptions)


@pytest.mark.usefixtures("cli_env")
def test_the_demo_command_builds_its_year_of_cases_through_the_workflow(db: Session):
    command = ("demo", "--grids", "160", "--cases", "30", "--shared-data", "/nonexistent-shared")
    result = run(*command)
    assert result.exit_code == 0, result.output
    assert "演示案件已生成：30 件" in result.output
    assert "2 个外部来源（110 警情、12345 工单）的一年样例记录 15 条" in result.output
    assert len(db.scalars(select(Case.id)).all()) == 30
    assert verify_history(db) == []
