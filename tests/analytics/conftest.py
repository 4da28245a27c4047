"""One month of cases walked through the real workflow with a moving clock.

Each step's moment is chosen against the deadline the SLA clock actually set
(a few minutes in, or an hour past it), so the on-time figures below hold
whatever hours the categories grant.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import create_department
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import DISPLAY_ZONE, as_utc
from tests.factories import City

GRID_A = "530502001001001"  # the owner's street
GRID_B = "530502002001001"  # another street of the same district
GRID_C = "530521001001001"  # another district
MARCH_FIRST = "2025-03-01"
MARCH_LAST = "2025-03-31"
LATER = datetime(2026, 1, 1, tzinfo=DISPLAY_ZONE)
STEP = timedelta(minutes=10)
LATE = timedelta(hours=1)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DISPLAY_ZONE)


def user(role: Role, scope: str, name: str, department_id: int | None = None) -> Actor:
    return Actor(
        kind="user", role=role, scope_code=scope, username=name, department_id=department_id
    )


@dataclass(frozen=True)
class Month:
    urban: int
    police: int
    numbers: dict[str, str]


class Walker:
    """Moves one case step by step; each step either just inside or past its deadline."""

    def __init__(self, db: Session, case: Case, at: datetime) -> None:
        self.db, self.case, self.now = db, case, at

    def to(
        self, status: Status, actor: Actor, *, late: bool = False, department_id: int | None = None
    ) -> None:
        if late:
            assert self.case.stage_due_at is not None
            self.now = as_utc(self.case.stage_due_at) + LATE
        else:
            self.now = self.now + STEP
        note = "说明" if status is not Status.DISPATCHED else ""
        self.case = transition(
            self.db,
            case_id=self.case.id,
            change=Change(to=status, note=note, department_id=department_id),
            actor=actor,
            now=self.now,
        )
        self.db.commit()


def report(db: Session, city: City, grid: str, at: datetime) -> Walker:
    lng, lat = city.point_in(grid)
    intake = Intake(description="路灯不亮", channel="hotline_12345", lng=lng, lat=lat)
    reporter = user(Role.DISPATCHER, city.code, "dispatcher.city")
    case, _ = report_case(db, GridIndex(), intake=intake, actor=reporter, now=as_utc(at))
    return Walker(db, case, as_utc(at))


@pytest.fixture
def month(db: Session, city: City) -> Month:
    """Six cases around March 2025, four of them in the owner's district.

    A: handled on time and closed. B: dispatched and resolved late, reworked,
    resolved again on time, closed. C: sent to the police, returned, sent to
    urban management, claimed and left. D: rejected in the other district.
    E: reported ten minutes before March (not counted). F: reported ten
    minutes before April (counted) and accepted, never dispatched.
    """
    urban = create_department(
        db, code="530502-urban", name="区城管局", kind="urban_management", region_code="530502"
    ).id
    police = create_department(
        db, code="530500-police", name="市公安局", kind="police", region_code="530500"
    ).id
    db.commit()
    centre = user(Role.DISPATCHER, "530500", "dispatcher.city")
    urban_handler = user(Role.DEPARTMENT_HANDLER, "530502", "handler.urban", urban)
    police_handler = user(Role.DEPARTMENT_HANDLER, "530500", "handler.police", police)
    worker = user(Role.GRID_WORKER, GRID_A, "worker.a")

    a = report(db, city, GRID_A, local(2025, 3, 3, 9, 0))
    a.to(Status.ACCEPTED, centre)
    a.to(Status.DISPATCHED, centre, department_id=urban)
    a.to(Status.CLAIMED, urban_handler)
    a.to(Status.RESOLVED, urban_handler)
    a.to(Status.VERIFIED, worker)
    a.to(Status.CLOSED, centre)

    b = report(db, city, GRID_A, local(2025, 3, 4, 9, 0))
    b.to(Status.ACCEPTED, centre)
    b.to(Status.DISPATCHED, centre, late=True, department_id=urban)
    b.to(Status.CLAIMED, urban_handler)
    b.to(Status.RESOLVED, urban_handler, late=True)
    b.to(Status.REOPENED, worker)
    b.to(Status.CLAIMED, urban_handler)
    b.to(Status.RESOLVED, urban_handler)
    b.to(Status.VERIFIED, worker)
    b.to(Status.CLOSED, centre)

    c = report(db, city, GRID_B, local(2025, 3, 10, 10, 0))
    c.to(Status.ACCEPTED, centre)
    c.to(Status.DISPATCHED, centre, department_id=police)
    c.to(Status.RETURNED, police_handler)
    c.to(Status.DISPATCHED, centre, department_id=urban)
    c.to(Status.CLAIMED, urban_handler)

    d = report(db, city, GRID_C, local(2025, 3, 12, 10, 0))
    d.to(Status.REJECTED, centre)

    e = report(db, city, GRID_A, local(2025, 2, 28, 23, 50))
    f = report(db, city, GRID_A, local(2025, 3, 31, 23, 50))
    f.to(Status.ACCEPTED, centre)
    walkers = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}
    return Month(urban, police, {name: w.case.number for name, w in walkers.items()})
