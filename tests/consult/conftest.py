"""Closed cases and a finished dispute to consult, built through the services.

Two closed noise cases lie in the own grid (one answered by the own department),
a closed road case beside them, and a closed noise case in the other district; a new
noise case of the own grid is in the own department's hands;
a mediator of the own street agreed one neighbour dispute there and the other
district has its own.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.consult.indexing import refresh
from civicgrid.disputes import service as disputes
from civicgrid.disputes.models import DisputeKind, PartyRole, SessionMode, Source
from civicgrid.disputes.schemas import AgreementIn, DisputeIn, FollowUpIn, PartyIn, SessionIn
from civicgrid.disputes.workflow import Change as DisputeChange
from civicgrid.disputes.workflow import Status as DisputeStatus
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from civicgrid.timeutil import utcnow
from tests.factories import (
    OTHER_DISTRICT,
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    City,
    People,
    user_row,
)

NOISE_REPLY = "经核查，已责令广场舞队伍晚上九点后停止活动并降低音量。"
AGREEMENT = "李四于十日内修复漏水管道，并赔偿张三装修损失人民币三千元。"


@dataclass(frozen=True)
class Consulted:
    root: Path
    noise: str
    noise_again: str
    road: str
    foreign_noise: str
    open_noise: str
    dispute: str
    agreed: str
    foreign_dispute: str


def person(db: Session, username: str) -> Actor:
    return auth_service.actor_for_user(user_row(db, username))


def _user(
    db: Session, username: str, role: Role, scope: str, department: str | None = None
) -> None:
    auth_service.create_user(
        db,
        username=username,
        password=PASSWORD,
        role=role,
        scope_code=scope,
        department_code=department,
    )


def _report(db: Session, city: City, grid: str, text: str) -> Case:
    lng, lat = city.point_in(grid)
    intake = Intake(description=text, channel="resident", lng=lng, lat=lat)
    resident = Actor(kind="anonymous", role=None, scope_code=None)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=resident)
    return case


def _close(db: Session, case: Case, people: tuple[str, str, str], reply: str) -> None:
    """Through the centre, the department and back to the centre, the handler's reply noted."""
    centre, handler, department = people
    steps = (
        (Change(to=Status.ACCEPTED), centre),
        (
            Change(to=Status.DISPATCHED, department_id=auth_service.department_id(db, department)),
            centre,
        ),
        (Change(to=Status.CLAIMED), handler),
        (Change(to=Status.RESOLVED, note=reply), handler),
        (Change(to=Status.VERIFIED), centre),
        (Change(to=Status.CLOSED), centre),
    )
    for change, who in steps:
        transition(db, case_id=case.id, change=change, actor=person(db, who))


def _dispute(db: Session, settings: Settings, registrar: str, grid: str, text: str) -> str:
    data = DisputeIn(
        kind=DisputeKind.NEIGHBOUR,
        source=Source.WALK_IN,
        description=text,
        region_code=grid,
        parties=[
            PartyIn(role=PartyRole.APPLICANT, name="张三", phone="13812345678"),
            PartyIn(role=PartyRole.RESPONDENT, name="李四"),
        ],
    )
    made = disputes.create_dispute(
        db, person(db, registrar), settings=settings, data=data, now=utcnow()
    )
    return made.number


def _agree(db: Session, settings: Settings, number: str, mediator: str, centre: str) -> None:
    now = utcnow()
    disputes.assign(db, person(db, centre), number=number, mediator=mediator, note="", now=now)
    record = SessionIn(
        mode=SessionMode.IN_PERSON, held_at=now, place="调解室", record="双方同意调解"
    )
    disputes.record_session(db, person(db, mediator), number=number, data=record, now=now)
    terms = AgreementIn(
        terms=AGREEMENT, performance_method="当面履行", performance_deadline=date(2026, 12, 31)
    )
    disputes.agree(db, person(db, mediator), settings=settings, number=number, data=terms, now=now)
    visit = FollowUpIn(visited_on=date(2026, 12, 1), result="已履行")
    disputes.add_follow_up(db, person(db, mediator), number=number, data=visit, now=now)
    close = DisputeChange(to=DisputeStatus.CLOSED)
    disputes.move(db, person(db, centre), number=number, change=close, now=now + timedelta(days=1))


@pytest.fixture
def consulted(db: Session, city: City, people: People, settings: Settings) -> Consulted:
    for code, region in (("530502-urban", "530502"), ("530521-urban", OTHER_DISTRICT)):
        auth_service.create_department(
            db, code=code, name=f"城管{code}", kind="urban", region_code=region
        )
    _user(db, "c.handler", Role.DEPARTMENT_HANDLER, "530502", "530502-urban")
    _user(db, "c.far_handler", Role.DEPARTMENT_HANDLER, OTHER_DISTRICT, "530521-urban")
    _user(db, "c.far_dispatcher", Role.DISPATCHER, OTHER_DISTRICT)
    _user(db, "c.mediator", Role.MEDIATOR, OWN_STREET)
    _user(db, "c.far_mediator", Role.MEDIATOR, OTHER_DISTRICT)
    _user(db, "c.resident", Role.RESIDENT, city.code)
    _user(db, "c.far_admin", Role.ADMIN, OTHER_DISTRICT)
    admin = person(db, "admin")
    for mediator in ("c.mediator", "c.far_mediator"):
        disputes.save_mediator(db, admin, username=mediator, kinds=["neighbour"], active=True)
    noise = _report(db, city, OWN_GRID, "晚上广场舞噪音扰民，音响声音太大影响休息")
    noise_again = _report(db, city, OWN_GRID, "小区旁边广场舞噪音很大，老人孩子睡不着")
    road = _report(db, city, OWN_GRID, "道路积水严重，下雨天无法通行")
    foreign = _report(db, city, OTHER_GRID, "广场舞噪音扰民，每天晚上十点还不停")
    open_noise = _report(db, city, OWN_GRID, "楼下广场舞噪音扰民，晚上吵得睡不着")
    _close(db, noise, ("owner", "c.handler", "530502-urban"), NOISE_REPLY)
    _close(db, noise_again, ("owner", "c.handler", "530502-urban"), "已协调社区约谈广场舞负责人。")
    _close(db, road, ("owner", "c.handler", "530502-urban"), "已疏通排水管道。")
    _close(db, foreign, ("c.far_dispatcher", "c.far_handler", "530521-urban"), "外区已处理。")
    centre = person(db, "owner")
    transition(db, case_id=open_noise.id, change=Change(to=Status.ACCEPTED), actor=centre)
    handling = auth_service.department_id(db, "530502-urban")
    change = Change(to=Status.DISPATCHED, department_id=handling)
    transition(db, case_id=open_noise.id, change=change, actor=centre)
    agreed = _dispute(db, settings, "owner", OWN_GRID, "楼上漏水，张三与李四多次争吵")
    foreign_dispute = _dispute(db, settings, "c.far_dispatcher", OTHER_GRID, "楼上漏水引发邻里纠纷")
    current = _dispute(db, settings, "owner", OWN_GRID, "卫生间漏水到楼下，邻居吵架")
    _agree(db, settings, agreed, "c.mediator", "owner")
    _agree(db, settings, foreign_dispute, "c.far_mediator", "c.far_dispatcher")
    root = settings.data_dir / "consult"
    refresh(db, root)
    db.commit()
    return Consulted(
        root=root,
        noise=noise.number,
        noise_again=noise_again.number,
        road=road.number,
        foreign_noise=foreign.number,
        open_noise=open_noise.number,
        dispute=current,
        agreed=agreed,
        foreign_dispute=foreign_dispute,
    )
