"""The duty roster: administrators put people on duty at their area's centres; an alarm that
needs a person finds who is on duty where it happened, at that moment.

A centre is a city, district or street (综治中心 at each level). Two shifts a day,
in Beijing time: the day shift from 08:00 to 20:00 and the night shift from 20:00
to 08:00 the next morning, filed under the day it starts. The person on duty for a
place is found at its street's centre first, then its district's, then its city's:
the nearest centre that has someone for the shift answers. Every change is in the
change log. The caller commits.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.models import User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.divisions import Level, level_of, normalise_code
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.models import Region
from civicgrid.roster.models import DutyAssignment
from civicgrid.roster.roles import ROSTER_KEEPERS, ROSTER_READERS
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

CENTRE_LEVELS = frozenset({Level.CITY, Level.DISTRICT, Level.STREET})
DAY_STARTS = time(8)
NIGHT_STARTS = time(20)
# A roster read covers at most two months: enough for any month's sheet.
MAX_DAYS = 62
# The roster read when no days are named: the shift running now and the week on.
WEEK_DAYS = 7


class Shift(StrEnum):
    DAY = "day"
    NIGHT = "night"


@dataclass(frozen=True)
class Duty:
    assignment: DutyAssignment
    user: User
    region_name: str


def shift_at(moment: datetime) -> tuple[date, Shift]:
    """The roster day and shift a moment falls in (before 08:00 is the previous night)."""
    local = moment.astimezone(DISPLAY_ZONE)
    if local.time() < DAY_STARTS:
        return local.date() - timedelta(days=1), Shift.NIGHT
    return local.date(), Shift.DAY if local.time() < NIGHT_STARTS else Shift.NIGHT


def centres_of(region_code: str) -> list[str]:
    """The centres answering for a place, nearest first: its street, district and city."""
    code = normalise_code(region_code)
    found = [code[:9], code[:6], code[:4] + "00"]
    return list(dict.fromkeys(found))


def add_duty(
    db: Session,
    actor: Actor,
    *,
    region_code: str,
    day: date,
    shift: Shift,
    username: str,
    note: str = "",
) -> Duty:
    """Put a person on duty at a centre of the administrator's area."""
    require_role(actor, ROSTER_KEEPERS)
    region = _centre(db, actor, region_code)
    user = _person(db, actor, username, region.code)
    taken = db.scalar(
        select(DutyAssignment.id).where(
            DutyAssignment.region_code == region.code,
            DutyAssignment.day == day,
            DutyAssignment.shift == shift.value,
            DutyAssignment.user_id == user.id,
        )
    )
    if taken is not None:
        raise Conflict("duty_exists", username=username, day=day.isoformat())
    row = DutyAssignment(
        region_code=region.code, day=day, shift=shift.value, user_id=user.id, note=note.strip()
    )
    db.add(row)
    db.flush()
    _log(db, actor, "create", row, user, after=True)
    return Duty(row, user, region.name)


def remove_duty(db: Session, actor: Actor, duty_id: int) -> None:
    require_role(actor, ROSTER_KEEPERS)
    row = db.scalar(
        select(DutyAssignment).where(
            DutyAssignment.id == duty_id, in_scope(actor, DutyAssignment.region_code)
        )
    )
    if row is None:
        raise NotFound("duty_not_found", id=duty_id)
    user = db.get(User, row.user_id)
    assert user is not None
    _log(db, actor, "delete", row, user, after=False)
    db.delete(row)
    db.flush()


def period_from(start: date | None, end: date | None, *, at: datetime) -> tuple[date, date]:
    """The days a roster read covers: from `start`, else the roster day of the shift running
    at `at`, to `end`, else a week on. Before 08:00 the night shift running is the previous
    day's, so a read from the calendar day would hide the person on duty right now."""
    first = start if start is not None else shift_at(at)[0]
    return first, end if end is not None else first + timedelta(days=WEEK_DAYS - 1)


def list_duties(db: Session, actor: Actor, *, start: date, end: date) -> list[Duty]:
    """The roster of the reader's area from `start` to `end` (both included)."""
    require_role(actor, ROSTER_READERS)
    if end < start or (end - start).days >= MAX_DAYS:
        raise Invalid("duty_period_invalid", days=MAX_DAYS)
    rows = db.execute(
        select(DutyAssignment, User, Region.name)
        .join(User, User.id == DutyAssignment.user_id)
        .join(Region, Region.code == DutyAssignment.region_code)
        .where(DutyAssignment.day.between(start, end), in_scope(actor, DutyAssignment.region_code))
        .order_by(
            DutyAssignment.day, DutyAssignment.region_code, DutyAssignment.shift, User.username
        )
    )
    return [Duty(assignment, user, name) for assignment, user, name in rows]


def on_duty(db: Session, region_code: str, *, at: datetime | None = None) -> list[Duty]:
    """Who is on duty for a place now: the nearest of its centres with someone on the shift."""
    day, shift = shift_at(at or utcnow())
    centres = centres_of(region_code)
    rows = db.execute(
        select(DutyAssignment, User, Region.name)
        .join(User, User.id == DutyAssignment.user_id)
        .join(Region, Region.code == DutyAssignment.region_code)
        .where(
            DutyAssignment.day == day,
            DutyAssignment.shift == shift.value,
            DutyAssignment.region_code.in_(centres),
            User.active.is_(True),
        )
        .order_by(User.username)
    ).all()
    for centre in centres:
        found = [Duty(a, u, n) for a, u, n in rows if a.region_code == centre]
        if found:
            return found
    return []


def on_duty_for(db: Session, actor: Actor, region_code: str, *, at: datetime) -> list[Duty]:
    """Who was (or is) on duty for a place of the reader's area at a moment: what an alarm's
    case names as its person on duty."""
    require_role(actor, ROSTER_READERS)
    code = normalise_code(region_code)
    if not may_see(actor, code):
        raise Forbidden("scope_outside_jurisdiction", code=code)
    return on_duty(db, code, at=at)


def today(db: Session, actor: Actor, *, at: datetime | None = None) -> list[Duty]:
    """The reader's area's roster for the shift running now, every centre in it."""
    require_role(actor, ROSTER_READERS)
    day, shift = shift_at(at or utcnow())
    return [
        duty
        for duty in list_duties(db, actor, start=day, end=day)
        if duty.assignment.shift == shift.value
    ]


def _centre(db: Session, actor: Actor, region_code: str) -> Region:
    code = normalise_code(region_code)
    region = db.get(Region, code)
    if region is None:
        raise Invalid("region_not_found", code=region_code)
    if level_of(code) not in CENTRE_LEVELS:
        raise Invalid("duty_not_a_centre", code=code)
    if not may_see(actor, code):
        raise Forbidden("scope_outside_jurisdiction", code=code)
    return region


def _person(db: Session, actor: Actor, username: str, centre: str) -> User:
    """An active account of the administrator's area that works at or under the centre."""
    user = db.scalar(
        select(User).where(User.username == username, in_scope(actor, User.scope_code))
    )
    if user is None or not user.active:
        raise Invalid("duty_person_unknown", username=username)
    if not (user.scope_code.startswith(centre) or centre.startswith(user.scope_code)):
        raise Invalid("duty_person_elsewhere", username=username, code=centre)
    return user


def _log(
    db: Session, actor: Actor, action: str, row: DutyAssignment, user: User, *, after: bool
) -> None:
    snapshot = {
        "region_code": row.region_code,
        "day": row.day.isoformat(),
        "shift": row.shift,
        "username": user.username,
        "note": row.note,
    }
    record_change(
        db,
        author=actor,
        kind=ChangeKind.DUTY_ROSTER,
        action=action,
        target=f"{row.region_code} {row.day.isoformat()} {row.shift} {user.username}",
        region_code=row.region_code,
        before=None if after else snapshot,
        after=snapshot if after else None,
    )
