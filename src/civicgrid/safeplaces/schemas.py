"""What the safe-place routes answer.

`GET /api/v1/analysis/safe-places?month=YYYY-MM&region=&level=community|compound`:
the month's list for the caller's area, `classes` it counts, and per place its `level`,
`place_code` (a community's region code, or a compound's house-number address id),
`name`, `region_code`, `events` of those classes, `status` (`safe` = 零发案, `not_safe`,
or `unlocated`: a compound with no point, to which no event could be attributed) and
whether and when it was published. `POST .../publish?month=&region=` answers how many
places it published.
"""

from datetime import datetime

from pydantic import BaseModel

from civicgrid.i18n import translate
from civicgrid.safeplaces.models import SafePlace
from civicgrid.safeplaces.service import Published, SafePlaceView


class SafePlaceOut(BaseModel):
    level: str
    place_code: str
    name: str
    region_code: str
    events: int
    status: str
    status_label: str
    published: bool
    published_at: datetime | None

    @classmethod
    def of(cls, row: SafePlace, locale: str) -> "SafePlaceOut":
        return cls(
            level=row.level,
            place_code=row.place_code,
            name=row.name,
            region_code=row.region_code,
            events=row.events,
            status=row.status,
            status_label=translate(f"safe_places.status.{row.status}", locale),
            published=row.published_at is not None,
            published_at=row.published_at,
        )


class SafePlacesOut(BaseModel):
    month: str
    classes: list[str]
    computed_at: datetime
    level: str
    region_code: str
    safe: int
    places: list[SafePlaceOut]

    @classmethod
    def of(cls, view: SafePlaceView, locale: str) -> "SafePlacesOut":
        return cls(
            month=view.header.month,
            classes=[str(code) for code in view.header.classes],
            computed_at=view.header.computed_at,
            level=view.level,
            region_code=view.region_code,
            safe=sum(row.status == "safe" for row in view.places),
            places=[SafePlaceOut.of(row, locale) for row in view.places],
        )


class PublishedOut(BaseModel):
    month: str
    region_code: str
    places: int
    published_at: datetime

    @classmethod
    def of(cls, published: Published) -> "PublishedOut":
        return cls(
            month=published.month,
            region_code=published.region_code,
            places=published.places,
            published_at=published.published_at,
        )
