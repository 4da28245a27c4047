"""Safe compounds and communities (平安小区 / 零发案): the month's list, its workbook, and
publishing it."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.downloads import attachment
from civicgrid.safeplaces import excel, service
from civicgrid.safeplaces.schemas import PublishedOut, SafePlacesOut

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])

Month = Annotated[str | None, Query(description="The list's month, YYYY-MM")]
Region = Annotated[str | None, Query(description="Only places inside this region")]


@dataclass(frozen=True)
class ListQuery:
    month: Month = None
    region: Region = None
    level: Annotated[str | None, Query(description="community (default) or compound")] = None

    def found(self, db: DbSession, actor: CurrentActor, locale: str) -> SafePlacesOut:
        view = service.safe_places(
            db, actor, month=self.month, region=self.region, level=self.level
        )
        return SafePlacesOut.of(view, locale)


Asked = Annotated[ListQuery, Depends()]


@router.get("/safe-places", response_model=SafePlacesOut)
def get_safe_places(
    db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked
) -> SafePlacesOut:
    """Each community's or compound's status in the month, inside the caller's area."""
    return asked.found(db, actor, locale)


@router.get("/safe-places.xlsx", response_class=Response)
def get_safe_places_workbook(
    db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked
) -> Response:
    """The same list as an Excel workbook, headed in the caller's language."""
    found = asked.found(db, actor, locale)
    filename = f"safe-places-{found.month}-{found.level}-{found.region_code or 'all'}.xlsx"
    return attachment(excel.workbook(found, locale), filename)


@router.post("/safe-places/publish", response_model=PublishedOut)
def post_publish(
    db: DbSession, actor: CurrentActor, month: Month = None, region: Region = None
) -> PublishedOut:
    """Publish the month's list for the caller's area (audited; fixed from then on)."""
    published = service.publish(db, actor, month=month, region=region)
    db.commit()
    return PublishedOut.of(published)
