"""Case intake, reading inside a jurisdiction, and the history's integrity."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.workflow import GENESIS_HASH, Status, action_hash, record_action
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.geo.codes import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, locate
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

CHANNELS = (
    "resident",
    "open311",
    "grid_worker",
    "hotline_12345",
    "diversion_110",
    "petition",
    "device",
    "inspection",
    "api",
)
UNLOCATED_DISTRICT = "000000"
NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class Intake:
    """A report as it arrives from any channel."""

    description: str
    channel: str
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str | None = None
    category_code: str | None = None
    reporter_phone: str | None = None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()


def report_case(
    db: Session,
    index: GridIndex,
    *,
    intake: Intake,
    actor: Actor,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Take a report in, located; returns the case and whether it is new.

    The same idempotency key never makes a second case: it returns the first,
    or refuses when the body differs from what the key first carried.
    """
    now = now or utcnow()
    if idempotency_key:
        earlier = _by_key(db, idempotency_key, intake)
        if earlier is not None:
            return earlier, False
    _require_valid(intake)
    for _ in range(NUMBER_ATTEMPTS):
        try:
            return _store_new_case(
                db, index, intake, actor=actor, key=idempotency_key, now=now
            ), True
        except IntegrityError:
            # Another request took the same number or the same key between our read
            # and our write: a replay returns its case, a number clash tries again.
            db.rollback()
            earlier = _by_key(db, idempotency_key, intake) if idempotency_key else None
            if earlier is not None:
                return earlier, False
    raise Conflict("case_number_busy")


def _store_new_case(
    db: Session, index: GridIndex, intake: Intake, *, actor: Actor, key: str | None, now: datetime
) -> Case:
    case = _new_case(db, index, intake, key=key, now=now, home=_home_city(db, actor))
    record_action(
        db, case, from_status=None, to=Status.REPORTED, actor=_label(actor), note="", now=now
    )
    db.commit()
    return case


def _by_key(db: Session, key: str, intake: Intake) -> Case | None:
    case = db.scalar(select(Case).where(Case.idempotency_key == key))
    if case is not None and case.request_fingerprint != intake.fingerprint():
        raise Invalid("idempotency_key_reused")
    return case


def _require_valid(intake: Intake) -> None:
    if not intake.description.strip():
        raise Invalid("case_description_required")
    if intake.channel not in CHANNELS:
        raise Invalid("case_channel_unknown", channel=intake.channel, channels=", ".join(CHANNELS))
    if (intake.lng is None) != (intake.lat is None):
        raise Invalid("case_point_incomplete")
    if intake.lng is None and not (intake.address or "").strip():
        raise Invalid("case_location_required")


def _home_city(db: Session, actor: Actor) -> str:
    """Where an unlocated report waits: the reporter's city, else the deployment's."""
    if actor.scope_code:
        return actor.scope_code[:4] + "00"
    city = db.scalar(
        select(Region.code).where(Region.level == Level.CITY.value).order_by(Region.code)
    )
    return city or UNLOCATED_DISTRICT


def _new_case(
    db: Session, index: GridIndex, intake: Intake, *, key: str | None, now: datetime, home: str
) -> Case:
    lng, lat, grid_code, district = None, None, None, home
    if intake.lng is not None and intake.lat is not None:
        placement = locate(db, index, lng=intake.lng, lat=intake.lat, crs=intake.crs)
        lng, lat = placement.lng, placement.lat
        if placement.located:
            grid_code = placement.regions[Level.GRID].code
            district = placement.regions[Level.DISTRICT].code
    case = Case(
        number=_next_number(db, district, now),
        status=Status.REPORTED.value,
        channel=intake.channel,
        description=intake.description.strip(),
        category_code=intake.category_code,
        address=intake.address,
        lng=lng,
        lat=lat,
        grid_code=grid_code,
        region_code=grid_code or district,
        reporter_phone=intake.reporter_phone,
        idempotency_key=key,
        request_fingerprint=intake.fingerprint(),
        created_at=now,
        updated_at=now,
        version=0,
    )
    db.add(case)
    db.flush()
    return case


def _next_number(db: Session, district: str, now: datetime) -> str:
    """District code + local date + sequence: what a caller reads out on the phone."""
    prefix = f"{district}{now.astimezone(DISPLAY_ZONE):%Y%m%d}"
    taken = db.scalar(select(func.count()).where(Case.number.startswith(prefix))) or 0
    return f"{prefix}{taken + 1:05d}"


def _label(actor: Actor) -> str:
    return f"user:{actor.username}" if actor.kind == "user" else actor.kind


def visible_case(db: Session, actor: Actor, number: str) -> Case:
    """A case inside the actor's jurisdiction; anything else is simply not found."""
    case = db.scalar(select(Case).where(Case.number == number, in_scope(actor, Case.region_code)))
    if case is None:
        raise NotFound("case_not_found", number=number)
    return case


def list_cases(
    db: Session, actor: Actor, *, status: Status | None = None, limit: int = 100
) -> list[Case]:
    query = select(Case).where(in_scope(actor, Case.region_code))
    if status is not None:
        query = query.where(Case.status == status.value)
    return list(db.scalars(query.order_by(Case.id.desc()).limit(limit)))


def history(db: Session, case: Case) -> list[CaseAction]:
    return list(
        db.scalars(
            select(CaseAction).where(CaseAction.case_id == case.id).order_by(CaseAction.sequence)
        )
    )


def verify_history(db: Session) -> list[str]:
    """Every break in the chains: edited, removed or reordered rows, or a status without its row."""
    problems: list[str] = []
    for case in db.scalars(select(Case).order_by(Case.id)):
        problems.extend(_case_problems(case, history(db, case)))
    return problems


def _case_problems(case: Case, actions: list[CaseAction]) -> list[str]:
    problems: list[str] = []
    previous = GENESIS_HASH
    sequences = [action.sequence for action in actions]
    problems.extend(
        f"{case.number}: action {missing} missing"
        for missing in sorted(set(range(1, len(actions) + 1)) - set(sequences))
    )
    for action in actions:
        if action.previous_hash != previous or action_hash(action, case.number) != action.hash:
            problems.append(f"{case.number}: action {action.sequence} altered")
        previous = action.hash
    if not actions or actions[-1].to_status != case.status:
        problems.append(f"{case.number}: status {case.status} has no matching history")
    return problems
