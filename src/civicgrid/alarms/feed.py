"""Alarms as the analysis archive reads them: type, place, time and outcome, never the detail."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Alarm


@dataclass(frozen=True)
class AlarmFact:
    """The columns of an alarm that say what happened where (no detail text, no attributes)."""

    id: int
    occurred_at: datetime
    region_code: str
    alarm_type: str
    outcome: str


def alarms_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[AlarmFact]:
    """The next alarms by id past a watermark, stopping at the first received after `until`
    (as `cases.feed.cases_after` does, so the watermark leaves no gap)."""
    rows = db.execute(
        select(
            Alarm.id,
            Alarm.occurred_at,
            Alarm.region_code,
            Alarm.alarm_type,
            Alarm.outcome,
            Alarm.received_at,
        )
        .where(Alarm.id > after_id)
        .order_by(Alarm.id)
        .limit(limit)
    ).all()
    facts: list[AlarmFact] = []
    for row in rows:
        if row.received_at > until:
            break
        facts.append(AlarmFact(*row[:-1]))
    return facts
