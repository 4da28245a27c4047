"""Reading a month's safe-place list inside the caller's jurisdiction, and publishing it."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor, in_scope, within
from civicgrid.auth.service import require_role
from civicgrid.diagnosis.definition import parse_month
from civicgrid.divisions import significant_prefix
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.geo.service import visible_region
from civicgrid.safeplaces.models import PlaceLevel, PlaceStatus, SafePlace, SafePlaceList
from civicgrid.safeplaces.roles import SAFE_PLACE_PUBLISHERS, SAFE_PLACE_VIEWERS
from civicgrid.timeutil import utcnow


@dataclass(frozen=True)
class SafePlaceView:
    header: SafePlaceList
    level: str
    region_code: str
    places: list[SafePlace]


@dataclass(frozen=True)
class Published:
    month: str
    region_code: str
    places: int
    published_at: datetime


def stored(db: Session, month: str) -> bool:
    return db.get(SafePlaceList, month) is not None


def parse_level(text: str | None) -> str:
    value = (text or PlaceLevel.COMMUNITY.value).strip()
    if value not in {level.value for level in PlaceLevel}:
        raise Invalid("safe_places_level_invalid", field="level", value=value[:40])
    return value


def _header(db: Session, month: str | None) -> SafePlaceList:
    checked = parse_month(month)
    header = db.get(SafePlaceList, checked)
    if header is None:
        raise NotFound("safe_places_not_found", month=checked)
    return header


def _region(db: Session, actor: Actor, region: str | None) -> str:
    return visible_region(db, actor, region).code if region else actor.scope_code or ""


def _rows(actor: Actor, month: str, region_code: str, level: str | None) -> Select[SafePlace]:
    prefix = significant_prefix(region_code) if region_code else ""
    query = select(SafePlace).where(
        SafePlace.month == month,
        in_scope(actor, SafePlace.region_code),
        within(SafePlace.region_code, prefix),
    )
    if level is not None:
        query = query.where(SafePlace.level == level)
    return query.order_by(SafePlace.region_code, SafePlace.place_code)


def safe_places(
    db: Session, actor: Actor, *, month: str | None, region: str | None, level: str | None
) -> SafePlaceView:
    """The month's communities or compounds inside the actor's area (and `region`)."""
    require_role(actor, SAFE_PLACE_VIEWERS)
    checked_level = parse_level(level)
    header = _header(db, month)
    region_code = _region(db, actor, region)
    places = list(db.scalars(_rows(actor, header.month, region_code, checked_level)))
    return SafePlaceView(header, checked_level, region_code, places)


def publish(db: Session, actor: Actor, *, month: str | None, region: str | None) -> Published:
    """Publish the month's list for the actor's area (or `region` inside it): its rows are
    fixed from now on, and the month is never computed again. Audited; publishing an area
    already published is a conflict."""
    require_role(actor, SAFE_PLACE_PUBLISHERS)
    header = _header(db, month)
    region_code = _region(db, actor, region)
    rows = list(db.scalars(_rows(actor, header.month, region_code, None)))
    waiting = [row for row in rows if row.published_at is None]
    if not waiting:
        raise Conflict("safe_places_already_published", month=header.month)
    now = utcnow()
    for row in waiting:
        row.published_at = now
        row.published_by = actor.username
    safe = [row for row in waiting if row.status == PlaceStatus.SAFE]
    record_change(
        db,
        author=actor,
        kind=ChangeKind.SAFE_PLACE_LIST,
        action="publish",
        target=f"{header.month}:{region_code}",
        region_code=region_code,
        before={"published": 0},
        after={
            "published": len(waiting),
            "safe_communities": sum(r.level == PlaceLevel.COMMUNITY for r in safe),
            "safe_compounds": sum(r.level == PlaceLevel.COMPOUND for r in safe),
            "classes": header.classes,
        },
        now=now,
    )
    db.flush()
    return Published(header.month, region_code, len(waiting), now)
