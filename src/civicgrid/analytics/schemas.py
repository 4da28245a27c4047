"""What the indicator endpoints return: each group's figures with their rates."""

from dataclasses import fields
from datetime import date
from typing import Self

from pydantic import BaseModel, Field

from civicgrid.analytics.dashboard import Dashboard
from civicgrid.analytics.service import Counts, Grouping, IndicatorReport, IndicatorRow
from civicgrid.geo.schemas import RegionRef

RATES = (
    "on_time_dispatch_rate",
    "on_time_handling_rate",
    "closure_rate",
    "rework_rate",
    "satisfaction_rate",
)
RATE_DIGITS = 4
SCORE_DIGITS = 1


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figures(counts: Counts) -> dict[str, int | float | None]:
    """Counts as they are, rates to four places, the score to one."""
    plain = {field.name: getattr(counts, field.name) for field in fields(counts)}
    rates = {name: _rounded(getattr(counts, name), RATE_DIGITS) for name in RATES}
    return {**plain, **rates, "score": _rounded(counts.score, SCORE_DIGITS)}


class FiguresOut(BaseModel):
    """Counts, then rates as fractions 0-1 (null when there was nothing to count)."""

    received: int
    rejected: int
    merged: int
    closed: int
    overdue: int = Field(description="Open cases past their stage deadline when asked")
    dispatched: int
    dispatched_on_time: int
    handled: int
    handled_on_time: int
    returned: int
    reworked: int
    rated: int
    satisfied: int
    on_time_dispatch_rate: float | None
    on_time_handling_rate: float | None
    closure_rate: float | None
    rework_rate: float | None
    satisfaction_rate: float | None
    score: float | None = Field(description="Composite score 0-100, see docs/indicators.md")

    @classmethod
    def of(cls, counts: Counts) -> Self:
        return cls.model_validate(figures(counts))


class IndicatorRowOut(FiguresOut):
    key: str | None = Field(description="Region code or department code; null: no department yet")
    name: str | None

    @classmethod
    def of_row(cls, row: IndicatorRow) -> Self:
        return cls.model_validate({"key": row.key, "name": row.name, **figures(row.counts)})


class IndicatorReportOut(BaseModel):
    period_start: date
    period_end: date
    group: Grouping
    region: str | None
    rows: list[IndicatorRowOut]
    total: FiguresOut

    @classmethod
    def of(cls, report: IndicatorReport) -> Self:
        return cls(
            period_start=report.period.start,
            period_end=report.period.end,
            group=report.grouping,
            region=report.region_code,
            rows=[IndicatorRowOut.of_row(row) for row in report.rows],
            total=FiguresOut.of(report.total),
        )


class TallyOut(BaseModel):
    key: str | None
    label: str
    count: int


class ChildOut(BaseModel):
    code: str
    name: str
    open: int
    overdue: int
    today: int


class TrendDayOut(BaseModel):
    day: date
    reported: int
    closed: int


class DashboardOut(BaseModel):
    """The command centre's picture of one region, counted inside the viewer's jurisdiction."""

    region: RegionRef
    child_level: str | None
    open: int
    overdue: int
    reported_today: int
    closed_today: int
    satisfaction: float | None = Field(description="Average rating 1-5 over 30 days")
    ratings: int
    by_channel_today: list[TallyOut]
    top_categories: list[TallyOut]
    overdue_by_department: list[TallyOut]
    trend: list[TrendDayOut]
    children: list[ChildOut]

    @classmethod
    def of(cls, picture: Dashboard) -> Self:
        return cls(
            region=RegionRef.of(picture.region),
            child_level=picture.child_level.value if picture.child_level else None,
            open=picture.open,
            overdue=picture.overdue,
            reported_today=picture.reported_today,
            closed_today=picture.closed_today,
            satisfaction=picture.satisfaction,
            ratings=picture.ratings,
            by_channel_today=[TallyOut(**vars(item)) for item in picture.by_channel_today],
            top_categories=[TallyOut(**vars(item)) for item in picture.top_categories],
            overdue_by_department=[
                TallyOut(**vars(item)) for item in picture.overdue_by_department
            ],
            trend=[
                TrendDayOut(day=day, reported=reported, closed=closed)
                for day, reported, closed in picture.trend
            ],
            children=[ChildOut(**vars(child)) for child in picture.children],
        )
