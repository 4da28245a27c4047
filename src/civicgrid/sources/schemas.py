"""A source's saved mapping (which heading is which field, which type is which risk class)
and what the API answers."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from civicgrid.sources.models import ExternalSource, SourceKind

Heading = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
SourceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[\w-]+$")
]


class ColumnMapping(BaseModel):
    """The file's heading for each field the platform keeps; the other columns (names,
    phones, ID numbers, descriptions) are never read."""

    model_config = ConfigDict(extra="forbid")

    record_id: Heading
    occurred_at: Heading
    type: Heading
    status: Heading | None = None
    lng: Heading | None = None
    lat: Heading | None = None
    grid_code: Heading | None = None
    address: Heading | None = None


class SourceMapping(BaseModel):
    """Saved once per source by an administrator and used for every file it sends."""

    model_config = ConfigDict(extra="forbid")

    columns: ColumnMapping
    # A strptime pattern for the time column ("%m/%d/%Y %I:%M:%S %p"); common spellings
    # (2026-11-05 08:30, 2026/11/5 8:30:00, Excel dates) are read without one.
    time_format: Annotated[str, StringConstraints(max_length=40)] | None = None
    # The source's own type values (as its file spells them) to risk class codes.
    classes: dict[Annotated[str, StringConstraints(max_length=120)], str] = Field(
        default_factory=dict, max_length=2000
    )
    # The class of a type not listed in `classes`; none refuses such rows.
    default_class: str | None = None


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    mapping: SourceMapping


class SourceOut(BaseModel):
    name: str
    kind: SourceKind
    region_code: str
    mapping: SourceMapping
    records: int
    updated_at: datetime

    @classmethod
    def of(cls, source: ExternalSource, records: int) -> "SourceOut":
        return cls(
            name=source.name,
            kind=SourceKind(source.kind),
            region_code=source.region_code,
            mapping=SourceMapping.model_validate(source.mapping),
            records=records,
            updated_at=source.updated_at,
        )
