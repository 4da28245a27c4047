"""Imported records as the analysis archive reads them, each with its source's kind."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.sources.models import ExternalRecord, ExternalSource


@dataclass(frozen=True)
class RecordFact:
    """A stored record holds no personal data to begin with; the fact is all of it but ids."""

    id: int
    occurred_at: datetime
    region_code: str
    grid_code: str | None
    risk_class: str
    kind: str
    status: str
    h3_cell: str | None
    compound_id: int | None


def records_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[RecordFact]:
    """The next records by id past a watermark, stopping at the first imported after `until`
    (as `cases.feed.cases_after` does, so the watermark leaves no gap)."""
    rows = db.execute(
        select(
            ExternalRecord.id,
            ExternalRecord.occurred_at,
            ExternalRecord.region_code,
            ExternalRecord.grid_code,
            ExternalRecord.risk_class,
            ExternalSource.kind,
            ExternalRecord.status,
            ExternalRecord.h3_cell,
            ExternalRecord.compound_id,
            ExternalRecord.imported_at,
        )
        .join(ExternalSource, ExternalSource.id == ExternalRecord.source_id)
        .where(ExternalRecord.id > after_id)
        .order_by(ExternalRecord.id)
        .limit(limit)
    ).all()
    facts: list[RecordFact] = []
    for row in rows:
        if row.imported_at > until:
            break
        facts.append(
            RecordFact(
                id=row.id,
                occurred_at=row.occurred_at,
                region_code=row.region_code,
                grid_code=row.grid_code,
                risk_class=row.risk_class,
                kind=row.kind,
                status=row.status,
                h3_cell=row.h3_cell,
                compound_id=row.compound_id,
            )
        )
    return facts
