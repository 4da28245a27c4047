"""The monthly report as the API shows it: stored counts plus the figures derived from them."""

from datetime import datetime

from pydantic import BaseModel

from civicgrid.diagnosis import sentences
from civicgrid.diagnosis.figures import change, per_thousand
from civicgrid.diagnosis.models import MonthlyRisk
from civicgrid.diagnosis.service import GridMonth, MonthlyView, TrendMonth

TEST_NAME = "poisson_conditional_rate_test+benjamini_hochberg"


class RiskOut(BaseModel):
    risk_class: str
    name: str
    events: int
    previous_month: int
    year_ago: int
    month_on_month: float | None
    year_on_year: float | None
    baseline_mean: float
    p_value: float
    q_value: float
    anomaly: bool

    @classmethod
    def of(cls, risk: MonthlyRisk, locale: str) -> "RiskOut":
        return cls(
            risk_class=risk.risk_class,
            name=sentences.class_name(risk.risk_class, locale),
            events=risk.events,
            previous_month=risk.previous_month,
            year_ago=risk.year_ago,
            month_on_month=change(risk.events, risk.previous_month),
            year_on_year=change(risk.events, risk.year_ago),
            baseline_mean=risk.baseline_mean,
            p_value=risk.p_value,
            q_value=risk.q_value,
            anomaly=risk.anomaly,
        )


class GridOut(BaseModel):
    grid_code: str
    name: str
    rank: int
    events: int
    previous_month: int
    year_ago: int
    month_on_month: float | None
    year_on_year: float | None
    residents: int | None
    rate_per_1000: float | None
    anomalies: int
    problems: str
    risks: list[RiskOut]

    @classmethod
    def of(cls, entry: GridMonth, locale: str) -> "GridOut":
        grid = entry.grid
        return cls(
            grid_code=grid.grid_code,
            name=entry.name,
            rank=grid.rank,
            events=grid.events,
            previous_month=grid.previous_month,
            year_ago=grid.year_ago,
            month_on_month=change(grid.events, grid.previous_month),
            year_on_year=change(grid.events, grid.year_ago),
            residents=grid.residents,
            rate_per_1000=per_thousand(grid.events, grid.residents),
            anomalies=grid.anomalies,
            problems=sentences.problems(entry.name, entry.risks, locale),
            risks=[RiskOut.of(risk, locale) for risk in entry.risks],
        )


class MonthlyOut(BaseModel):
    month: str
    region_code: str
    engine: str
    test: str
    baseline_months: int
    tests: int
    anomalies: int
    computed_at: datetime
    grids: list[GridOut]

    @classmethod
    def of(cls, view: MonthlyView, locale: str) -> "MonthlyOut":
        report = view.report
        return cls(
            month=report.month,
            region_code=view.region_code,
            engine=report.engine,
            test=TEST_NAME,
            baseline_months=report.baseline_months,
            tests=report.tests,
            anomalies=report.anomalies,
            computed_at=report.computed_at,
            grids=[GridOut.of(entry, locale) for entry in view.grids],
        )


class TrendMonthOut(BaseModel):
    month: str
    events: int
    previous_month: int
    year_ago: int
    month_on_month: float | None
    year_on_year: float | None

    @classmethod
    def of(cls, entry: TrendMonth) -> "TrendMonthOut":
        return cls(
            month=entry.month,
            events=entry.events,
            previous_month=entry.previous_month,
            year_ago=entry.year_ago,
            month_on_month=change(entry.events, entry.previous_month),
            year_on_year=change(entry.events, entry.year_ago),
        )
