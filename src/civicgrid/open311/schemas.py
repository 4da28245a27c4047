"""The records GeoReport v2 returns, field names and order as the spec writes them."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceOut:
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


@dataclass(frozen=True)
class ValueOut:
    key: str
    name: str


@dataclass(frozen=True)
class AttributeOut:
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[ValueOut] = field(default_factory=list)


@dataclass(frozen=True)
class DefinitionOut:
    service_code: str
    attributes: list[AttributeOut]


@dataclass(frozen=True)
class NoteOut:
    """One step of a request's history (the `extensions=true` notes): public facts only."""

    datetime: str
    type: str
    summary: str


@dataclass(frozen=True)
class RequestOut:
    service_request_id: str
    status: str
    status_notes: str
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


@dataclass(frozen=True)
class ExtendedRequestOut(RequestOut):
    notes: list[NoteOut] = field(default_factory=list)


@dataclass(frozen=True)
class PostedOut:
    token: str
    service_request_id: str
    service_notice: str
    account_id: str | None


@dataclass(frozen=True)
class TokenOut:
    service_request_id: str
    token: str


@dataclass(frozen=True)
class ErrorOut:
    code: int
    description: str
