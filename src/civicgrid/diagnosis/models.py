"""Stored monthly reports, so months can be compared and read without recomputing."""

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
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
    residents: Mapped[int | None] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)


class MonthlyRisk(Base):
    """A grid × risk class in a month, with its anomaly test (p) and FDR-adjusted q."""

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
