"""The case state machine: the one door through the table of `cases.states`.

No other code assigns a case's status. Every change locks the row, checks the
table, the actor's role and jurisdiction and the guards, appends one
hash-chained action in the same transaction, and bumps the version so that of
two concurrent changes exactly one wins.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from civicgrid.audit.chain import GENESIS_HASH, link_hash, stamp
from civicgrid.audit.log import author_label as actor_label
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, may_see
from civicgrid.cases import notices
from civicgrid.cases.models import Case, CaseAction, CaseHolding, CasePhoto
from civicgrid.cases.roles import FIELD_HANDLERS, HANDLERS
from civicgrid.cases.sla import stage_fields
from civicgrid.cases.states import (
    ALLOWED,
    HANDLING,
    MAY_ENTER,
    NEEDS_ACCOUNT,
    NEEDS_NOTE,
    STATES,
    Status,
)
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.timeutil import utcnow

S = Status


@dataclass(frozen=True)
class Change:
    """What the caller asks for; `version` is what they saw, for optimistic locking."""

    to: Status
    note: str = ""
    version: int | None = None
    approve: bool | None = None
    department_id: int | None = None
    merge_into_id: int | None = None


def require_allowed(current: Status, to: Status) -> None:
    if to not in ALLOWED[current]:
        raise Conflict("transition_not_allowed", current=current.value, target=to.value)


def require_in_jurisdiction(actor: Actor, case: Case) -> None:
    if not may_see(actor, case.region_code):
        raise NotFound("case_not_found", number=case.number)


def require_may_act(actor: Actor, case: Case, to: Status) -> None:
    if actor.role not in MAY_ENTER[to]:
        raise Forbidden("transition_role", target=to.value)
    if actor.role is Role.DEPARTMENT_HANDLER and case.department_id != actor.department_id:
        raise Forbidden("transition_department")
    if actor.role in FIELD_HANDLERS and to in HANDLING and not _field_may_handle(case):
        raise Forbidden("transition_department")
    if to is S.CLAIMED and Status(case.status) is S.DISPATCHED and actor.role not in HANDLERS:
        # 签收 is the holder's own word that it has the case; the centre claims only in
        # deciding an extension or taking a reopened case back into handling.
        raise Forbidden("transition_claim_by_holder")


def moves_for(actor: Actor, case: Case) -> list[Status]:
    """The statuses this actor may move this case into now, for the buttons a page draws.

    The same table and role checks as `transition`; guards that depend on what
    the caller will send (a note, evidence, a department) are left to the move itself.
    """
    if not may_see(actor, case.region_code):
        return []
    possible: list[Status] = []
    allowed = ALLOWED[Status(case.status)]
    for target in (status for status in Status if status in allowed):
        try:
            require_may_act(actor, case, target)
        except Forbidden:
            continue
        possible.append(target)
    return possible


def _field_may_handle(case: Case) -> bool:
    """Grid and community staff handle a case no department holds, or one routing let them."""
    return case.department_id is None or case.grid_may_handle


def require_guards(db: Session, case: Case, change: Change) -> None:
    if change.to in NEEDS_NOTE and not change.note.strip():
        raise Invalid("transition_note_required", target=change.to.value)
    if change.to in NEEDS_ACCOUNT and not change.note.strip() and not _has_evidence(db, case):
        raise Invalid("resolution_account_required", target=change.to.value)
    deciding = Status(case.status) is S.EXTENSION_REQUESTED
    if deciding and change.approve is None:
        raise Invalid("extension_decision_required")
    if change.to is S.DISPATCHED and change.department_id is None:
        raise Invalid("dispatch_target_required")
    if change.to is S.MERGED and change.merge_into_id is None:
        raise Invalid("merge_target_required")


def _has_evidence(db: Session, case: Case) -> bool:
    """Whether an evidence photo accounts for the fix (办结凭证).

    After a rework only evidence newer than the reopening counts: the older showed a failed fix.
    """
    reopened = (
        select(func.max(CaseAction.created_at))
        .where(CaseAction.case_id == case.id, CaseAction.to_status == S.REOPENED.value)
        .scalar_subquery()
    )
    photo = select(CasePhoto.id).where(
        CasePhoto.case_id == case.id,
        CasePhoto.purpose == "evidence",
        or_(reopened.is_(None), CasePhoto.created_at > reopened),
    )
    return db.scalar(photo.limit(1)) is not None


def lock_case(db: Session, case_id: int) -> Case:
    """Read the row FOR UPDATE where the engine has it (PostgreSQL); SQLite serialises writers."""
    case = db.scalar(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if case is None:
        raise NotFound("case_not_found", number=str(case_id))
    return case


def transition(
    db: Session, *, case_id: int, change: Change, actor: Actor, now: datetime | None = None
) -> Case:
    """Move a case one step; the caller commits."""
    now = now or utcnow()
    case = lock_case(db, case_id)
    current = Status(case.status)
    require_in_jurisdiction(actor, case)
    require_allowed(current, change.to)
    require_may_act(actor, case, change.to)
    require_guards(db, case, change)
    expected = case.version if change.version is None else change.version
    ended_stage_due = case.stage_due_at
    _apply(db, case, current=current, change=change, expected=expected, now=now)
    record_action(
        db,
        case,
        from_status=current,
        to=change.to,
        actor=actor_label(actor),
        note=_note(change),
        now=now,
        stage_due_at=ended_stage_due,
    )
    if change.to is S.DISPATCHED and change.department_id:
        hold(db, case, change.department_id, now)
    notices.enqueue_case_event(db, case, STATES[change.to].event, now)
    return case


def hold(db: Session, case: Case, department_id: int, now: datetime) -> None:
    """Record that a department holds the case: its handlers read it from now on (`access`)."""
    held = select(CaseHolding.id).where(
        CaseHolding.case_id == case.id, CaseHolding.department_id == department_id
    )
    if db.scalar(held) is None:
        db.add(CaseHolding(case_id=case.id, department_id=department_id, since=now))


def _apply(
    db: Session, case: Case, *, current: Status, change: Change, expected: int, now: datetime
) -> None:
    # The only assignment of status in the code base, made conditional on the version
    # the caller saw: a concurrent change that got there first leaves 0 rows to match.
    # RETURNING reloads the row in the same statement (SQLite ≥ 3.35, PostgreSQL).
    moved = db.scalar(
        update(Case)
        .where(Case.id == case.id, Case.version == expected, Case.status == current.value)
        .values(
            status=change.to.value,
            version=expected + 1,
            updated_at=now,
            **_fields(change),
            **stage_fields(db, case, change.to.value, now, approve=change.approve),
        )
        .returning(Case)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if moved is None:
        raise Conflict("stale_transition", number=case.number)


def _fields(change: Change) -> dict[str, Any]:
    """Dispatching names the department that now holds the case, merging the surviving case.

    Every rework is counted: resident feedback reopens a case only below a limit.
    """
    if change.to is S.DISPATCHED and change.department_id:
        return {"department_id": change.department_id}
    if change.to is S.MERGED:
        return {"merged_into_id": change.merge_into_id}
    if change.to is S.REOPENED:
        return {"reopen_count": Case.reopen_count + 1}
    return {}


def _note(change: Change) -> str:
    if change.approve is None:
        return change.note
    return json.dumps({"approve": change.approve, "note": change.note}, ensure_ascii=False)


def record_action(
    db: Session,
    case: Case,
    *,
    from_status: Status,
    to: Status,
    actor: str,
    note: str,
    now: datetime,
    stage_due_at: datetime | None = None,
) -> CaseAction:
    """Append one history row chained to the case's previous one (a report's first row
    is `record_reports`).

    `stage_due_at` is the deadline of the stage this action ends, kept so that
    on-time figures never depend on a deadline recomputed later.
    """
    last = _last_action(db, case)
    sequence = 1 if last is None else last.sequence + 1
    previous = GENESIS_HASH if last is None else last.hash
    action = CaseAction(
        case_id=case.id,
        sequence=sequence,
        from_status=from_status.value,
        to_status=to.value,
        actor=actor,
        note=note,
        created_at=now,
        stage_due_at=stage_due_at,
        previous_hash=previous,
    )
    action.hash = action_hash(action, case.number)
    db.add(action)
    return action


def record_reports(db: Session, cases: Sequence[Case], *, actor: str, now: datetime) -> None:
    """The first history row of each of many just-flushed cases, in one statement.

    The same row `record_action` appends for a report (sequence 1, chained to
    the genesis hash), written as one executemany of plain rows: a batch of
    500 as ORM objects cost a unit of work per row and, on PostgreSQL, a
    RETURNING of every id parsed as one giant statement.
    """
    rows = []
    for case in cases:
        content = {
            "sequence": 1,
            "from_status": None,
            "to_status": S.REPORTED.value,
            "actor": actor,
            "note": "",
            "created_at": now,
            "stage_due_at": None,
            "previous_hash": GENESIS_HASH,
        }
        rows.append({**content, "case_id": case.id, "hash": _hash_of(content, case.number)})
    if rows:
        db.execute(insert(cast(Table, CaseAction.__table__)), rows)


def _last_action(db: Session, case: Case) -> CaseAction | None:
    return db.scalar(
        select(CaseAction)
        .where(CaseAction.case_id == case.id)
        .order_by(CaseAction.sequence.desc())
        .limit(1)
    )


def action_hash(action: CaseAction, case_number: str) -> str:
    return _hash_of(
        {column: getattr(action, column) for column in _HASHED},
        case_number,
    )


# What a history row's hash covers besides the case number, in the order it is hashed.
_HASHED = (
    "sequence",
    "from_status",
    "to_status",
    "actor",
    "note",
    "created_at",
    "stage_due_at",
    "previous_hash",
)


def _hash_of(row: Mapping[str, Any], case_number: str) -> str:
    return link_hash(
        [
            case_number,
            row["sequence"],
            row["from_status"],
            row["to_status"],
            row["actor"],
            row["note"],
            stamp(row["created_at"]),
            stamp(row["stage_due_at"]) if row["stage_due_at"] else None,
        ],
        row["previous_hash"],
    )
