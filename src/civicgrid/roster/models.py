"""One person on duty at one centre for one day's shift."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class DutyAssignment(Base):
    """`region_code` is the centre's region (a city, district or street); `day` the Beijing
    date the shift starts on (a night shift runs into the next morning)."""

    __tablename__ = "duty_assignments"
    __table_args__ = (
        UniqueConstraint("region_code", "day", "shift", "user_id", name="uq_duty_assignment"),
        Index("ix_duty_assignments_day_region", "day", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
