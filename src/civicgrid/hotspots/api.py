"""Hotspots (犯罪制图) of the caller's area: hexagons with Gi*, and the weekly hours."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.hotspots import service
from civicgrid.hotspots.schemas import HotspotsOut, HoursOut

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])


@dataclass(frozen=True)
class HotspotQuery:
    """The query string both routes read; the service checks it (4xx with a message)."""

    window: Annotated[
        str | None, Query(description="YYYY-MM, or first/last day as YYYY-MM-DD/YYYY-MM-DD")
    ] = None
    classes: Annotated[
        str | None, Query(description="Comma-separated risk-class codes (all when empty)")
    ] = None
    region: Annotated[str | None, Query(description="Only events inside this region")] = None

    def asked(self) -> service.Asked:
        return service.Asked(window=self.window, classes=self.classes, region=self.region)


Asked = Annotated[HotspotQuery, Depends()]


@router.get("/hotspots", response_model=HotspotsOut)
def get_hotspots(request: Request, db: DbSession, actor: CurrentActor, asked: Asked) -> HotspotsOut:
    """Hexagons of the caller's events in the window, as GeoJSON with Gi* hot and cold spots."""
    root = request.app.state.settings.effective_archive_dir
    return HotspotsOut.of(service.hotspots(db, actor, root=root, asked=asked.asked()))


@router.get("/hotspots/hours", response_model=HoursOut)
def get_hotspot_hours(
    request: Request, db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked
) -> HoursOut:
    """Events per weekday × hour (local time) over the same window, classes and area."""
    root = request.app.state.settings.effective_archive_dir
    return HoursOut.of(service.hours(db, actor, root=root, asked=asked.asked()), locale)
