"""The month's score per worker, computed from the records each time, and its rankings.

score = Σ weight(task type) × counted records of that type
      + weight("plan_completion") × (planned tasks done ÷ planned tasks due so far)

A flagged record is not counted, and a task it completed is not counted as
done: doubtful work earns nothing until a person has looked at it. A worker
with no planned task that month gets no completion points. Nothing is kept
in a running counter, so a new flag or a new weight changes the score at once.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role, User
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import Invalid
from civicgrid.fieldwork.models import Flag, Record, Task, TaskType, Weight
from civicgrid.fieldwork.roles import READ_ROLES, WEIGHT_ROLES
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

PLAN_COMPLETION = "plan_completion"
WEIGHT_KEYS = (*(t.value for t in TaskType), PLAN_COMPLETION)
MAX_WEIGHT = 1000.0

# Until an administrator sets them: visits and reports that take time weigh more than a check-in.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    TaskType.CHECK_IN: 1.0,
    TaskType.HOUSEHOLD_VISIT: 3.0,
    TaskType.OPINION_COLLECTION: 2.0,
    TaskType.KEY_PLACE_PATROL: 2.0,
    TaskType.FLOATING_POPULATION: 2.0,
    TaskType.RENTAL_HOUSING: 2.0,
    TaskType.SECURITY_HAZARD: 3.0,
    TaskType.SPECIAL_GROUPS_SERVICE: 3.0,
    TaskType.DISPUTE_MEDIATION: 4.0,
    TaskType.EVENT_REPORT: 3.0,
    TaskType.ANTI_CRIME_PUBLICITY: 1.0,
    TaskType.SAFETY_PUBLICITY: 1.0,
    PLAN_COMPLETION: 20.0,
}


class RankLevel(StrEnum):
    """Rank among the workers of the same community or the same street."""

    COMMUNITY = "community"
    STREET = "street"


# Digits of a grid code that name its community and its street (12-digit division codes).
RANK_PREFIX = {RankLevel.COMMUNITY: 12, RankLevel.STREET: 9}


@dataclass
class Score:
    worker_id: int
    username: str
    display_name: str
    grid_code: str
    group_code: str
    counts: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    planned: int = 0
    done: int = 0
    activity: float = 0.0
    completion: float = 0.0
    total: float = 0.0
    rank: int = 0


def weights(db: Session) -> dict[str, float]:
    """Every weight in effect: the administrator's, else the default."""
    stored = dict(db.execute(select(Weight.key, Weight.weight)).all())
    return {key: float(stored.get(key, DEFAULT_WEIGHTS[key])) for key in WEIGHT_KEYS}


def set_weights(db: Session, actor: Actor, changes: Mapping[str, float]) -> dict[str, float]:
    """City administrators only (the weights score every worker of the city); every key
    must be known and every weight within bounds."""
    auth_service.require_role(actor, WEIGHT_ROLES)
    auth_service.require_city_admin(actor)
    for key, value in changes.items():
        if key not in WEIGHT_KEYS:
            raise Invalid("fieldwork_weight_unknown", key=key)
        if not 0 <= value <= MAX_WEIGHT:
            raise Invalid("fieldwork_weight_out_of_range", key=key, limit=f"{MAX_WEIGHT:g}")
    before = weights(db)
    for key, value in changes.items():
        row = db.get(Weight, key) or Weight(key=key)
        row.weight = float(value)
        row.updated_by = actor.username
        row.updated_at = utcnow()
        db.add(row)
    db.flush()
    after = weights(db)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.FIELDWORK_WEIGHTS,
        action="update",
        target="fieldwork_weights",
        before=before,
        after=after,
    )
    return after


def parse_month(text: str | None, *, today: date | None = None) -> date:
    """`2026-11` -> 2026-11-01; the current month (Asia/Shanghai) when not given."""
    if not text:
        return (today or utcnow().astimezone(DISPLAY_ZONE).date()).replace(day=1)
    try:
        return datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise Invalid("fieldwork_month_invalid", value=text) from None


def month_scores(
    db: Session,
    actor: Actor,
    *,
    month: date,
    level: RankLevel = RankLevel.COMMUNITY,
    today: date | None = None,
) -> list[Score]:
    """Scores of the grid workers inside the actor's area, ranked within `level`."""
    auth_service.require_role(actor, READ_ROLES)
    scores = _workers(db, actor, level)
    if not scores:
        return []
    ids = list(scores)
    _add_counts(db, scores, _record_window(month, ids))
    last_due = min(_month_end(month), today or utcnow().astimezone(DISPLAY_ZONE).date())
    _add_tasks(db, scores, month, last_due)
    _total(scores.values(), weights(db))
    return _ranked(list(scores.values()))


def _workers(db: Session, actor: Actor, level: RankLevel) -> dict[int, Score]:
    rows = db.execute(
        select(User.id, User.username, User.display_name, User.scope_code).where(
            User.role == Role.GRID_WORKER.value, in_scope(actor, User.scope_code)
        )
    )
    return {
        worker_id: Score(worker_id, username, name, code, code[: RANK_PREFIX[level]])
        for worker_id, username, name, code in rows
    }


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _record_window(month: date, worker_ids: list[int]) -> Select[int, str, bool, int]:
    start = datetime.combine(month, datetime.min.time(), DISPLAY_ZONE)
    end = start + timedelta(days=calendar.monthrange(month.year, month.month)[1])
    flagged = Record.id.in_(select(Flag.record_id))
    return (
        select(Record.worker_id, Record.task_type, flagged, func.count())
        .where(
            Record.worker_id.in_(worker_ids),
            Record.occurred_at >= start,
            Record.occurred_at < end,
        )
        .group_by(Record.worker_id, Record.task_type, flagged)
    )


def _add_counts(db: Session, scores: dict[int, Score], query: Select[int, str, bool, int]) -> None:
    for worker_id, task_type, is_flagged, count in db.execute(query):
        score = scores[worker_id]
        if is_flagged:
            score.flagged += count
        else:
            score.counts[task_type] = score.counts.get(task_type, 0) + count


def _add_tasks(db: Session, scores: dict[int, Score], month: date, last_due: date) -> None:
    """Planned tasks due this month up to today, and those done by an unflagged record."""
    counted = Task.record_id.is_not(None) & Task.record_id.not_in(select(Flag.record_id))
    rows = db.execute(
        select(Task.worker_id, counted, func.count())
        .where(Task.worker_id.in_(list(scores)), Task.due_on >= month, Task.due_on <= last_due)
        .group_by(Task.worker_id, counted)
    )
    for worker_id, is_done, count in rows:
        scores[worker_id].planned += count
        if is_done:
            scores[worker_id].done += count


def _total(scores: Iterable[Score], weight: Mapping[str, float]) -> None:
    for score in scores:
        score.activity = sum(weight[kind] * count for kind, count in score.counts.items())
        score.completion = score.done / score.planned if score.planned else 0.0
        score.total = round(score.activity + weight[PLAN_COMPLETION] * score.completion, 2)


def _ranked(scores: list[Score]) -> list[Score]:
    """Standard competition ranking (1, 2, 2, 4) within each community or street."""
    groups: dict[str, list[Score]] = defaultdict(list)
    for score in scores:
        groups[score.group_code].append(score)
    for members in groups.values():
        members.sort(key=lambda s: (-s.total, s.username))
        for position, score in enumerate(members, start=1):
            tied = position > 1 and members[position - 2].total == score.total
            score.rank = members[position - 2].rank if tied else position
    return sorted(scores, key=lambda s: (s.group_code, s.rank, s.username))
