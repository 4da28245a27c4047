"""The monthly report as the API shows it: stored counts plus the figures derived from them."""

from datetime import datetime

from pydantic import BaseModel

from civicgrid.diagnosis import sentences
from civicgrid.diagnosis.figures import change
from civicgrid.diagnosis.models import MonthlyRisk, Recommendation
from civicgrid.diagnosis.service import GridMonth, MonthlyView, TrendMonth
from civicgrid.i18n import translate

TEST_NAME = "poisson_conditional_rate_test+benjamini_hochberg"
PEER_TEST_NAME = "street_peer_negative_binomial_test+benjamini_hochberg"


class TestOut(BaseModel):
    """One test of a cell: which (its name), its p-value, BH q-value and whether it flagged."""

    test: str
    p_value: float
    q_value: float
    anomaly: bool


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
    month_on_month_pct: float | None
    year_on_year_pct: float | None
    peer_p_value: float
    peer_q_value: float
    peer_anomaly: bool
    tests: list[TestOut]

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
            month_on_month_pct=risk.month_on_month_pct,
            year_on_year_pct=risk.year_on_year_pct,
            peer_p_value=risk.peer_p_value,
            peer_q_value=risk.peer_q_value,
            peer_anomaly=risk.peer_anomaly,
            tests=[
                TestOut(
                    test=TEST_NAME, p_value=risk.p_value, q_value=risk.q_value, anomaly=risk.anomaly
                ),
                TestOut(
                    test=PEER_TEST_NAME,
                    p_value=risk.peer_p_value,
                    q_value=risk.peer_q_value,
                    anomaly=risk.peer_anomaly,
                ),
            ],
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
    month_on_month_pct: float | None
    year_on_year_pct: float | None
    residents: int | None
    households: int | None
    rate_per_1000: float | None
    rate_per_household: float | None
    device_alarms: int
    anomalies: int
    peer_anomalies: int
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
            month_on_month_pct=grid.month_on_month_pct,
            year_on_year_pct=grid.year_on_year_pct,
            residents=grid.residents,
            households=grid.households,
            rate_per_1000=grid.rate_per_1000,
            rate_per_household=grid.rate_per_household,
            device_alarms=grid.device_alarms,
            anomalies=grid.anomalies,
            peer_anomalies=grid.peer_anomalies,
            problems=sentences.problems(entry.name, entry.risks, locale),
            risks=[RiskOut.of(risk, locale) for risk in entry.risks],
        )


class MonthlyOut(BaseModel):
    month: str
    region_code: str
    engine: str
    test: str
    peer_test: str
    baseline_months: int
    tests: int
    anomalies: int
    peer_anomalies: int
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
            peer_test=PEER_TEST_NAME,
            baseline_months=report.baseline_months,
            tests=report.tests,
            anomalies=report.anomalies,
            peer_anomalies=report.peer_anomalies,
            computed_at=report.computed_at,
            grids=[GridOut.of(entry, locale) for entry in view.grids],
        )


class DecisionIn(BaseModel):
    """A community head's decision; declining needs the reason (checked by the service)."""

    reason: str = ""


class RecommendationOut(BaseModel):
    id: int
    month: str
    grid_code: str
    risk_class: str
    name: str
    flagged_by: str
    q_value: float
    proposal: str
    status: str
    reason: str
    plans_changed: int
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, found: Recommendation, locale: str) -> "RecommendationOut":
        name = sentences.class_name(found.risk_class, locale)
        return cls(
            id=found.id,
            month=found.month,
            grid_code=found.grid_code,
            risk_class=found.risk_class,
            name=name,
            flagged_by=found.flagged_by,
            q_value=found.q_value,
            proposal=translate(
                "analysis_recommendation.proposal", locale, grid=found.grid_code, risk=name
            ),
            status=found.status,
            reason=found.reason,
            plans_changed=found.plans_changed,
            decided_by=found.decided_by,
            decided_at=found.decided_at,
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
