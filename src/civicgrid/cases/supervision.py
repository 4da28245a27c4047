"""Urges (催办) and supervision (督办): what the worker raises as a stage's clock runs out.

At 80 % of a stage's time the holder of the case is urged; once the stage is
overdue, the centre one level above the one holding the case is asked to
supervise it. Each is raised at most once per stage instance. Two workers
sweeping at once are kept apart by the unique key (case, kind, stage, stage
start), not by reading first: the second insert fails and is skipped.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.cases import notices
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case, CaseAction, CaseSupervision
from civicgrid.cases.roles import CASE_SUPERVISION_READERS, SUPERVISION_READERS
from civicgrid.cases.service import visible_case
from civicgrid.cases.sla import (
    Basis,
    Light,
    Stage,
    centre_above,
    handling_centre,
    light,
    stage_terms,
    starts_new_stage,
)
from civicgrid.geo.models import Region
from civicgrid.notify import service as notify
from civicgrid.timeutil import as_utc

URGE = "urge"
SUPERVISE = "supervise"
EVENT_OF_KIND = {URGE: notices.URGED, SUPERVISE: notices.SUPERVISED}
# Stages in which a department, not a centre, holds the case and is the one to urge.
DEPARTMENT_STAGES = frozenset({Stage.CLAIM.value, Stage.RESOLVE.value})


@dataclass(frozen=True)
class Sweep:
    checked: int
    urged: int
    supervised: int
    ended: int


def sweep(db: Session, now: datetime, actor_label: str) -> Sweep:
    """Raise every urge and supervision that has come due, and close those whose stage ended.

    The caller commits; each raise runs in its own savepoint so one lost race
    does not undo the others.
    """
    now = as_utc(now)
    ended = close_ended(db, now)
    rows = db.execute(_waiting_cases()).all()
    bases: dict[str | None, Basis] = {}
    raised: Counter[str] = Counter()
    for case, urged in rows:
        kind = _due_kind(db, case, urged, now, bases)
        if kind is not None and _raise(db, case, kind, now, actor_label):
            raised[kind] += 1
    return Sweep(checked=len(rows), urged=raised[URGE], supervised=raised[SUPERVISE], ended=ended)


def _same_instance(supervision: type[CaseSupervision] | Any) -> Any:
    return and_(
        supervision.case_id == Case.id,
        supervision.stage == Case.stage,
        supervision.stage_started_at == Case.stage_started_at,
    )


def _waiting_cases() -> Any:
    """Cases with a running clock not yet supervised in this stage, and whether already urged."""
    urge = aliased(CaseSupervision)
    supervise = aliased(CaseSupervision)
    urged = exists().where(_same_instance(urge), urge.kind == URGE)
    supervised = exists().where(_same_instance(supervise), supervise.kind == SUPERVISE)
    return (
        select(Case, urged.label("urged"))
        .where(Case.stage.is_not(None), Case.stage_due_at.is_not(None), ~supervised)
        .order_by(Case.id)
        .execution_options(populate_existing=True)
    )


def _due_kind(
    db: Session, case: Case, urged: bool, now: datetime, bases: dict[str | None, Basis]
) -> str | None:
    assert case.stage is not None
    assert case.stage_started_at is not None
    assert case.stage_due_at is not None
    if case.category_code not in bases:
        bases[case.category_code] = stage_terms(db, case.category_code, Stage(case.stage))[1]
    shown = light(case.stage_started_at, case.stage_due_at, now, bases[case.category_code])
    if shown is Light.RED:
        return SUPERVISE
    if shown is Light.YELLOW and not urged:
        return URGE
    return None


def _raise(db: Session, case: Case, kind: str, now: datetime, actor_label: str) -> bool:
    """Insert the row and queue its notices together; False when another worker got there first."""
    assert case.stage is not None
    assert case.stage_started_at is not None
    target = centre_above(case) if kind == SUPERVISE else handling_centre(case)
    try:
        with db.begin_nested():
            db.add(
                CaseSupervision(
                    case_id=case.id,
                    kind=kind,
                    stage=case.stage,
                    stage_started_at=case.stage_started_at,
                    region_code=target,
                    actor=actor_label,
                    note="",
                    created_at=now,
                )
            )
            db.flush()
            notices.enqueue(
                db,
                event=EVENT_OF_KIND[kind],
                case=case,
                user_ids=_recipients(db, case, kind, target),
                now=now,
            )
    except IntegrityError:
        return False
    return True


def _recipients(db: Session, case: Case, kind: str, target: str) -> list[int]:
    """督办 goes to the dispatchers above; an urge to whoever holds the case now."""
    if kind == URGE and case.stage in DEPARTMENT_STAGES and case.department_id is not None:
        return notices.department_users(db, case)
    return notify.dispatchers_of(db, target)


def close_ended(db: Session, now: datetime) -> int:
    """Stamp supervisions whose stage instance has ended with the moment its history shows."""
    ended = db.scalars(
        select(CaseSupervision)
        .join(Case, Case.id == CaseSupervision.case_id)
        .where(CaseSupervision.resolved_at.is_(None), ~_same_instance(CaseSupervision))
    ).all()
    for supervision in ended:
        supervision.resolved_at = _stage_end(db, supervision) or now
    db.flush()
    return len(ended)


def _stage_end(db: Session, supervision: CaseSupervision) -> datetime | None:
    actions = db.execute(
        select(CaseAction.to_status, CaseAction.created_at)
        .where(
            CaseAction.case_id == supervision.case_id,
            CaseAction.created_at > supervision.stage_started_at,
        )
        .order_by(CaseAction.sequence)
    ).all()
    return next(
        (at for to_status, at in actions if starts_new_stage(supervision.stage, to_status)), None
    )


def list_supervisions(
    db: Session, actor: Actor, *, open_only: bool = True, limit: int = 200
) -> list[tuple[CaseSupervision, Case]]:
    """Supervisions raised to the actor's centre or on cases inside the actor's jurisdiction."""
    require_role(actor, SUPERVISION_READERS)
    query = (
        select(CaseSupervision, Case)
        .join(Case, Case.id == CaseSupervision.case_id)
        .where(readable(actor) | in_scope(actor, CaseSupervision.region_code))
        .order_by(CaseSupervision.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(_same_instance(CaseSupervision))
    return [(supervision, case) for supervision, case in db.execute(query).all()]


@dataclass(frozen=True)
class Raised:
    """One urge or 督办 as a case's view shows it: who raised it, to whom, and the deadline
    it presses (the supervised stage's, while that stage still runs)."""

    supervision: CaseSupervision
    addressed_to: str
    deadline: datetime | None


def on_case(db: Session, actor: Actor, number: str) -> list[Raised]:
    """Every urge and 督办 raised on a case the actor may read (`service.visible_case`),
    oldest first."""
    require_role(actor, CASE_SUPERVISION_READERS)
    case = visible_case(db, actor, number)
    rows = db.scalars(
        select(CaseSupervision)
        .where(CaseSupervision.case_id == case.id)
        .order_by(CaseSupervision.created_at, CaseSupervision.id)
    ).all()
    centres = {row.region_code for row in rows}
    names = dict(db.execute(select(Region.code, Region.name).where(Region.code.in_(centres))).all())
    department = _holding_department(db, case)
    return [
        Raised(
            supervision=row,
            addressed_to=_addressed_to(row, names, department if _running(row, case) else None),
            deadline=case.stage_due_at if _running(row, case) else None,
        )
        for row in rows
    ]


def _running(row: CaseSupervision, case: Case) -> bool:
    return case.stage == row.stage and case.stage_started_at == row.stage_started_at


def _holding_department(db: Session, case: Case) -> str | None:
    if case.department_id is None:
        return None
    return db.scalar(select(Department.name).where(Department.id == case.department_id))


def _addressed_to(row: CaseSupervision, names: dict[str, str], department: str | None) -> str:
    """An urge in a department's stage goes to the department holding the case (`_recipients`);
    the row keeps only the centre, so once the stage has ended the centre is named."""
    if row.kind == URGE and row.stage in DEPARTMENT_STAGES and department is not None:
        return department
    return names.get(row.region_code, row.region_code)
