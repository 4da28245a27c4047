"""Plans per worker and the daily task lists they generate."""

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.errors import Invalid, NotFound
from civicgrid.fieldwork import schedule, targets
from civicgrid.fieldwork.models import Cadence, Plan, SubjectKind, Task, TaskType
from civicgrid.fieldwork.roles import PLAN_ROLES, READ_ROLES

INSERT_CHUNK = 1000

# What each task type's plan works through; the rest are done for the grid as a whole.
PLAN_SUBJECTS = {
    TaskType.HOUSEHOLD_VISIT: SubjectKind.HOUSEHOLD,
    TaskType.KEY_PLACE_PATROL: SubjectKind.KEY_PLACE,
    TaskType.SPECIAL_GROUPS_SERVICE: SubjectKind.RESIDENT,
}

# At most this many visits per target and period: fewer than the period's working days,
# so every slice of the spreading rule (see schedule.py) holds at least one day.
MAX_TIMES = {
    Cadence.DAILY: 1,
    Cadence.WEEKLY: 5,
    Cadence.MONTHLY: 15,
    Cadence.YEARLY: 200,
    Cadence.PLACE_SCHEDULE: 1,
}


def plan_subject(task_type: TaskType) -> SubjectKind:
    return PLAN_SUBJECTS.get(task_type, SubjectKind.GRID)


def create_plan(
    db: Session, actor: Actor, *, worker_id: int, task_type: TaskType, cadence: Cadence, times: int
) -> Plan:
    """Standing work for a grid worker inside the actor's area; the caller commits."""
    auth_service.require_role(actor, PLAN_ROLES)
    worker = _visible_worker(db, actor, worker_id)
    _require_sensible(task_type, cadence, times)
    plan = Plan(
        worker_id=worker.id,
        task_type=task_type.value,
        cadence=cadence.value,
        times=times,
        active=True,
        region_code=worker.scope_code,
        created_by=actor.username,
    )
    db.add(plan)
    db.flush()
    return plan


def _visible_worker(db: Session, actor: Actor, worker_id: int) -> User:
    worker = db.get(User, worker_id)
    if worker is None or worker.role != Role.GRID_WORKER or not may_see(actor, worker.scope_code):
        raise NotFound("fieldwork_worker_not_found", id=worker_id)
    return worker


def _require_sensible(task_type: TaskType, cadence: Cadence, times: int) -> None:
    if cadence is Cadence.PLACE_SCHEDULE and task_type is not TaskType.KEY_PLACE_PATROL:
        raise Invalid("fieldwork_place_schedule_only_patrol")
    limit = MAX_TIMES[cadence]
    if not 1 <= times <= limit:
        raise Invalid("fieldwork_times_out_of_range", cadence=cadence.value, limit=limit)


# One rung up each time: what "raise the visit or patrol frequency" means for a plan.
# A plan on `place_schedule` follows each key place's own interval, which belongs to the
# place, so it is left as it is; a daily plan is already as frequent as plans go.
MORE_OFTEN = {
    Cadence.YEARLY: Cadence.MONTHLY,
    Cadence.MONTHLY: Cadence.WEEKLY,
    Cadence.WEEKLY: Cadence.DAILY,
}
# The plans over a grid's households and places, the ones an analysis raises.
VISIT_AND_PATROL = (TaskType.HOUSEHOLD_VISIT, TaskType.KEY_PLACE_PATROL)


def raise_frequency(db: Session, actor: Actor, *, grid_code: str, why: str) -> list[Plan]:
    """Move every active household-visit and key-place-patrol plan of a grid one cadence
    up (`MORE_OFTEN`), its times kept within the new cadence's limit; each change is
    audited with `why`. Returns the plans changed; the caller commits."""
    auth_service.require_role(actor, PLAN_ROLES)
    if not may_see(actor, grid_code):
        raise NotFound("fieldwork_grid_not_found", grid=grid_code)
    query = select(Plan).where(
        Plan.region_code == grid_code,
        Plan.active.is_(True),
        Plan.task_type.in_([task.value for task in VISIT_AND_PATROL]),
        in_scope(actor, Plan.region_code),
    )
    changed = []
    for plan in db.scalars(query.order_by(Plan.id)):
        cadence = MORE_OFTEN.get(Cadence(plan.cadence))
        if cadence is None:
            continue
        before = {"cadence": plan.cadence, "times": plan.times}
        plan.cadence, plan.times = cadence.value, min(plan.times, MAX_TIMES[cadence])
        record_change(
            db,
            author=actor,
            kind=ChangeKind.FIELDWORK_PLAN,
            action="raise_frequency",
            target=f"fieldwork_plan:{plan.id}",
            region_code=plan.region_code,
            before=before,
            after={"cadence": plan.cadence, "times": plan.times, "why": why},
        )
        changed.append(plan)
    db.flush()
    return changed


def list_plans(db: Session, actor: Actor) -> list[Plan]:
    auth_service.require_role(actor, READ_ROLES)
    query = select(Plan).where(in_scope(actor, Plan.region_code)).order_by(Plan.id)
    return list(db.scalars(query))


def set_plan_active(db: Session, actor: Actor, *, plan_id: int, active: bool) -> Plan:
    """Plans are switched off, not deleted: their tasks and records stay explained."""
    auth_service.require_role(actor, PLAN_ROLES)
    plan = db.scalar(select(Plan).where(Plan.id == plan_id, in_scope(actor, Plan.region_code)))
    if plan is None:
        raise NotFound("fieldwork_plan_not_found", id=plan_id)
    plan.active = active
    db.flush()
    return plan


def generate_tasks(db: Session, *, day: date, worker_ids: Collection[int] | None = None) -> int:
    """The day's tasks of every active plan (or of the workers given); returns how many are new.

    Idempotent: a task already generated is skipped by the unique constraint, so
    running the command twice, or two processes at once, adds nothing.
    """
    query = select(Plan, User).join(User, User.id == Plan.worker_id).where(Plan.active.is_(True))
    if worker_ids is not None:
        query = query.where(Plan.worker_id.in_(worker_ids))
    rows: list[dict[str, Any]] = []
    found: dict[tuple[int, SubjectKind], dict[int, int]] = {}
    for plan, worker in db.execute(query):
        kind = plan_subject(TaskType(plan.task_type))
        if (worker.id, kind) not in found:
            found[worker.id, kind] = targets.targets_of(
                db, auth_service.actor_for_user(worker), kind
            )
        rows.extend(_due_rows(plan, kind, found[worker.id, kind], day))
    return _insert_new(db, rows)


def _due_rows(
    plan: Plan, kind: SubjectKind, candidates: dict[int, int], day: date
) -> list[dict[str, Any]]:
    cadence = Cadence(plan.cadence)
    due = schedule.due_targets(cadence, plan.times, plan.id, candidates, day)
    return [
        {
            "plan_id": plan.id,
            "worker_id": plan.worker_id,
            "task_type": plan.task_type,
            "due_on": day,
            "subject_kind": kind.value,
            "subject_id": target_id,
            "region_code": plan.region_code,
        }
        for target_id in due
    ]


def _insert_new(db: Session, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect_insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    created = 0
    # RETURNING names only the rows really inserted; rowcount is not reliable for this on psycopg.
    for start in range(0, len(rows), INSERT_CHUNK):
        statement = (
            dialect_insert(Task)
            .values(rows[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing(
                index_elements=["plan_id", "due_on", "subject_kind", "subject_id"]
            )
            .returning(Task.id)
        )
        created += len(db.execute(statement).all())
    return created


def tasks_for(db: Session, actor: Actor, *, day: date, grid: str | None = None) -> list[Task]:
    """A worker's own day, generated on first look; staff see the tasks of their area."""
    auth_service.require_role(actor, READ_ROLES)
    query = select(Task).where(Task.due_on == day)
    if actor.role is Role.GRID_WORKER and actor.user_id is not None:
        generate_tasks(db, day=day, worker_ids=[actor.user_id])
        query = query.where(Task.worker_id == actor.user_id)
    else:
        query = query.where(in_scope(actor, Task.region_code))
    if grid is not None:
        query = query.where(Task.region_code == grid)
    return list(db.scalars(query.order_by(Task.worker_id, Task.task_type, Task.subject_id)))
