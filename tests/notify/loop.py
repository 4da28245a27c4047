"""Walking cases through the real intake and workflow at chosen moments, for timer tests."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.categories.drafts import CategoryDraft
from civicgrid.categories.service import create_category
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import DISPLAY_ZONE
from tests.factories import CITY, OWN_DISTRICT, OWN_STREET, PASSWORD, City

GRID = "530502001001001"
LAMP = "TST-LAMP"
# Two working hours to dispatch, four to claim, eight to resolve.
LAMP_HOURS = {"accept": 1, "dispatch": 2, "claim": 4, "resolve": 8, "verify": 4, "close": 8}


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """A moment of 2026 given in Shanghai time, in UTC as the platform stores it.

    12 October 2026 is a Monday.
    """
    return datetime(2026, month, day, hour, minute, tzinfo=DISPLAY_ZONE).astimezone(UTC)


def person(role: Role, scope: str = OWN_STREET, department_id: int | None = None) -> Actor:
    return Actor(
        kind="user", role=role, scope_code=scope, username=role.value, department_id=department_id
    )


DISPATCHER = person(Role.DISPATCHER)
ADMIN = person(Role.ADMIN, CITY)


@dataclass(frozen=True)
class Loop:
    """The people and the department a case meets on its way."""

    department_id: int
    handler: Actor
    handler_ids: tuple[int, ...]
    district_dispatcher_id: int
    street_dispatcher_id: int


def build_loop(db: Session, city: City) -> Loop:
    """A lamp category, an urban-management department with two handlers, two dispatchers."""
    create_category(db, actor=ADMIN, draft=CategoryDraft(code="TST", name="测试"))
    create_category(
        db,
        actor=ADMIN,
        draft=CategoryDraft(
            code=LAMP,
            name="路灯",
            parent_code="TST",
            sla_hours=LAMP_HOURS,
            hour_basis="working",
            risk_class="municipal_facilities",
        ),
    )
    department = auth_service.create_department(
        db, code="530502-urban", name="城管", kind="urban_management", region_code=OWN_DISTRICT
    )
    handlers = [
        _user(db, name, Role.DEPARTMENT_HANDLER, OWN_DISTRICT, department.code)
        for name in ("handler-a", "handler-b")
    ]
    district = _user(db, "district-dispatcher", Role.DISPATCHER, OWN_DISTRICT)
    street = _user(db, "street-dispatcher", Role.DISPATCHER, OWN_STREET)
    db.commit()
    return Loop(
        department_id=department.id,
        handler=person(Role.DEPARTMENT_HANDLER, OWN_DISTRICT, department.id),
        handler_ids=tuple(handlers),
        district_dispatcher_id=district,
        street_dispatcher_id=street,
    )


def _user(db: Session, username: str, role: Role, scope: str, department: str | None = None) -> int:
    created = auth_service.create_user(
        db,
        username=username,
        password=PASSWORD,
        role=role,
        scope_code=scope,
        department_code=department,
    )
    return created.id


def resident(db: Session, username: str) -> Actor:
    user = auth_service.create_user(
        db, username=username, password=PASSWORD, role=Role.RESIDENT, scope_code=CITY
    )
    db.commit()
    return auth_service.actor_for_user(user)


def report(
    db: Session, city: City, now: datetime, reporter: Actor | None = None, grid: str = GRID
) -> Case:
    lng, lat = city.point_in(grid)
    intake = Intake(
        description="路灯不亮", channel="resident", lng=lng, lat=lat, category_code=LAMP
    )
    who = reporter or person(Role.RESIDENT, CITY)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=who, now=now)
    return case


def move(db: Session, case: Case, change: Change, actor: Actor, now: datetime) -> Case:
    moved = transition(db, case_id=case.id, change=change, actor=actor, now=now)
    db.commit()
    return moved


def accept(db: Session, case: Case, now: datetime) -> Case:
    return move(db, case, Change(to=Status.ACCEPTED), DISPATCHER, now)


def dispatch(db: Session, case: Case, loop: Loop, now: datetime) -> Case:
    return move(
        db, case, Change(to=Status.DISPATCHED, department_id=loop.department_id), DISPATCHER, now
    )
