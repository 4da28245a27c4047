"""The dispute state machine: the one door through the table of `disputes.states`.

No other code assigns a dispute's status. Every change locks the row, checks
the table, who may act and the guards, bumps the version conditionally (so of
two concurrent changes exactly one wins) and appends one history row in the
same transaction.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor, may_see
from civicgrid.disputes.models import Dispute, DisputeEvent, FollowUpVisit, ReferralTarget
from civicgrid.disputes.states import ALLOWED, MAY_ENTER, STATES, Need, Status
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.timeutil import utcnow

S = Status
NEED_ERRORS = {
    Need.MEDIATOR: "dispute_mediator_required",
    Need.REFERRAL_TARGET: "dispute_referral_target_required",
    Need.REASON: "dispute_failure_reason_required",
    Need.AGREEMENT: "dispute_agreement_required",
}
# Automatic assignment acts as the platform itself, named "system" in the history.
SYSTEM = Actor(kind="system", role=Role.ADMIN, scope_code=NATIONAL_SCOPE)


@dataclass(frozen=True)
class Change:
    """What the caller asks for, with the fields the target status needs."""

    to: Status
    note: str = ""
    mediator_id: int | None = None
    referral_target: ReferralTarget | None = None
    agreement: dict[str, Any] | None = None


def require_allowed(current: Status, to: Status) -> None:
    if to not in ALLOWED[current]:
        raise Conflict("dispute_transition_not_allowed", current=current.value, target=to.value)


def require_may_act(
    actor: Actor, dispute: Dispute, to: Status, *, mediator_id: int | None = None
) -> None:
    """`mediator_id` is the mediator an assignment names (see `_mediators_own`)."""
    if not may_see(actor, dispute.region_code):
        raise NotFound("dispute_not_found", number=dispute.number)
    if actor.role not in MAY_ENTER[to]:
        raise Forbidden("dispute_transition_role", target=to.value)
    if actor.role is Role.MEDIATOR and not _mediators_own(actor, dispute, to, mediator_id):
        raise Forbidden("dispute_not_your_mediation", number=dispute.number)


def _mediators_own(actor: Actor, dispute: Dispute, to: Status, mediator_id: int | None) -> bool:
    """A mediator moves the disputes assigned to them; an assignment they make names
    themselves, on a dispute nobody has yet (a walk-in no mediator's profile matched)."""
    if to is S.ASSIGNED:
        return mediator_id == actor.user_id and dispute.mediator_id is None
    return dispute.mediator_id == actor.user_id


def require_guards(db: Session, dispute: Dispute, change: Change) -> None:
    need = STATES[change.to].needs
    if need is not Need.NOTHING and not _carries(change, need):
        raise Invalid(NEED_ERRORS[need])
    if (
        change.to is S.CLOSED
        and Status(dispute.status) is S.AGREED
        and not _followed_up(db, dispute)
    ):
        raise Invalid("dispute_follow_up_required", number=dispute.number)


def _carries(change: Change, need: Need) -> bool:
    if need is Need.MEDIATOR:
        return change.mediator_id is not None
    if need is Need.REFERRAL_TARGET:
        return change.referral_target is not None
    if need is Need.REASON:
        return bool(change.note.strip())
    return bool(change.agreement)


def _followed_up(db: Session, dispute: Dispute) -> bool:
    return bool(db.scalar(select(exists().where(FollowUpVisit.dispute_id == dispute.id))))


def lock_dispute(db: Session, dispute_id: int) -> Dispute:
    """Read the row FOR UPDATE where the engine has it (PostgreSQL); SQLite serialises writers."""
    dispute = db.scalar(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if dispute is None:
        raise NotFound("dispute_not_found", number=str(dispute_id))
    return dispute


def transition(
    db: Session, *, dispute_id: int, change: Change, actor: Actor, now: datetime | None = None
) -> Dispute:
    """Move a dispute one step; the caller commits."""
    now = now or utcnow()
    dispute = lock_dispute(db, dispute_id)
    current = Status(dispute.status)
    require_may_act(actor, dispute, change.to, mediator_id=change.mediator_id)
    require_allowed(current, change.to)
    require_guards(db, dispute, change)
    _apply(db, dispute, current=current, change=change, now=now)
    record_event(
        db,
        dispute,
        from_status=current,
        to=change.to,
        actor=actor_label(actor),
        note=change.note,
        now=now,
    )
    return dispute


def _apply(
    db: Session, dispute: Dispute, *, current: Status, change: Change, now: datetime
) -> None:
    # The only assignment of status in the code base, conditional on the version read.
    moved = db.scalar(
        update(Dispute)
        .where(
            Dispute.id == dispute.id,
            Dispute.version == dispute.version,
            Dispute.status == current.value,
        )
        .values(
            status=change.to.value,
            version=dispute.version + 1,
            updated_at=now,
            **_fields(change, now),
        )
        .returning(Dispute)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if moved is None:
        raise Conflict("dispute_stale_transition", number=dispute.number)


def _fields(change: Change, now: datetime) -> dict[str, Any]:
    """The columns a status brings with it: the mediator, the referral, the agreement."""
    if change.to is S.ASSIGNED:
        return {"mediator_id": change.mediator_id, "assignment_reason": change.note}
    if change.to is S.REFERRED and change.referral_target is not None:
        return {"referral_target": change.referral_target.value}
    if change.to is S.AGREED and change.agreement:
        return change.agreement
    if change.to is S.CLOSED:
        return {"closed_at": now}
    return {}


def actor_label(actor: Actor) -> str:
    if actor.kind == "user":
        return f"user:{actor.username}"
    return actor.kind


def record_event(
    db: Session,
    dispute: Dispute,
    *,
    from_status: Status | None,
    to: Status,
    actor: str,
    note: str,
    now: datetime,
) -> DisputeEvent:
    """Append one history row after the dispute's last one."""
    last = db.scalar(
        select(DisputeEvent.sequence)
        .where(DisputeEvent.dispute_id == dispute.id)
        .order_by(DisputeEvent.sequence.desc())
        .limit(1)
    )
    event = DisputeEvent(
        dispute_id=dispute.id,
        sequence=(last or 0) + 1,
        from_status=from_status.value if from_status else None,
        to_status=to.value,
        actor=actor,
        note=note,
        created_at=now,
    )
    db.add(event)
    return event
