"""Alarms and SOS calls as the analysis archive reads them: type, place, time and outcome,
never the detail, the caller or the place's name. The point comes along only for the
archiver to cut it to a hexagon and a compound (`archive.events`); it is never stored."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Alarm, Device, SosCall


@dataclass(frozen=True)
class AlarmFact:
    """The columns of an alarm that say what happened where (no detail text, no attributes);
    the point is its device's."""

    id: int
    occurred_at: datetime
    region_code: str
    alarm_type: str
    outcome: str
    lng: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class SosFact:
    """An SOS call's when, where and whose kind of press (`source`: worker or device), and
    the level it was raised to; no user, device, place name or case number."""

    id: int
    raised_at: datetime
    region_code: str
    source: str
    level: str
    lng: float | None
    lat: float | None


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
            Device.lng,
            Device.lat,
            Alarm.received_at,
        )
        .join(Device, Device.id == Alarm.device_id)
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


def sos_after(db: Session, *, after_id: int, until: datetime, limit: int) -> list[SosFact]:
    """The next SOS calls by id past a watermark, stopping at the first raised after
    `until` (as `alarms_after` does)."""
    rows = db.execute(
        select(
            SosCall.id,
            SosCall.raised_at,
            SosCall.region_code,
            SosCall.source,
            SosCall.level,
            SosCall.lng,
            SosCall.lat,
        )
        .where(SosCall.id > after_id)
        .order_by(SosCall.id)
        .limit(limit)
    ).all()
    facts: list[SosFact] = []
    for row in rows:
        if row.raised_at > until:
            break
        facts.append(SosFact(*row))
    return facts
