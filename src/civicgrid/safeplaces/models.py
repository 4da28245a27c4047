"""The stored monthly safe-place lists: one header per month, one row per place."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class PlaceLevel(StrEnum):
    COMMUNITY = "community"
    COMPOUND = "compound"


class PlaceStatus(StrEnum):
    SAFE = "safe"  # no event of the list's classes in the month: 零发案
    NOT_SAFE = "not_safe"
    UNLOCATED = "unlocated"  # a compound with no point: no event could be attributed to it


class SafePlaceList(Base):
    """A month's list: which risk classes it counts and when it was computed."""

    __tablename__ = "safe_place_lists"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    classes: Mapped[list[Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SafePlace(Base):
    """A community's or compound's month. Once published (by the leader of an area that
    holds it) the row is fixed: the month's list is never computed again."""

    __tablename__ = "safe_places"
    __table_args__ = (
        UniqueConstraint("month", "level", "place_code"),
        Index("ix_safe_places_month_region", "month", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(ForeignKey("safe_place_lists.month", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(12))
    # A community's region code, or a compound's house-number address id.
    place_code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(400))
    region_code: Mapped[str] = mapped_column(String(15))
    events: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    published_by: Mapped[str | None] = mapped_column(String(120))
