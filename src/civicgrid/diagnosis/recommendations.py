"""Recommendations that feed field work (网格力量跟着问题走): every grid × class a test
flagged proposes raising the visit and patrol frequency of the grid's households and
places; a community head accepts it (the grid's plans change, through
`fieldwork.plans.raise_frequency`, the one place that rule lives) or declines it with a
reason. Decisions are kept when a month's report is produced again."""

from datetime import datetime
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.diagnosis.definition import parse_month
from civicgrid.diagnosis.models import Recommendation
from civicgrid.diagnosis.roles import RECOMMENDATION_DECIDERS, RECOMMENDATION_READERS
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.fieldwork.plans import raise_frequency
from civicgrid.timeutil import utcnow

REASON_LIMIT = 500


class Status(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def propose(db: Session, month: str, cells: pa.Table) -> int:
    """One proposal per flagged cell of the month, in place of the month's undecided ones;
    a cell already decided keeps its decision. Returns how many were proposed."""
    db.execute(
        delete(Recommendation).where(
            Recommendation.month == month, Recommendation.status == Status.PROPOSED.value
        )
    )
    query = select(Recommendation.grid_code, Recommendation.risk_class).where(
        Recommendation.month == month
    )
    decided = {(grid, risk) for grid, risk in db.execute(query)}
    flagged = cells.filter(pc.or_(cells.column("anomaly"), cells.column("peer_anomaly")))
    rows = [
        {
            "month": month,
            "grid_code": cell["grid_code"],
            "risk_class": cell["risk_class"],
            "flagged_by": _flagged_by(cell["anomaly"], cell["peer_anomaly"]),
            "q_value": min(cell["q_value"], cell["peer_q_value"]),
            "status": Status.PROPOSED.value,
            "reason": "",
            "plans_changed": 0,
        }
        for cell in flagged.select(
            ["grid_code", "risk_class", "anomaly", "peer_anomaly", "q_value", "peer_q_value"]
        ).to_pylist()
        if (cell["grid_code"], cell["risk_class"]) not in decided
    ]
    if rows:
        db.execute(insert(Recommendation), rows)
    return len(rows)


def _flagged_by(own: bool, peer: bool) -> str:
    return "both" if own and peer else "own" if own else "peer"


def for_month(db: Session, actor: Actor, *, month: str | None) -> list[Recommendation]:
    """The month's recommendations for grids inside the actor's jurisdiction."""
    require_role(actor, RECOMMENDATION_READERS)
    query = (
        select(Recommendation)
        .where(
            Recommendation.month == parse_month(month), in_scope(actor, Recommendation.grid_code)
        )
        .order_by(Recommendation.grid_code, Recommendation.risk_class)
    )
    return list(db.scalars(query))


def accept(
    db: Session, actor: Actor, *, recommendation_id: int, now: datetime | None = None
) -> Recommendation:
    """Raise the grid's visit and patrol plans one cadence up; the caller commits."""
    found = _undecided(db, actor, recommendation_id)
    why = f"analysis_recommendation:{found.id}:{found.month}:{found.risk_class}"
    changed = raise_frequency(db, actor, grid_code=found.grid_code, why=why)
    return _decide(found, actor, Status.ACCEPTED, reason="", plans_changed=len(changed), now=now)


def decline(
    db: Session,
    actor: Actor,
    *,
    recommendation_id: int,
    reason: str,
    now: datetime | None = None,
) -> Recommendation:
    """Keep the plans as they are; the reason is required, so the decision explains itself."""
    found = _undecided(db, actor, recommendation_id)
    text = reason.strip()
    if not text:
        raise Invalid("analysis_recommendation_reason_required", field="reason")
    if len(text) > REASON_LIMIT:
        raise Invalid("analysis_recommendation_reason_too_long", field="reason", limit=REASON_LIMIT)
    return _decide(found, actor, Status.DECLINED, reason=text, plans_changed=0, now=now)


def _undecided(db: Session, actor: Actor, recommendation_id: int) -> Recommendation:
    require_role(actor, RECOMMENDATION_DECIDERS)
    found = db.scalar(
        select(Recommendation)
        .where(Recommendation.id == recommendation_id, in_scope(actor, Recommendation.grid_code))
        # Two heads accepting at once: the second waits, then finds it decided (409).
        .with_for_update()
    )
    if found is None:
        raise NotFound("analysis_recommendation_not_found", id=recommendation_id)
    if found.status != Status.PROPOSED.value:
        raise Conflict("analysis_recommendation_decided", id=recommendation_id, status=found.status)
    return found


def _decide(
    found: Recommendation,
    actor: Actor,
    status: Status,
    *,
    reason: str,
    plans_changed: int,
    now: datetime | None,
) -> Recommendation:
    found.status = status.value
    found.reason = reason
    found.plans_changed = plans_changed
    found.decided_by = actor.username
    found.decided_at = now or utcnow()
    return found
