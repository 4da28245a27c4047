"""Open311 GeoReport v2 over the case loop: services from categories, requests from cases.

A service is an active level-2 category; a service request is a case. Posting
needs an integration key and goes through the same intake as every channel.
Reading is public, as the spec means it, so it shows only what a passer-by
could see on the street: no reporter, no staff, no free-text staff notes,
phone and ID numbers masked in descriptions, and only cases from channels
where people report public matters (not petitions, hotline calls or 110).
"""

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import ApiKey, Department
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.workflow import Status
from civicgrid.categories.models import Category
from civicgrid.categories.taxonomy import category_tree, list_categories, require_category
from civicgrid.divisions import Level
from civicgrid.errors import Forbidden, Invalid, NotFound, Unauthorized
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, locate
from civicgrid.i18n import translate
from civicgrid.masking import mask_personal_data
from civicgrid.open311.dates import format_w3c, parse_w3c
from civicgrid.open311.schemas import (
    AttributeOut,
    DefinitionOut,
    ExtendedRequestOut,
    NoteOut,
    RequestOut,
    ServiceOut,
    ValueOut,
)
from civicgrid.timeutil import utcnow

CHANNEL = "open311"
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
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
MAX_DESCRIPTION = 4000
MAX_TEXT = 255
MEDIA_LINE = "media_url: "
_MEDIA = re.compile(r"^media_url: (\S+)$", re.MULTILINE)
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_PHONE = re.compile(r"^\+?[0-9-]{5,20}$")
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# Mainland mobile numbers and resident ID numbers, masked in public descriptions.
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")

Fields = Mapping[str, Sequence[str]]


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


def services(db: Session, *, locale: str) -> list[ServiceOut]:
    """One service per active level-2 category, grouped under its level-1 name."""
    return [
        _service(category, group, locale)
        for group, members in category_tree(list_categories(db, active_only=True))
        for category in members
    ]


def _service(category: Category, group: Category, locale: str) -> ServiceOut:
    name = _name(category, locale)
    return ServiceOut(
        service_code=category.code,
        service_name=name,
        description=name,
        metadata=bool(category.attributes),
        type="realtime",
        keywords=",".join(str(word) for word in category.keywords or []),
        group=_name(group, locale),
    )


def _name(category: Category, locale: str) -> str:
    return category.name_en if locale == "en" and category.name_en else category.name


def _service_category(db: Session, code: str) -> Category | None:
    """The same rule intake files cases by: an active level-2 category."""
    try:
        return require_category(db, code.strip())
    except Invalid:
        return None


def definition(db: Session, code: str) -> DefinitionOut:
    category = _service_category(db, code)
    if category is None:
        raise NotFound("open311_service_unknown", code=code)
    return DefinitionOut(service_code=category.code, attributes=attributes_of(category))


def attributes_of(category: Category) -> list[AttributeOut]:
    """The category's attribute definitions, completed with the spec's defaults, in order."""
    attributes = [
        _attribute(raw, position)
        for position, raw in enumerate(category.attributes or [], start=1)
        if isinstance(raw, Mapping) and raw.get("code")
    ]
    return sorted(attributes, key=lambda attribute: attribute.order)


def _attribute(raw: Mapping[str, Any], position: int) -> AttributeOut:
    values = [
        ValueOut(key=str(value.get("key", "")), name=str(value.get("name", value.get("key", ""))))
        for value in raw.get("values") or []
        if isinstance(value, Mapping)
    ]
    datatype = str(raw.get("datatype", "string"))
    return AttributeOut(
        variable=bool(raw.get("variable", True)),
        code=str(raw["code"]),
        datatype=datatype if datatype in DATATYPES else "string",
        required=bool(raw.get("required", False)),
        datatype_description=str(raw.get("datatype_description", "")),
        order=int(raw.get("order", position)),
        description=str(raw.get("description", raw["code"])),
        values=values,
    )


@dataclass(frozen=True)
class Posted:
    case: Case
    token: str
    created: bool


def submit(
    db: Session,
    index: GridIndex,
    fields: Fields,
    *,
    header_key: str | None = None,
    client_key: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """POST requests: check everything, then file one case through the common intake.

    The token is the idempotency key: a client that sends `Idempotency-Key` and
    retries gets its first request back, never a second case.
    """
    key = _require_api_key(db, _one(fields, "api_key") or header_key)
    city = jurisdiction(db, _one(fields, "jurisdiction_id"))
    _require_key_in(key, city)
    category = _require_service(db, _one(fields, "service_code"))
    point = _point(fields)
    _require_point_in(db, index, point, city)
    intake = Intake(
        description=_description(fields, category),
        channel=CHANNEL,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        address=_address(fields, point),
        category_code=category.code,
        reporter_phone=_phone(fields),
        reporter_name=_reporter_name(fields),
    )
    token = _token(key, client_key)
    case, created = report_case(
        db,
        index,
        intake=intake,
        actor=auth_service.actor_for_key(key),
        idempotency_key=TOKEN_PREFIX + token,
        now=now,
    )
    return Posted(case=case, token=token, created=created)


def _one(fields: Fields, name: str) -> str | None:
    values = fields.get(name) or []
    value = values[-1].strip() if values else ""
    return value or None


def _require_api_key(db: Session, raw: str | None) -> ApiKey:
    if raw is None:
        raise Invalid("open311_api_key_required")
    try:
        return auth_service.api_key_for(db, raw)
    except Unauthorized:
        raise Forbidden("open311_api_key_invalid") from None


def _require_key_in(key: ApiKey, city: Region) -> None:
    """A key files for the city it belongs to, or for any city inside its own area."""
    holder = auth_service.actor_for_key(key)
    if not (may_see(holder, city.code) or may_see(public_actor(city), key.scope_code)):
        raise Forbidden("open311_key_outside_jurisdiction", jurisdiction=city.code)


def _require_service(db: Session, code: str | None) -> Category:
    if code is None:
        raise Invalid("open311_service_code_required")
    category = _service_category(db, code)
    if category is None:
        raise Invalid("open311_service_code_unknown", code=code)
    return category


def _point(fields: Fields) -> tuple[float, float] | None:
    lat, lng = _one(fields, "lat"), _one(fields, "long")
    if lat is None and lng is None:
        return None
    if lat is None or lng is None:
        raise Invalid("case_point_incomplete")
    return _coordinate(lng, "long", 180), _coordinate(lat, "lat", 90)


def _coordinate(raw: str, field: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise Invalid("open311_coordinate_invalid", field=field, value=raw) from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Invalid("open311_coordinate_invalid", field=field, value=raw)
    return value


def _require_point_in(
    db: Session, index: GridIndex, point: tuple[float, float] | None, city: Region
) -> None:
    """A point inside another city's grids belongs to that city's Open311, not this one."""
    if point is None:
        return
    placement = locate(db, index, lng=point[0], lat=point[1], crs="wgs84")
    grid = placement.regions.get(Level.GRID)
    if grid is not None and not may_see(public_actor(city), grid.code):
        raise Invalid("open311_outside_jurisdiction", jurisdiction=city.code)


def _address(fields: Fields, point: tuple[float, float] | None) -> str | None:
    """The address as written, else the client's address id kept verbatim for the dispatcher.

    We keep no address register to resolve an `address_id` against, so it is
    stored as `address_id:<id>` where a person can read it.
    """
    address = _bounded(fields, "address_string")
    address_id = _bounded(fields, "address_id")
    if address is None and address_id is not None:
        address = f"address_id:{address_id}"
    if point is None and address is None:
        raise Invalid("open311_location_required")
    return address


def _bounded(fields: Fields, name: str, limit: int = MAX_TEXT) -> str | None:
    value = _one(fields, name)
    if value is not None and len(value) > limit:
        raise Invalid("open311_field_too_long", field=name, limit=limit)
    return value


def _description(fields: Fields, category: Category) -> str:
    """What the reporter wrote (the service name when they wrote nothing), then the
    answers to the service's questions, then the photo link, one per line."""
    text = _bounded(fields, "description", MAX_DESCRIPTION) or category.name
    lines = [text]
    for attribute, values in _answers(attributes_of(category), fields):
        lines.append(f"{attribute.description}: {', '.join(_shown(attribute, values))}")
    media_url = _media_url(fields)
    if media_url:
        lines.append(MEDIA_LINE + media_url)
    return "\n".join(lines)


def _attribute_fields(fields: Fields) -> dict[str, list[str]]:
    """`attribute[CODE]=v`, and `attribute[CODE][]=v` repeated for multi-value lists."""
    given: dict[str, list[str]] = {}
    for name, values in fields.items():
        match = _ATTRIBUTE.match(name)
        if match:
            given.setdefault(match.group(1), []).extend(v.strip() for v in values if v.strip())
    return given


def _answers(
    attributes: list[AttributeOut], fields: Fields
) -> list[tuple[AttributeOut, list[str]]]:
    given = _attribute_fields(fields)
    known = {attribute.code: attribute for attribute in attributes if attribute.variable}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise Invalid("open311_attribute_unknown", code=", ".join(unknown))
    answers = []
    for attribute in known.values():
        values = given.get(attribute.code, [])
        if values:
            _require_valid_answer(attribute, values)
            answers.append((attribute, values))
        elif attribute.required:
            raise Invalid(
                "open311_attribute_required", code=attribute.code, name=attribute.description
            )
    return answers


def _require_valid_answer(attribute: AttributeOut, values: list[str]) -> None:
    if attribute.datatype != "multivaluelist" and len(values) > 1:
        raise Invalid("open311_attribute_single", code=attribute.code)
    keys = {value.key for value in attribute.values}
    for value in values:
        if len(value) > MAX_TEXT * 4 or not _fits(attribute, value, keys):
            raise Invalid("open311_attribute_invalid", code=attribute.code, value=value[:50])


def _fits(attribute: AttributeOut, value: str, keys: set[str]) -> bool:
    if attribute.datatype in LIST_TYPES:
        return value in keys
    if attribute.datatype == "number":
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    if attribute.datatype == "datetime":
        parse_w3c(value, field=f"attribute[{attribute.code}]")
    return True


def _shown(attribute: AttributeOut, values: list[str]) -> list[str]:
    names = {value.key: value.name for value in attribute.values}
    return [names.get(value, value) for value in values]


def _media_url(fields: Fields) -> str | None:
    """A link to the reporter's photo, kept as a line of the description; never fetched,
    so a URL pointing inside our network cannot make us request it."""
    url = _bounded(fields, "media_url", 1000)
    if url is not None and not _URL.match(url):
        raise Invalid("open311_media_url_invalid", value=url[:100])
    return url


def _phone(fields: Fields) -> str | None:
    phone = _one(fields, "phone")
    if phone is not None and not _PHONE.match(phone):
        raise Invalid("open311_phone_invalid", value=phone[:40])
    return phone


def _reporter_name(fields: Fields) -> str | None:
    """Chinese names are written family name first without a space."""
    first, last = _bounded(fields, "first_name", 32), _bounded(fields, "last_name", 32)
    parts = [part for part in (first, last) if part]
    if first and last and _CJK.match(first + last):
        return last + first
    return " ".join(parts) or None


def _token(key: ApiKey, client_key: str | None) -> str:
    """A client's own key is scoped to its API key, so two clients' keys never collide."""
    if client_key is None:
        return secrets.token_urlsafe(18)
    if not _CLIENT_KEY.match(client_key):
        raise Invalid("open311_idempotency_key_invalid")
    return f"k{key.id}-{client_key}"


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
        service_name=_name(category, locale) if category else None,
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
