"""Departments that hold or held a case: recorded on dispatch, backfilled by migration 0011."""

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.cases.models import Case, CaseHolding
from civicgrid.db import alembic_config
from civicgrid.settings import Settings
from tests.factories import (
    FOREIGN_DEPARTMENT,
    OWN_DEPARTMENT,
    City,
    People,
    build_access_world,
)


def holders(db: Session) -> set[tuple[str, int]]:
    rows = db.execute(
        select(Case.number, CaseHolding.department_id).join(Case, Case.id == CaseHolding.case_id)
    )
    return {(number, department) for number, department in rows}


def test_a_database_from_before_holdings_gets_each_cases_current_department(
    db: Session, engine: Engine, city: City, people: People, settings: Settings
):
    world = build_access_world(db, city, settings)
    db.close()
    command.downgrade(alembic_config(engine), "0010")
    command.upgrade(alembic_config(engine), "head")
    with Session(bind=engine) as fresh:
        own = auth_service.department_id(fresh, OWN_DEPARTMENT)
        foreign = auth_service.department_id(fresh, FOREIGN_DEPARTMENT)
        assert holders(fresh) == {(world.own_case, own), (world.foreign_case, foreign)}
