"""Device health for the command centre: online, offline and faulty devices per district,
and the devices flagged for crying wolf.

A device is *flagged* when more than `false_alarm_limit` of its alarms were dismissed
as false within the last `false_alarm_days` (settings): the flag follows the count,
so it lifts by itself once the device behaves for a period. A device is *faulty*
when it is flagged or has reported a fault of its own (`FAULT_ALARM_TYPES`) in that
period, whatever its status.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Alarm, Device, DeviceStatus
from civicgrid.alarms.roles import ALARM_READERS, FLAGGED_READERS
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.geo.models import Region
from civicgrid.timeutil import utcnow

# Alarm types in which a device reports a fault of its own rather than an event it saw.
FAULT_ALARM_TYPES = frozenset({"video_loss", "low_battery"})
DISTRICT_DIGITS = 6


@dataclass(frozen=True)
class FalseAlarmTerms:
    """How many false alarms in how long flag a device (settings.false_alarm_*)."""

    limit: int
    days: float

    def since(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)


@dataclass
class DistrictHealth:
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    faulty: int = 0
    flagged: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _false_alarms(since: datetime) -> ColumnElement[int]:
    """A device's false alarms since the moment, as a correlated count."""
    return (
        select(func.count(Alarm.id))
        .where(Alarm.device_id == Device.id, Alarm.dismissed_at >= since)
        .scalar_subquery()
    )


def flagged_devices(
    db: Session, actor: Actor, terms: FalseAlarmTerms, *, now: datetime | None = None
) -> list[tuple[Device, int]]:
    """The area's devices flagged for false alarms, with their count, most first.

    A department handler sees only the devices its department owns: the ones it must
    look at (a dirty lens, a badly placed smoke sensor).
    """
    require_role(actor, FLAGGED_READERS)
    count = _false_alarms(terms.since(now or utcnow())).label("false_alarms")
    query = select(Device, count).where(in_scope(actor, Device.region_code), count > terms.limit)
    if actor.role is Role.DEPARTMENT_HANDLER:
        if actor.department_id is None:
            return []
        query = query.where(Device.department_id == actor.department_id)
    rows = db.execute(query.order_by(count.desc(), Device.code))
    return [(device, int(found)) for device, found in rows]


def health_by_district(
    db: Session, actor: Actor, terms: FalseAlarmTerms, *, now: datetime | None = None
) -> list[DistrictHealth]:
    """Each district of the area with its devices by status, and how many are faulty."""
    require_role(actor, ALARM_READERS)
    since = terms.since(now or utcnow())
    district = func.substr(Device.region_code, 1, DISTRICT_DIGITS)
    found: dict[str, DistrictHealth] = {}
    counted = db.execute(
        select(district, Device.status, func.count(Device.id))
        .where(in_scope(actor, Device.region_code))
        .group_by(district, Device.status)
    )
    for code, status, number in counted:
        found.setdefault(code, DistrictHealth(code, code)).counts[status] = int(number)
    for code, flagged, faulty in _faults(db, actor, terms, since):
        found[code].flagged += flagged
        found[code].faulty += faulty
    names = dict(db.execute(select(Region.code, Region.name).where(Region.code.in_(found))).all())
    for code, health in found.items():
        health.name = names.get(code, code)
        for status in DeviceStatus:
            health.counts.setdefault(status.value, 0)
    return [found[code] for code in sorted(found)]


def _faults(
    db: Session, actor: Actor, terms: FalseAlarmTerms, since: datetime
) -> list[tuple[str, int, int]]:
    """Per district: devices flagged, and devices faulty (flagged or reporting a fault)."""
    false_alarms = _false_alarms(since)
    reported_fault = (
        select(Alarm.id)
        .where(
            Alarm.device_id == Device.id,
            Alarm.alarm_type.in_(FAULT_ALARM_TYPES),
            Alarm.received_at >= since,
        )
        .exists()
    )
    rows = db.execute(
        select(Device.region_code, false_alarms > terms.limit, reported_fault).where(
            in_scope(actor, Device.region_code),
            (false_alarms > terms.limit) | reported_fault,
        )
    )
    tally: dict[str, list[int]] = {}
    for region_code, flagged, _reported in rows:
        counts = tally.setdefault(region_code[:DISTRICT_DIGITS], [0, 0])
        counts[0] += int(bool(flagged))
        counts[1] += 1
    return [(code, flagged, faulty) for code, (flagged, faulty) in tally.items()]
