"""Hotspots inside the caller's jurisdiction: hexagon counts with Gi*, and the weekly hours."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, scope_prefix
from civicgrid.auth.service import require_role
from civicgrid.divisions import significant_prefix
from civicgrid.errors import Forbidden
from civicgrid.geo.service import visible_region
from civicgrid.hotspots import query
from civicgrid.hotspots.roles import HOTSPOT_VIEWERS
from civicgrid.hotspots.statistics import ALPHA, RING, Hexagon, gi_star
from civicgrid.hotspots.window import Window, parse_classes, parse_window


@dataclass(frozen=True)
class Asked:
    """The query string as it came: checked here, so a bad one is a 4xx, not a 500."""

    window: str | None
    classes: str | None
    region: str | None


@dataclass(frozen=True)
class Scoped:
    window: Window
    classes: tuple[str, ...]
    region_code: str
    question: query.Question


@dataclass(frozen=True)
class HotspotView:
    asked: Scoped
    hexagons: list[Hexagon]


@dataclass(frozen=True)
class HoursView:
    asked: Scoped
    matrix: list[list[int]]


def _scoped(db: Session, actor: Actor, asked: Asked) -> Scoped:
    require_role(actor, HOTSPOT_VIEWERS)
    if actor.scope_code is None:  # no jurisdiction sees nothing: the filter is never left off
        raise Forbidden("role_not_allowed")
    window = parse_window(asked.window)
    classes = parse_classes(asked.classes)
    region_code = visible_region(db, actor, asked.region).code if asked.region else ""
    question = query.Question(
        window=window,
        classes=classes,
        scope_prefix=scope_prefix(actor.scope_code),
        region_prefix=significant_prefix(region_code) if region_code else "",
    )
    return Scoped(window, classes, region_code or actor.scope_code, question)


def hotspots(db: Session, actor: Actor, *, root: Path, asked: Asked) -> HotspotView:
    """Gi* over the hexagons of the caller's events; only hexagons with events are shown
    (the empty ones around them take part in the statistic, see `statistics`)."""
    scoped = _scoped(db, actor, asked)
    counts = query.cell_counts(root, scoped.question)
    hexagons = [hexagon for hexagon in gi_star(counts, k=RING, alpha=ALPHA) if hexagon.events]
    return HotspotView(scoped, hexagons)


def hours(db: Session, actor: Actor, *, root: Path, asked: Asked) -> HoursView:
    """Events per local weekday × hour over the same window, classes and area."""
    scoped = _scoped(db, actor, asked)
    return HoursView(scoped, query.hour_counts(root, scoped.question))
