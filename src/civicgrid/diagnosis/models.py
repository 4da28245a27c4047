"""Stored monthly reports, so months can be compared and read without recomputing."""

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class MonthlyReport(Base):
    """One month's report header: which engine made it, from how many baseline months."""

    __tablename__ = "analysis_monthly_reports"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    engine: Mapped[str] = mapped_column(String(16))
    baseline_months: Mapped[int] = mapped_column(Integer)
    tests: Mapped[int] = mapped_column(Integer)
    anomalies: Mapped[int] = mapped_column(Integer)
    peer_anomalies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MonthlyGrid(Base):
    """A grid's month: totals, last month, a year ago, residents (if known) and its rank."""

    __tablename__ = "analysis_monthly_grids"

    month: Mapped[str] = mapped_column(
        ForeignKey("analysis_monthly_reports.month", ondelete="CASCADE"), primary_key=True
    )
    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    events: Mapped[int] = mapped_column(Integer)
    previous_month: Mapped[int] = mapped_column(Integer)
    year_ago: Mapped[int] = mapped_column(Integer)
    anomalies: Mapped[int] = mapped_column(Integer)
    peer_anomalies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    residents: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    # Stored as computed, so a month read later shows what was reported then.
    rate_per_1000: Mapped[float | None] = mapped_column(Float)
    rate_per_household: Mapped[float | None] = mapped_column(Float)
    month_on_month_pct: Mapped[float | None] = mapped_column(Float)
    year_on_year_pct: Mapped[float | None] = mapped_column(Float)
    # Device alarms (threshold crossings of sensor readings among them) in the month:
    # a figure beside the events, never added to them (see `report`).
    device_alarms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rank: Mapped[int] = mapped_column(Integer)


class MonthlyRisk(Base):
    """A grid × risk class in a month, with its two anomaly tests: against its own last
    12 months (p, q, anomaly) and against its street's other grids this month (peer_…)."""

    __tablename__ = "analysis_monthly_risks"

    month: Mapped[str] = mapped_column(
        ForeignKey("analysis_monthly_reports.month", ondelete="CASCADE"), primary_key=True
    )
    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    risk_class: Mapped[str] = mapped_column(String(40), primary_key=True)
    events: Mapped[int] = mapped_column(Integer)
    previous_month: Mapped[int] = mapped_column(Integer)
    year_ago: Mapped[int] = mapped_column(Integer)
    baseline_mean: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    q_value: Mapped[float] = mapped_column(Float)
    anomaly: Mapped[bool] = mapped_column(Boolean)
    peer_p_value: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    peer_q_value: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    peer_anomaly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    month_on_month_pct: Mapped[float | None] = mapped_column(Float)
    year_on_year_pct: Mapped[float | None] = mapped_column(Float)


class Recommendation(Base):
    """A flagged grid × class turned into field work: raise the visit and patrol frequency of
    the grid's households and places. A community head accepts (the plans change) or
    declines (with a reason); either way the decision is kept beside the evidence."""

    __tablename__ = "analysis_recommendations"
    __table_args__ = (UniqueConstraint("month", "grid_code", "risk_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    grid_code: Mapped[str] = mapped_column(String(15), index=True)
    risk_class: Mapped[str] = mapped_column(String(40))
    # Which test flagged it ("own", "peer" or "both") and the smaller q-value of those.
    flagged_by: Mapped[str] = mapped_column(String(8))
    q_value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    reason: Mapped[str] = mapped_column(Text, default="")
    plans_changed: Mapped[int] = mapped_column(Integer, default=0)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
