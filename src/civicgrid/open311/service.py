"""Open311 GeoReport v2 over the case loop: the jurisdiction, and requests read from cases.

A service request is a case (services are in `catalogue`, posting in `intake`).
Reading is public, as the spec means it, so it shows only what a passer-by
could see on the street: no reporter, no staff, no free-text staff notes,
phone and ID numbers masked in descriptions, and only cases from channels
where people report public matters (not petitions, hotline calls or 110).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.states import Status
from civicgrid.categories.models import Category
from civicgrid.divisions import Level
from civicgrid.errors import Invalid, NotFound
from civicgrid.geo.models import Region
from civicgrid.i18n import translate
from civicgrid.masking import mask_personal_data
from civicgrid.open311.catalogue import service_name
from civicgrid.open311.dates import format_w3c, parse_w3c
from civicgrid.open311.schemas import ExtendedRequestOut, NoteOut, RequestOut
from civicgrid.timeutil import utcnow

TOKEN_PREFIX = "open311:"
PUBLIC_CHANNELS = ("resident", "open311", "grid_worker", "inspection", "device")
# Open311 knows two states. A case is closed for the public once its handling is
# confirmed (verified, self-resolved on the spot, closed, rated) or it will not be
# handled (rejected, merged into another); a resolution awaiting verification may
# still be sent back, so it stays open.
CLOSED = frozenset(
    {Status.VERIFIED, Status.SELF_RESOLVED, Status.CLOSED, Status.RATED}
    | {Status.REJECTED, Status.MERGED}
)
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_IDS = 1000
MEDIA_LINE = "media_url: "
_MEDIA = re.compile(r"^media_url: (\S+)$", re.MULTILINE)


def public_actor(city: Region) -> Actor:
    """Whoever reads Open311: sees the city's public requests, through the usual scope filter."""
    return Actor(kind="open311", role=None, scope_code=city.code)


CITY_CODE = re.compile(r"[0-9]{6}")


def jurisdiction(db: Session, jurisdiction_id: str | None) -> Region:
    """The city a request is about: the one named, or the deployment's only city."""
    if jurisdiction_id:
        code = jurisdiction_id.strip()
        city = (
            db.scalar(select(Region).where(Region.code == code, Region.level == Level.CITY.value))
            if CITY_CODE.fullmatch(code)
            else None
        )
        if city is None:
            raise NotFound("open311_jurisdiction_unknown", jurisdiction=jurisdiction_id)
        return city
    cities = list(
        db.scalars(
            select(Region).where(Region.level == Level.CITY.value).order_by(Region.code).limit(2)
        )
    )
    if len(cities) != 1:
        raise Invalid("open311_jurisdiction_required")
    return cities[0]


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters; ids, when given, override every other filter (the spec's rule)."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    states: tuple[str, ...] = ()


def parse_query(
    *,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> RequestQuery:
    ids = _comma_list(service_request_id)
    if len(ids) > MAX_IDS:
        raise Invalid("open311_too_many_ids", limit=MAX_IDS)
    states = _comma_list(status)
    wrong = [state for state in states if state not in ("open", "closed")]
    if wrong:
        raise Invalid("open311_status_invalid", value=wrong[0])
    start = parse_w3c(start_date, field="start_date") if start_date else None
    end = parse_w3c(end_date, field="end_date") if end_date else None
    if start is not None and end is not None and start > end:
        raise Invalid("open311_dates_reversed")
    return RequestQuery(
        ids=ids, service_codes=_comma_list(service_code), start=start, end=end, states=states
    )


def _comma_list(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def find_requests(
    db: Session, city: Region, query: RequestQuery, *, now: datetime | None = None
) -> list[Case]:
    """Newest first, at most 1,000; without dates, the 90 days up to now."""
    statement = _public_cases(city)
    if query.ids:
        statement = statement.where(Case.number.in_(query.ids))
    else:
        end = query.end or now or utcnow()
        start = query.start or end - DEFAULT_WINDOW
        statement = statement.where(Case.created_at >= start, Case.created_at <= end)
        if query.service_codes:
            statement = statement.where(Case.category_code.in_(query.service_codes))
        if query.states:
            statement = statement.where(_in_states(query.states))
    return list(db.scalars(statement.order_by(Case.created_at.desc()).limit(MAX_REQUESTS)))


def _public_cases(city: Region) -> Any:
    return select(Case).where(
        in_scope(public_actor(city), Case.region_code), Case.channel.in_(PUBLIC_CHANNELS)
    )


def _in_states(states: tuple[str, ...]) -> Any:
    closed = [status.value for status in CLOSED]
    if set(states) == {"open", "closed"}:
        return Case.id.is_not(None)
    return Case.status.in_(closed) if "closed" in states else Case.status.not_in(closed)


def one_request(db: Session, city: Region, number: str) -> Case:
    case = db.scalar(_public_cases(city).where(Case.number == number))
    if case is None:
        raise NotFound("open311_request_unknown", number=number)
    return case


def request_for_token(db: Session, city: Region, token: str) -> Case:
    case = db.scalar(
        _public_cases(city).where(Case.idempotency_key == TOKEN_PREFIX + token.strip())
    )
    if case is None:
        raise NotFound("open311_token_unknown", token=token)
    return case


def requests_out(
    db: Session, cases: Sequence[Case], *, locale: str, extensions: bool = False
) -> list[RequestOut]:
    """The public view of each case; names are read once for the whole list."""
    categories = {category.code: category for category in _all_categories(db, cases)}
    agencies = _agencies(db, cases)
    if not extensions:
        return [_request(case, categories, agencies, locale) for case in cases]
    histories = _histories(db, cases)
    return [
        ExtendedRequestOut(
            **vars(_request(case, categories, agencies, locale)),
            notes=[_note(action, locale) for action in histories.get(case.id, [])],
        )
        for case in cases
    ]


def _all_categories(db: Session, cases: Sequence[Case]) -> list[Category]:
    codes = {case.category_code for case in cases if case.category_code}
    return list(db.scalars(select(Category).where(Category.code.in_(codes)))) if codes else []


def _agencies(db: Session, cases: Sequence[Case]) -> dict[int, str]:
    ids = {_department_id(case) for case in cases} - {None}
    if not ids:
        return {}
    rows = db.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _department_id(case: Case) -> int | None:
    """The department holding the case, else the one routing chose for it."""
    return case.department_id or case.routed_department_id


def _histories(db: Session, cases: Sequence[Case]) -> dict[int, list[CaseAction]]:
    actions = db.scalars(
        select(CaseAction)
        .where(CaseAction.case_id.in_([case.id for case in cases]))
        .order_by(CaseAction.case_id, CaseAction.sequence)
    )
    histories: dict[int, list[CaseAction]] = {}
    for action in actions:
        histories.setdefault(action.case_id, []).append(action)
    return histories


def _request(
    case: Case, categories: dict[str, Category], agencies: dict[int, str], locale: str
) -> RequestOut:
    category = categories.get(case.category_code or "")
    department = _department_id(case)
    description, media_url = split_media_url(case.description)
    return RequestOut(
        service_request_id=case.number,
        status=open311_status(case.status),
        status_notes=status_label(case.status, locale),
        service_name=service_name(category, locale) if category else None,
        service_code=case.category_code,
        description=mask_personal_data(description),
        agency_responsible=agencies.get(department) if department else None,
        service_notice=None,
        requested_datetime=format_w3c(case.created_at),
        updated_datetime=format_w3c(case.updated_at),
        expected_datetime=format_w3c(case.stage_due_at),
        address=case.address,
        address_id=None,
        zipcode=None,
        lat=case.lat,
        long=case.lng,
        media_url=media_url,
    )


def _note(action: CaseAction, locale: str) -> NoteOut:
    kind = "opened" if action.from_status is None else "activity"
    if Status(action.to_status) in CLOSED:
        kind = "closed"
    return NoteOut(
        datetime=format_w3c(action.created_at) or "",
        type=kind,
        summary=status_label(action.to_status, locale),
    )


def open311_status(status: str) -> str:
    return "closed" if Status(status) in CLOSED else "open"


def status_label(status: str, locale: str) -> str:
    return translate(f"case.status.{status}", locale)


def split_media_url(description: str) -> tuple[str, str | None]:
    """The description without the photo link line that `submit` appended, and the link."""
    match = _MEDIA.search(description)
    if match is None:
        return description, None
    rest = (description[: match.start()] + description[match.end() :]).strip("\n")
    return rest, match.group(1)


def notice(case: Case, *, locale: str) -> str:
    return translate("open311.notice", locale, number=case.number)
