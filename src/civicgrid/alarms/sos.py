"""One-click SOS (一键报警): a press becomes an urgent case, an alert and a clock.

A press comes from a grid worker's phone (`press_from_worker`) or from a key
place's SOS button (a device posting an `sos` alarm, `press_from_device`). Each
is stored once by its press key, however often a phone's outbox or a button
sends it. The press opens an urgent case through the ordinary intake, then
alerts in one transaction: the district centre's dispatchers and leaders, the
police department (the department kind `sos_police_department_kind`, the
district's if it has one, else the city's) and the nearest on-duty grid workers.

Nobody acknowledging within `sos_ack_minutes` makes the worker escalate it
(`escalate_due`) to the city centre, whose dispatchers and leaders are alerted
in turn; every step is an `SosEvent` with its reason, which the live stream
sends to the command centres that see the place.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Device, SosCall, SosEvent, SosLevel
from civicgrid.alarms.roles import SOS_PRESSERS, SOS_WATCHERS
from civicgrid.auth.models import Department, Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see, within
from civicgrid.auth.service import require_role
from civicgrid.cases import live
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.divisions import significant_prefix
from civicgrid.errors import Invalid, NotFound
from civicgrid.fieldwork.duty import STALE_AFTER
from civicgrid.fieldwork.models import DutyPosition
from civicgrid.geo.distance import great_circle_m
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.masking import mask_personal_data
from civicgrid.notify import service as notify
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc

SOS_EVENT = "alarms.sos"
# The alarm type of a key place's SOS button (data/alarm_rules.json).
SOS_TYPE = "sos"
RAISED, ESCALATED, ACKNOWLEDGED = "raised", "escalated", "acknowledged"
WORKER, DEVICE = "worker", "device"
MAX_OPEN = 100


@dataclass(frozen=True)
class Press:
    """What a press says: where (if the phone knows) and the place's name."""

    lng: float | None = None
    lat: float | None = None
    place: str = ""


@dataclass(frozen=True)
class Pressed:
    call: SosCall
    new: bool


def centre_of(region_code: str, level: SosLevel) -> str:
    """The district (first six digits) or city (first four, then 00) a place belongs to."""
    return region_code[:6] if level is SosLevel.DISTRICT else region_code[:4] + "00"


def press_from_worker(
    db: Session, index: GridIndex, actor: Actor, *, key: str | None, press: Press, now: datetime
) -> Pressed:
    """A grid worker's SOS, stored once per (worker, idempotency key).

    Opening the case goes through case intake, which commits (see
    `cases.service.report_cases`); the call, its alerts and its event are left
    to the caller's commit.
    """
    require_role(actor, SOS_PRESSERS)
    if key is None or not key.strip():
        raise Invalid("sos_key_required")
    press_key = f"worker:{actor.user_id}:{key.strip()}"
    earlier = _stored(db, press_key)
    if earlier is not None:
        return Pressed(earlier, new=False)
    lng, lat = press.lng, press.lat
    if lng is None or lat is None:
        lng, lat = _last_position(db, actor, now)
    who = actor.display_name or actor.username
    place = press.place.strip()
    intake = Intake(
        description=translate("sos.case_worker", DEFAULT_LOCALE, worker=who, place=place or "-"),
        channel="grid_worker",
        lng=lng,
        lat=lat,
        address=place or translate("sos.place_unknown", DEFAULT_LOCALE, worker=who),
        priority="urgent",
    )
    case, _ = report_case(
        db, index, intake=intake, actor=actor, idempotency_key=f"sos:{press_key}", now=now
    )
    call = SosCall(source=WORKER, user_id=actor.user_id, place=place or who)
    return _raise(db, call, press_key=press_key, case=case, lng=lng, lat=lat, now=now)


def press_from_device(
    db: Session, device: Device, *, event_id: str, case_number: str, now: datetime
) -> Pressed:
    """An SOS button's press, taken by alarm intake after its case was opened or joined.

    A press on a case that already has an open call (a second press in the rule's
    window) joins that call rather than raising another.
    """
    press_key = f"device:{device.id}:{event_id}"
    earlier = _stored(db, press_key) or db.scalar(
        select(SosCall).where(SosCall.case_number == case_number, SosCall.acknowledged_at.is_(None))
    )
    if earlier is not None:
        return Pressed(earlier, new=False)
    case = db.scalar(select(Case).where(Case.number == case_number))
    if case is None:
        raise NotFound("case_not_found", number=case_number)
    call = SosCall(source=DEVICE, device_id=device.id, place=device.address or device.name)
    return _raise(db, call, press_key=press_key, case=case, lng=device.lng, lat=device.lat, now=now)


def _stored(db: Session, press_key: str) -> SosCall | None:
    return db.scalar(select(SosCall).where(SosCall.press_key == press_key))


def _last_position(db: Session, actor: Actor, now: datetime) -> tuple[float | None, float | None]:
    """The worker's on-duty position, when the phone sent none with the press."""
    position = db.get(DutyPosition, actor.user_id)
    if position is None or as_utc(position.reported_at) < as_utc(now) - STALE_AFTER:
        return None, None
    return position.lng, position.lat


def _raise(
    db: Session,
    call: SosCall,
    *,
    press_key: str,
    case: Case,
    lng: float | None,
    lat: float | None,
    now: datetime,
) -> Pressed:
    call.press_key = press_key
    call.case_number = case.number
    call.region_code = case.region_code
    call.lng, call.lat = lng, lat
    call.level = SosLevel.DISTRICT.value
    call.centre_code = centre_of(case.region_code, SosLevel.DISTRICT)
    call.raised_at = as_utc(now)
    call.ack_due_at = as_utc(now) + _ack_window()
    call.place = mask_personal_data(call.place)[:255]
    try:
        with db.begin_nested():
            db.add(call)
    except IntegrityError:
        # The same press arrived twice at once (a retry racing the first): the first stored it.
        stored = _stored(db, press_key)
        if stored is None:
            raise
        return Pressed(stored, new=False)
    users = _centre_staff(db, call.centre_code) + _police(db, call.region_code)
    users += [user_id for user_id in _nearest_workers(db, call, now) if user_id != call.user_id]
    call.notified = sorted(set(users))
    _alert(db, call, user_ids=call.notified, reason="sos.reason.raised", now=now)
    db.add(SosEvent(sos_id=call.id, kind=RAISED, level=call.level, reason="", at=as_utc(now)))
    db.flush()
    return Pressed(call, new=True)


def _ack_window() -> timedelta:
    return timedelta(minutes=get_settings().sos_ack_minutes)


def _centre_staff(db: Session, centre_code: str) -> list[int]:
    """The dispatchers and leaders sitting at one centre (their scope is exactly that region)."""
    query = select(User.id).where(
        User.role.in_([Role.DISPATCHER.value, Role.LEADER.value]),
        User.scope_code == centre_code,
        User.active,
    )
    return list(db.scalars(query))


def _police(db: Session, region_code: str) -> list[int]:
    """The handlers of the police department of the district, else of the city."""
    kind = get_settings().sos_police_department_kind
    for level in (SosLevel.DISTRICT, SosLevel.CITY):
        found = list(
            db.scalars(
                select(User.id)
                .join(Department, Department.id == User.department_id)
                .where(
                    Department.kind == kind,
                    Department.region_code == centre_of(region_code, level),
                    User.active,
                )
            )
        )
        if found:
            return found
    return []


def _nearest_workers(db: Session, call: SosCall, now: datetime) -> list[int]:
    """The on-duty grid workers of the district nearest the press (all of them, unlocated)."""
    count = get_settings().sos_nearest_workers
    positions = list(
        db.scalars(
            select(DutyPosition).where(
                within(DutyPosition.region_code, significant_prefix(call.centre_code)),
                DutyPosition.reported_at >= as_utc(now) - STALE_AFTER,
            )
        )
    )
    if call.lng is not None and call.lat is not None:
        lng, lat = call.lng, call.lat
        positions.sort(key=lambda p: great_circle_m(lng, lat, p.lng, p.lat))
    return [position.user_id for position in positions[:count]]


def _alert(db: Session, call: SosCall, *, user_ids: list[int], reason: str, now: datetime) -> None:
    locale = get_settings().default_locale
    notify.enqueue_notice(
        db,
        event=SOS_EVENT,
        user_ids=user_ids,
        title=translate("sos.notice_title", locale, place=call.place, number=call.case_number),
        body=translate(reason, locale, minutes=_minutes()),
        now=now,
    )


def _minutes() -> str:
    return f"{get_settings().sos_ack_minutes:g}"


def escalate_due(db: Session, *, now: datetime) -> int:
    """Every district SOS nobody acknowledged in time goes to the city centre; returns how many.

    The level moves by a conditional update, so two workers escalate a call once.
    """
    due = list(
        db.scalars(
            select(SosCall).where(
                SosCall.acknowledged_at.is_(None),
                SosCall.level == SosLevel.DISTRICT.value,
                SosCall.ack_due_at <= as_utc(now),
            )
        )
    )
    escalated = 0
    for call in due:
        city = centre_of(call.region_code, SosLevel.CITY)
        moved = db.execute(
            update(SosCall)
            .where(SosCall.id == call.id, SosCall.level == SosLevel.DISTRICT.value)
            .values(level=SosLevel.CITY.value, centre_code=city, ack_due_at=None)
            .execution_options(synchronize_session=False)
        )
        if not getattr(moved, "rowcount", 0):
            continue
        db.refresh(call)
        reason = translate("sos.reason.escalated", DEFAULT_LOCALE, minutes=_minutes())
        users = _centre_staff(db, city)
        call.notified = sorted(set(call.notified) | set(users))
        _alert(db, call, user_ids=users, reason="sos.reason.escalated", now=now)
        db.add(
            SosEvent(
                sos_id=call.id, kind=ESCALATED, level=call.level, reason=reason, at=as_utc(now)
            )
        )
        escalated += 1
    db.flush()
    return escalated


def acknowledge(db: Session, actor: Actor, sos_id: int, *, now: datetime) -> SosCall:
    """A dispatcher, leader or administrator of the place, or someone it alerted, takes it.

    A second acknowledgement changes nothing and returns the call as the first left it.
    """
    call = db.get(SosCall, sos_id)
    alerted = call is not None and actor.user_id is not None and actor.user_id in call.notified
    watcher = call is not None and actor.role in SOS_WATCHERS and may_see(actor, call.region_code)
    if call is None or not (alerted or watcher):
        raise NotFound("sos_not_found", id=sos_id)
    if call.acknowledged_at is None:
        call.acknowledged_at = as_utc(now)
        call.acknowledged_by = actor.user_id
        call.ack_due_at = None
        db.add(
            SosEvent(
                sos_id=call.id, kind=ACKNOWLEDGED, level=call.level, user_id=actor.user_id, at=now
            )
        )
        db.flush()
    return call


def open_calls(db: Session, actor: Actor) -> list[SosCall]:
    """The area's SOS calls nobody has acknowledged yet, newest first."""
    require_role(actor, SOS_WATCHERS)
    query = (
        select(SosCall)
        .where(in_scope(actor, SosCall.region_code), SosCall.acknowledged_at.is_(None))
        .order_by(SosCall.id.desc())
        .limit(MAX_OPEN)
    )
    return list(db.scalars(query))


def event_data(call: SosCall, event: SosEvent | None = None) -> dict[str, object]:
    """An SOS as the command centre's banner shows it (the live stream and the list alike)."""
    return {
        "id": call.id,
        "event": event.kind if event else RAISED,
        "source": call.source,
        "case_number": call.case_number,
        "place": call.place,
        "lng": call.lng,
        "lat": call.lat,
        "region_code": call.region_code,
        "level": call.level,
        "raised_at": call.raised_at.isoformat(),
        "acknowledged": call.acknowledged_at is not None,
        "reason": event.reason if event else "",
    }


class SosFeed:
    """SOS events on every live stream, for the watchers of the place (`SOS_WATCHERS`)."""

    name = "sos"

    def newest(self, db: Session) -> int:
        return db.scalar(select(SosEvent.id).order_by(SosEvent.id.desc()).limit(1)) or 0

    def after(self, db: Session, last: int, limit: int) -> list[live.Item]:
        rows = db.execute(
            select(SosEvent, SosCall)
            .join(SosCall, SosCall.id == SosEvent.sos_id)
            .where(SosEvent.id > last)
            .order_by(SosEvent.id)
            .limit(limit)
        ).all()
        return [
            live.Item(
                self.name,
                event.id,
                call.region_code,
                f"event: sos\ndata: {json.dumps(event_data(call, event), ensure_ascii=False)}\n\n",
            )
            for event, call in rows
        ]

    def reads(self, actor: Actor, item: live.Item) -> bool:
        return actor.role in SOS_WATCHERS and may_see(actor, item.region_code)


live.add_feed(SosFeed())
