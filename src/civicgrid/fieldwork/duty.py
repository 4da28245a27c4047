"""On duty (在岗): a grid worker's position, known to the centre only during their shift.

The phone sends its position while the worker is on duty; going off duty
deletes it. A position older than STALE_AFTER is not shown, so a phone that
lost its connection does not leave a worker standing on the map for hours.
The centre finds the on-duty workers nearest an urgent case and can summon one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import User
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.cases import service as cases
from civicgrid.cases.models import Case
from civicgrid.errors import Invalid, NotFound
from civicgrid.fieldwork.models import DutyPosition
from civicgrid.fieldwork.roles import SUMMONERS, WATCHERS, WORKER_ROLES
from civicgrid.geo.crs import Crs, to_wgs84
from civicgrid.geo.distance import great_circle_m
from civicgrid.i18n import translate
from civicgrid.masking import mask_personal_data
from civicgrid.notify import service as notify
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc

STALE_AFTER = timedelta(minutes=30)
SUMMON_EVENT = "fieldwork.summoned"


@dataclass(frozen=True)
class OnDuty:
    user_id: int
    username: str
    display_name: str
    lng: float
    lat: float
    reported_at: datetime
    region_code: str
    distance_m: float | None = None


def report_position(
    db: Session,
    actor: Actor,
    *,
    lng: float,
    lat: float,
    crs: Crs = Crs.WGS84,
    accuracy_m: float | None,
    now: datetime,
) -> DutyPosition:
    """Go on duty, or stay on duty at a new position."""
    auth_service.require_role(actor, WORKER_ROLES)
    if actor.user_id is None or actor.scope_code is None:
        raise Invalid("fieldwork_duty_needs_account")
    wgs_lng, wgs_lat = (float(value) for value in to_wgs84(lng, lat, crs))
    position = db.get(DutyPosition, actor.user_id)
    if position is None:
        position = DutyPosition(user_id=actor.user_id, on_duty_since=now)
        db.add(position)
    position.lng, position.lat, position.accuracy_m = wgs_lng, wgs_lat, accuracy_m
    position.reported_at = now
    position.region_code = actor.scope_code
    db.flush()
    return position


def go_off_duty(db: Session, actor: Actor) -> None:
    """The end of the shift: the position is forgotten, not archived."""
    auth_service.require_role(actor, WORKER_ROLES)
    db.execute(delete(DutyPosition).where(DutyPosition.user_id == actor.user_id))


def on_duty(
    db: Session,
    actor: Actor,
    *,
    now: datetime,
    near: tuple[float, float] | None = None,
    limit: int = 500,
) -> list[OnDuty]:
    """The on-duty workers in the actor's area with a fresh position, nearest first when `near`."""
    auth_service.require_role(actor, WATCHERS)
    rows = db.execute(
        select(DutyPosition, User.username, User.display_name)
        .join(User, User.id == DutyPosition.user_id)
        .where(
            in_scope(actor, DutyPosition.region_code),
            DutyPosition.reported_at >= as_utc(now) - STALE_AFTER,
        )
        .order_by(DutyPosition.user_id)
    ).all()
    found = [
        OnDuty(
            user_id=position.user_id,
            username=username,
            display_name=display_name,
            lng=position.lng,
            lat=position.lat,
            reported_at=position.reported_at,
            region_code=position.region_code,
            distance_m=None
            if near is None
            else round(great_circle_m(near[0], near[1], position.lng, position.lat), 1),
        )
        for position, username, display_name in rows
    ]
    if near is not None:
        found.sort(key=lambda worker: worker.distance_m or 0.0)
    return found[:limit]


def near_case(db: Session, actor: Actor, *, number: str, now: datetime) -> list[OnDuty]:
    """On-duty workers by distance from a located case the actor may see."""
    return _nearest(db, actor, cases.visible_case(db, actor, number), now)


def _nearest(db: Session, actor: Actor, case: Case, now: datetime) -> list[OnDuty]:
    if case.lng is None or case.lat is None:
        raise Invalid("fieldwork_case_unlocated", number=case.number)
    return on_duty(db, actor, now=now, near=(case.lng, case.lat))


def summon(db: Session, actor: Actor, *, number: str, username: str, now: datetime) -> OnDuty:
    """Send an on-duty worker to a case: they get a message in their inbox naming it.

    Only a worker the actor sees on duty (the jurisdiction filter of `on_duty`) can be sent.
    """
    auth_service.require_role(actor, SUMMONERS)
    case = cases.visible_case(db, actor, number)
    worker = next((w for w in _nearest(db, actor, case, now) if w.username == username), None)
    if worker is None:
        raise NotFound("fieldwork_worker_not_on_duty", username=username)
    locale = get_settings().default_locale
    notify.enqueue_notice(
        db,
        event=SUMMON_EVENT,
        user_ids=[worker.user_id],
        title=translate(
            "fieldwork.summoned", locale, number=number, by=actor.display_name or actor.username
        ),
        body=mask_personal_data(case.description),
        now=now,
    )
    return worker
