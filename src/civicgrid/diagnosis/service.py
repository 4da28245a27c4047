"""Reading the stored monthly reports (producing them is `production`, which needs the
engines and the statistics; this module stays light, for the API)."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, within
from civicgrid.auth.service import require_role
from civicgrid.diagnosis.definition import parse_month
from civicgrid.diagnosis.models import MonthlyGrid, MonthlyReport, MonthlyRisk
from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS
from civicgrid.divisions import significant_prefix
from civicgrid.errors import NotFound
from civicgrid.geo.models import Region
from civicgrid.geo.service import visible_region


def stored(db: Session, month: str) -> bool:
    return db.get(MonthlyReport, month) is not None


@dataclass(frozen=True)
class GridMonth:
    grid: MonthlyGrid
    name: str
    risks: list[MonthlyRisk]


@dataclass(frozen=True)
class MonthlyView:
    report: MonthlyReport
    region_code: str
    grids: list[GridMonth]


def monthly(db: Session, actor: Actor, *, month: str | None, region: str | None) -> MonthlyView:
    """The stored report's grids inside the actor's jurisdiction (and `region`, if given),
    ranked as they rank city-wide."""
    require_role(actor, ANALYSIS_VIEWERS)
    checked = parse_month(month)
    region_code = visible_region(db, actor, region).code if region else actor.scope_code or ""
    report = db.get(MonthlyReport, checked)
    if report is None:
        raise NotFound("analysis_report_not_found", month=checked)
    prefix = significant_prefix(region_code) if region_code else ""
    grids = list(
        db.scalars(
            select(MonthlyGrid)
            .where(
                MonthlyGrid.month == checked,
                in_scope(actor, MonthlyGrid.grid_code),
                within(MonthlyGrid.grid_code, prefix),
            )
            .order_by(MonthlyGrid.rank, MonthlyGrid.grid_code)
        )
    )
    risks: dict[str, list[MonthlyRisk]] = defaultdict(list)
    for risk in db.scalars(
        select(MonthlyRisk)
        .where(
            MonthlyRisk.month == checked,
            in_scope(actor, MonthlyRisk.grid_code),
            within(MonthlyRisk.grid_code, prefix),
        )
        .order_by(MonthlyRisk.grid_code, MonthlyRisk.risk_class)
    ):
        risks[risk.grid_code].append(risk)
    names = _names(db, [grid.grid_code for grid in grids])
    return MonthlyView(
        report=report,
        region_code=region_code,
        grids=[
            GridMonth(g, names.get(g.grid_code, g.grid_code), risks[g.grid_code]) for g in grids
        ],
    )


def _names(db: Session, codes: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        query = select(Region.code, Region.name).where(Region.code.in_(chunk))
        names.update(dict(db.execute(query).all()))
    return names


def region_name(db: Session, code: str) -> str:
    """The report's region as a reader knows it (its code when the map has no such region)."""
    return _names(db, [code]).get(code, code) if code else ""


def shapes(db: Session, codes: list[str]) -> dict[str, str]:
    """The display outlines (GeoJSON geometries) of grids already read through the
    jurisdiction filter, for the printed map."""
    found: dict[str, str] = {}
    for start in range(0, len(codes), 1000):
        query = select(Region.code, Region.display_geojson).where(
            Region.code.in_(codes[start : start + 1000]), Region.display_geojson.is_not(None)
        )
        found.update({code: geometry for code, geometry in db.execute(query) if geometry})
    return found


def months(db: Session, actor: Actor) -> list[str]:
    """The months with a stored report, newest first: what the analysis page offers."""
    require_role(actor, ANALYSIS_VIEWERS)
    return list(db.scalars(select(MonthlyReport.month).order_by(MonthlyReport.month.desc())))


@dataclass(frozen=True)
class TrendMonth:
    month: str
    events: int
    previous_month: int
    year_ago: int


def trend(
    db: Session, actor: Actor, *, region: str | None, risk_class: str | None = None
) -> list[TrendMonth]:
    """A region's (or a grid's) events in each stored month, oldest first, with the same
    grids' last month and year-ago figures so each month's changes can be read beside it;
    one risk class's alone when `risk_class` is given."""
    require_role(actor, ANALYSIS_VIEWERS)
    region_code = visible_region(db, actor, region).code if region else actor.scope_code or ""
    prefix = significant_prefix(region_code) if region_code else ""
    table = MonthlyGrid if risk_class is None else MonthlyRisk
    query = (
        select(
            table.month,
            func.sum(table.events),
            func.sum(table.previous_month),
            func.sum(table.year_ago),
        )
        .where(in_scope(actor, table.grid_code), within(table.grid_code, prefix))
        .group_by(table.month)
        .order_by(table.month)
    )
    if risk_class is not None:
        query = query.where(MonthlyRisk.risk_class == risk_class)
    totals = {
        month: (events, previous, year_ago)
        for month, events, previous, year_ago in db.execute(query)
    }
    return [
        TrendMonth(month, *(int(value or 0) for value in totals.get(month, (0, 0, 0))))
        for month in reversed(months(db, actor))
    ]
