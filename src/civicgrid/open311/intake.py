"""Posting an Open311 request: check every field, then file one case through the common intake.

Everything a client sends is checked and refused with a message before
anything is stored; the case goes through the same intake as every channel.
"""

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import ApiKey
from civicgrid.auth.scope import may_see
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.models import Category
from civicgrid.divisions import Level
from civicgrid.errors import Forbidden, Invalid, Unauthorized
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, locate
from civicgrid.open311.catalogue import attributes_of, service_category
from civicgrid.open311.dates import parse_w3c
from civicgrid.open311.schemas import AttributeOut
from civicgrid.open311.service import MEDIA_LINE, TOKEN_PREFIX, jurisdiction, public_actor

CHANNEL = "open311"
LIST_TYPES = ("singlevaluelist", "multivaluelist")
MAX_DESCRIPTION = 4000
MAX_TEXT = 255
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_PHONE = re.compile(r"^\+?[0-9-]{5,20}$")
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# Names written in Chinese characters, family name first.
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")

Fields = Mapping[str, Sequence[str]]


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
    category = service_category(db, code)
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
