"""Case intake, reading inside a jurisdiction, and the history's integrity."""

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid import photostore
from civicgrid.audit.chain import Link, breaks
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_role
from civicgrid.cases import notices, photos, routing, sla
from civicgrid.cases.access import readable
from civicgrid.cases.models import (
    CHANNELS,
    PRIORITIES,
    Case,
    CaseAction,
    CaseComponent,
    CaseNumberCounter,
)
from civicgrid.cases.reporters import seal_reporter
from civicgrid.cases.roles import COMPONENT_LINKERS
from civicgrid.cases.states import STATES, Status
from civicgrid.cases.workflow import (
    action_hash,
    actor_label,
    record_reports,
)
from civicgrid.categories import classifier
from civicgrid.categories.in_force import require_in_force
from civicgrid.categories.keyword_rules import category_terms
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.components.models import Component
from civicgrid.components.service import component_named
from civicgrid.db import reserve_ids, side_engine
from civicgrid.divisions import Level
from civicgrid.errors import BatchInvalid, Conflict, DomainError, Invalid, NotFound
from civicgrid.geo.crs import Crs, to_wgs84
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

UNLOCATED_DISTRICT = "000000"
NUMBER_ATTEMPTS = 5
MAX_DAILY_SEQUENCE = 99_999  # five digits per district and day
BATCH_LIMIT = 1000


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
    reporter_name: str | None = None
    priority: str = "normal"
    photos: tuple[str, ...] = ()
    # A component's GB/T 30428.2 code, as painted on it: the case is about that asset.
    component_code: str | None = None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """One item of a report: what was said and the key the client sent with it."""

    intake: Intake
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Categorised:
    code: str | None
    confidence: float | None
    source: str
    departments: Mapping[str, Any]


def prepare_intake(db: Session, index: GridIndex) -> None:
    """Build, before a server takes its first report, what that report would wait for.

    The grid index (seconds at 48,000 grids), the classifier's model and word
    dictionary: built on demand, they held the first requests after every start
    for seconds, each queued behind the one building them.
    """
    index.current(db)
    classifier.prepare(category_terms(db))


def report_case(
    db: Session,
    index: GridIndex,
    *,
    intake: Intake,
    actor: Actor,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Take a report in: located, categorised, routed; returns the case and whether it is new.

    The same idempotency key never makes a second case: it returns the first,
    or refuses when the body differs from what the key first carried.
    """
    submission = Submission(intake, idempotency_key)
    return report_cases(db, index, [submission], actor=actor, now=now)[0]


def report_cases(
    db: Session,
    index: GridIndex,
    submissions: Sequence[Submission],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> list[tuple[Case, bool]]:
    """Take many reports in one transaction: all are stored, or none is.

    A concurrent writer may take a case number or a key between our read and
    our write; then the whole batch is tried again, and replays return their case.

    Unlike other services this one commits: each try needs a transaction of its
    own. A savepoint would do on PostgreSQL, but on SQLite a savepoint taken
    before the first write pins a read snapshot that can no longer write once
    another report has committed ("database is locked").
    """
    if len(submissions) > BATCH_LIMIT:
        raise Invalid("batch_too_large", limit=BATCH_LIMIT)
    now = now or utcnow()
    images = _require_all_valid(db, submissions, actor)
    # Located and classified once, before anything is written or locked: a try lost
    # to a race repeats only the writing.
    earlier = _earlier_cases(db, submissions)
    readings = _read_reports(db, index, submissions, earlier, images, actor=actor)
    for _ in range(NUMBER_ATTEMPTS):
        try:
            results = _store(db, submissions, readings, earlier, actor=actor, now=now)
            db.commit()
            return results
        except IntegrityError:
            db.rollback()
            # Another request may have stored one of these keys meanwhile: replay it.
            earlier = _earlier_cases(db, submissions)
    raise Conflict("case_number_busy")


def _require_all_valid(
    db: Session, submissions: Sequence[Submission], actor: Actor
) -> list[list[photostore.CheckedImage]]:
    """Every item checked before anything is written; each item's photos, decoded."""
    problems: list[tuple[int, DomainError]] = []
    images: list[list[photostore.CheckedImage]] = []
    for position, submission in enumerate(submissions):
        try:
            images.append(_require_valid(db, submission.intake, actor))
        except DomainError as problem:
            problems.append((position, problem))
    if len(submissions) == 1 and problems:
        raise problems[0][1]
    if problems:
        raise BatchInvalid(problems)
    return images


@dataclass(frozen=True)
class _Reading:
    """What intake reads of a new report before writing it: where it is, what it is about."""

    lng: float | None
    lat: float | None
    grid_code: str | None
    category: Categorised
    component: Component | None
    images: list[photostore.CheckedImage]


def _read_reports(
    db: Session,
    index: GridIndex,
    submissions: Sequence[Submission],
    earlier: Mapping[str, Case],
    images: Sequence[list[photostore.CheckedImage]],
    *,
    actor: Actor,
) -> dict[int, _Reading]:
    """Each new report located (one vectorised pass) and categorised (one classifier call),
    by the submission's identity; replays of an earlier key need neither."""
    pictures = {id(item): found for item, found in zip(submissions, images, strict=True)}
    items = [
        item for item in _first_of_each_key(submissions) if item.idempotency_key not in earlier
    ]
    components = [
        None
        if item.intake.component_code is None
        else component_named(db, actor, item.intake.component_code)
        for item in items
    ]
    points = [
        _point(item.intake, pictures[id(item)], component)
        for item, component in zip(items, components, strict=True)
    ]
    grids = _grids(db, index, points)
    found = _categorise(db, [item.intake for item in items])
    return {
        id(item): _Reading(lng, lat, grid_code, category, component, pictures[id(item)])
        for item, (lng, lat, grid_code), category, component in zip(
            items, grids, found, components, strict=True
        )
    }


def _store(
    db: Session,
    submissions: Sequence[Submission],
    readings: Mapping[int, _Reading],
    earlier: Mapping[str, Case],
    *,
    actor: Actor,
    now: datetime,
) -> list[tuple[Case, bool]]:
    fresh = [
        item for item in _first_of_each_key(submissions) if item.idempotency_key not in earlier
    ]
    made = _new_cases(db, fresh, [readings[id(item)] for item in fresh], actor=actor, now=now)
    created = dict(zip(map(id, fresh), made, strict=True))
    by_key = {case.idempotency_key: case for case in created.values() if case.idempotency_key}
    results: list[tuple[Case, bool]] = []
    for item in submissions:
        if id(item) in created:
            results.append((created[id(item)], True))
        else:
            key = item.idempotency_key or ""
            results.append((earlier.get(key) or by_key[key], False))
    return results


def _first_of_each_key(submissions: Sequence[Submission]) -> list[Submission]:
    """A key repeated inside one batch makes one case; a different body under it is refused."""
    seen: dict[str, Submission] = {}
    first: list[Submission] = []
    for position, item in enumerate(submissions):
        key = item.idempotency_key
        if key is None:
            first.append(item)
        elif key not in seen:
            seen[key] = item
            first.append(item)
        elif seen[key].intake.fingerprint() != item.intake.fingerprint():
            problem = Invalid("idempotency_key_reused")
            raise problem if len(submissions) == 1 else BatchInvalid([(position, problem)])
    return first


def _earlier_cases(db: Session, submissions: Sequence[Submission]) -> dict[str, Case]:
    keys = {item.idempotency_key for item in submissions if item.idempotency_key}
    if not keys:
        return {}
    found: dict[str, Case] = {
        case.idempotency_key or "": case
        for case in db.scalars(select(Case).where(Case.idempotency_key.in_(keys)))
    }
    problems = [
        (position, Invalid("idempotency_key_reused"))
        for position, item in enumerate(submissions)
        if item.idempotency_key in found
        and found[item.idempotency_key].request_fingerprint != item.intake.fingerprint()
    ]
    if problems:
        raise problems[0][1] if len(submissions) == 1 else BatchInvalid(problems)
    return found


def _require_valid(db: Session, intake: Intake, actor: Actor) -> list[photostore.CheckedImage]:
    if not intake.description.strip():
        raise Invalid("case_description_required")
    if intake.channel not in CHANNELS:
        raise Invalid("case_channel_unknown", channel=intake.channel, channels=", ".join(CHANNELS))
    if intake.priority not in PRIORITIES:
        raise Invalid("case_priority_unknown", priority=intake.priority)
    if (intake.lng is None) != (intake.lat is None):
        raise Invalid("case_point_incomplete")
    if intake.category_code is not None:
        require_in_force(db, intake.category_code)
    if intake.component_code is not None:
        component_named(db, actor, intake.component_code)
    images = photostore.decode_base64_photos(intake.photos)
    located = (
        intake.lng is not None
        or photostore.exif_point(images) is not None
        or intake.component_code is not None
    )
    if not located and not (intake.address or "").strip():
        raise Invalid("case_location_required")
    return images


def _home_city(db: Session, actor: Actor) -> str:
    """Where an unlocated report waits: the reporter's city, else the deployment's."""
    if actor.scope_code:
        return actor.scope_code[:4] + "00"
    city = db.scalar(
        select(Region.code).where(Region.level == Level.CITY.value).order_by(Region.code)
    )
    return city or UNLOCATED_DISTRICT


def _new_cases(
    db: Session,
    items: Sequence[Submission],
    readings: Sequence[_Reading],
    *,
    actor: Actor,
    now: datetime,
) -> list[Case]:
    if not items:
        return []
    rules = routing.active_rules(db)
    home = _home_city(db, actor)
    routing.remember_unit_names(db, [read.grid_code or home for read in readings], rules)
    cases = []
    for item, read in zip(items, readings, strict=True):
        region = read.grid_code or home
        decision = routing.route(
            db,
            routing.CaseFacts(
                category_code=read.category.code,
                region_code=region,
                channel=item.intake.channel,
                priority=item.intake.priority,
                category_departments=read.category.departments,
            ),
            rules,
        )
        case = _case_row(
            item, lng=read.lng, lat=read.lat, grid_code=read.grid_code, region=region, now=now
        )
        _apply_category(case, read.category)
        _apply_decision(case, decision)
        case.reporter_user_id = actor.user_id if actor.role is Role.RESIDENT else None
        for name, value in sla.stage_fields(db, case, Status.REPORTED.value, now).items():
            setattr(case, name, value)
        cases.append(case)
    ids = reserve_ids(db, Case, len(cases))
    notices.prepare_case_events(db)
    # Numbers last, so that a failure before them costs none.
    numbers = case_numbers(db, [case.region_code[:6] for case in cases], now)
    for position, (case, number, item) in enumerate(zip(cases, numbers, items, strict=True)):
        case.number = number
        if ids is not None:
            case.id = ids[position]
        seal_reporter(case, phone=item.intake.reporter_phone, name=item.intake.reporter_name)
    db.add_all(cases)
    db.flush()
    db.add_all(
        CaseComponent(case_id=case.id, component_id=read.component.id)
        for case, read in zip(cases, readings, strict=True)
        if read.component is not None
    )
    label = actor_label(actor)
    record_reports(db, cases, actor=label, now=now)
    for case, read in zip(cases, readings, strict=True):
        if read.images:
            photos.attach(db, case, read.images, purpose="report", actor_label=label)
        notices.enqueue_case_event(db, case, STATES[Status.REPORTED].event, now)
    return cases


def _point(
    intake: Intake, images: Sequence[photostore.CheckedImage], component: Component | None
) -> tuple[float, float, str] | None:
    """Where the report says it is: its point, else the first photo's EXIF location, else
    the component it is about (both WGS-84)."""
    if intake.lng is not None and intake.lat is not None:
        return intake.lng, intake.lat, intake.crs
    exif = photostore.exif_point(images)
    if exif is not None:
        return exif[0], exif[1], Crs.WGS84.value
    return None if component is None else (component.lng, component.lat, Crs.WGS84.value)


def link_component(db: Session, actor: Actor, number: str, *, code: str | None) -> Case:
    """Staff say which component a case is about (or that it is about none).

    The component must lie in the staff member's own area, like the case; the
    case keeps its point: the component is what it is about, not where it was seen.
    """
    require_role(actor, COMPONENT_LINKERS)
    case = visible_case(db, actor, number)
    component = None if code is None else component_named(db, actor, code)
    db.execute(delete(CaseComponent).where(CaseComponent.case_id == case.id))
    if component is not None:
        db.add(CaseComponent(case_id=case.id, component_id=component.id))
    case.version += 1
    case.updated_at = utcnow()
    db.flush()
    return case


def _case_row(
    item: Submission,
    *,
    lng: float | None,
    lat: float | None,
    grid_code: str | None,
    region: str,
    now: datetime,
) -> Case:
    intake = item.intake
    return Case(
        status=Status.REPORTED.value,
        channel=intake.channel,
        priority=intake.priority,
        description=intake.description.strip(),
        address=intake.address,
        lng=lng,
        lat=lat,
        grid_code=grid_code,
        region_code=region,
        idempotency_key=item.idempotency_key,
        request_fingerprint=intake.fingerprint(),
        created_at=now,
        updated_at=now,
        version=0,
    )


def _apply_category(case: Case, category: Categorised) -> None:
    case.category_code = category.code
    case.category_confidence = category.confidence
    case.category_source = category.source


def _apply_decision(case: Case, decision: routing.Decision) -> None:
    case.routing_rule_id = decision.rule_id
    case.routing_reason = decision.reason
    case.routed_department_id = decision.department_id
    case.handling_region_code = decision.handling_region_code
    case.grid_may_handle = decision.grid_may_handle


def _grids(
    db: Session, index: GridIndex, given: Sequence[tuple[float, float, str] | None]
) -> list[tuple[float | None, float | None, str | None]]:
    """Each report's WGS-84 point and grid; the grids are looked up in one vectorised pass."""
    points = [
        None if point is None else tuple(map(float, to_wgs84(point[0], point[1], Crs(point[2]))))
        for point in given
    ]
    located = [point for point in points if point is not None]
    locator = index.current(db)
    found: Iterator[int] = iter(
        locator.locate_many([point[0] for point in located], [point[1] for point in located])
        if located
        else []
    )
    placed: list[tuple[float | None, float | None, str | None]] = []
    for point in points:
        if point is None:
            placed.append((None, None, None))
            continue
        slot = int(next(found))
        placed.append((point[0], point[1], locator.codes[slot] if slot >= 0 else None))
    return placed


def _categorise(db: Session, intakes: Sequence[Intake]) -> list[Categorised]:
    """The reporter's category when given; else a confident suggestion from the classifier.

    A suggestion below the confidence threshold files nothing: the dispatcher chooses.
    """
    known = taxonomy(db)
    unsure = [intake.description for intake in intakes if intake.category_code is None]
    suggested = iter(classifier.suggest_many(unsure, category_terms(db)) if unsure else [])
    found: list[Categorised] = []
    for intake in intakes:
        if intake.category_code is not None:
            category = known[intake.category_code]
            found.append(Categorised(category.code, None, "reporter", category.default_departments))
            continue
        suggestion = next(suggested)
        if suggestion is None or suggestion.low_confidence:
            found.append(Categorised(None, None, "none", {}))
            continue
        departments = known[suggestion.code].default_departments
        found.append(
            Categorised(suggestion.code, suggestion.confidence, suggestion.source, departments)
        )
    return found


def case_numbers(db: Session, districts: Sequence[str], now: datetime) -> list[str]:
    """District code + local date + sequence, one per district given: what a caller reads out.

    Each district's counter for the day is raised once by the number it needs, in
    one statement that returns the new value, so two reports never share a number.
    On PostgreSQL that statement commits at once on a connection of its own: held
    until the report's commit, the counter's row lock made every concurrent report
    of the district wait for the one before it to finish writing (a p99 of seconds
    at 32 clients). A report that then fails leaves a gap in the day's sequence.
    On SQLite writers take turns anyway, and a second connection would wait on the
    caller's own pending writes: the counter rises inside the caller's transaction.
    """
    day = f"{now.astimezone(DISPLAY_ZONE):%Y%m%d}"
    wanted = Counter(f"{district}{day}" for district in districts)
    issued = {prefix: _raise_counter(db, prefix, count) - count for prefix, count in wanted.items()}
    numbers = []
    for district in districts:
        prefix = f"{district}{day}"
        issued[prefix] += 1
        numbers.append(f"{prefix}{issued[prefix]:05d}")
    return numbers


def _raise_counter(db: Session, prefix: str, count: int) -> int:
    upsert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    insert = upsert(CaseNumberCounter).values(prefix=prefix, last=count)
    raised = insert.on_conflict_do_update(
        index_elements=[CaseNumberCounter.prefix],
        set_={"last": CaseNumberCounter.last + insert.excluded.last},
    ).returning(CaseNumberCounter.last)
    if db.get_bind().dialect.name == "postgresql":
        with side_engine(db).begin() as connection:
            last = connection.execute(raised).scalar_one()
    else:
        last = db.execute(raised).scalar_one()
    if last > MAX_DAILY_SEQUENCE:
        raise Conflict("case_numbers_exhausted", prefix=prefix)
    return int(last)


def visible_case(db: Session, actor: Actor, number: str) -> Case:
    """A case the actor may read (`cases.access`); anything else is simply not found."""
    case = db.scalar(select(Case).where(Case.number == number, readable(actor)))
    if case is None:
        raise NotFound("case_not_found", number=number)
    return case


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
    links = [
        Link(action.sequence, action.previous_hash, action.hash, action_hash(action, case.number))
        for action in actions
    ]
    found = breaks(links)
    problems = [f"{case.number}: action {missing} missing" for missing in found.missing]
    problems += [f"{case.number}: action {sequence} altered" for sequence in found.altered]
    if not actions or actions[-1].to_status != case.status:
        problems.append(f"{case.number}: status {case.status} has no matching history")
    return problems
