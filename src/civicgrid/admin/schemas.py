"""The change log's query and rows as the API speaks them."""

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from civicgrid.audit.log import ChangeKind
from civicgrid.audit.models import AdminChange
from civicgrid.db import MAX_SQL_INTEGER
from civicgrid.timeutil import DISPLAY_ZONE, Moment


class ChangeFilterIn(BaseModel):
    """Filters as query parameters; `since` is inclusive, `until` exclusive."""

    kind: ChangeKind | None = None
    actor: str | None = Field(default=None, max_length=120)
    since: Moment | None = None
    until: Moment | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)

    @field_validator("since", "until")
    @classmethod
    def _beijing_unless_zoned(cls, moment: datetime | None) -> datetime | None:
        """A time without a zone is Beijing time, as every page shows times."""
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=DISPLAY_ZONE)


class ChangeOut(BaseModel):
    sequence: int
    kind: str
    action: str
    target: str
    actor: str
    region_code: str
    before: Any
    after: Any
    created_at: AwareDatetime
    hash: str

    @classmethod
    def of(cls, row: AdminChange) -> "ChangeOut":
        return cls(
            sequence=row.sequence,
            kind=row.kind,
            action=row.action,
            target=row.target,
            actor=row.actor,
            region_code=row.region_code,
            before=json.loads(row.before),
            after=json.loads(row.after),
            created_at=row.created_at,
            hash=row.hash,
        )
