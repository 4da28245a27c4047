"""Disputes as the analysis archive reads them: kind, place and time, never the parties."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.disputes.models import Dispute


@dataclass(frozen=True)
class DisputeFact:
    """The columns of a dispute that carry no personal data (no parties, text or amounts)."""

    id: int
    created_at: datetime
    region_code: str
    kind: str
    source: str
    status: str


def disputes_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[DisputeFact]:
    """The next disputes by id past a watermark, stopping at the first one newer than `until`
    (as `cases.feed.cases_after` does, so the watermark leaves no gap)."""
    rows = db.execute(
        select(
            Dispute.id,
            Dispute.created_at,
            Dispute.region_code,
            Dispute.kind,
            Dispute.source,
            Dispute.status,
        )
        .where(Dispute.id > after_id)
        .order_by(Dispute.id)
        .limit(limit)
    ).all()
    facts: list[DisputeFact] = []
    for row in rows:
        if row.created_at > until:
            break
        facts.append(DisputeFact(*row))
    return facts
