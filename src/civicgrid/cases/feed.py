"""Cases as the analysis archive reads them: what happened where, never who reported it."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case, CaseAction


@dataclass(frozen=True)
class CaseFact:
    """The columns of a case that carry no personal data (no text, no reporter, no address).

    The point is handed over only to be coarsened: the archive keeps its H3 cell and the
    compound it falls in, never the coordinates."""

    id: int
    created_at: datetime
    region_code: str
    grid_code: str | None
    category_code: str | None
    channel: str
    status: str
    priority: str
    lng: float | None
    lat: float | None


def cases_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[CaseFact]:
    """The next cases by id past a watermark, stopping at the first one newer than `until`.

    Stopping there (rather than skipping it) keeps the id watermark gap-free: a case
    is archived only once everything before it has settled.
    """
    rows = db.execute(
        select(
            Case.id,
            Case.created_at,
            Case.region_code,
            Case.grid_code,
            Case.category_code,
            Case.channel,
            Case.status,
            Case.priority,
            Case.lng,
            Case.lat,
        )
        .where(Case.id > after_id)
        .order_by(Case.id)
        .limit(limit)
    ).all()
    facts: list[CaseFact] = []
    for row in rows:
        if row.created_at > until:
            break
        facts.append(CaseFact(**row._asdict()))
    return facts


@dataclass(frozen=True)
class ActionFact:
    """A case's transition: from and to which status, when, and where its case is; no note,
    no actor."""

    id: int
    created_at: datetime
    region_code: str
    grid_code: str | None
    category_code: str | None
    from_status: str | None
    to_status: str


def actions_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[ActionFact]:
    """The next case actions by id past a watermark, stopping at the first newer than `until`
    (as `cases_after` does)."""
    rows = db.execute(
        select(
            CaseAction.id,
            CaseAction.created_at,
            Case.region_code,
            Case.grid_code,
            Case.category_code,
            CaseAction.from_status,
            CaseAction.to_status,
        )
        .join(Case, Case.id == CaseAction.case_id)
        .where(CaseAction.id > after_id)
        .order_by(CaseAction.id)
        .limit(limit)
    ).all()
    facts: list[ActionFact] = []
    for row in rows:
        if row.created_at > until:
            break
        facts.append(ActionFact(*row))
    return facts
