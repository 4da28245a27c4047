"""The case taxonomy: two levels, each category carrying its time limits and handling hints."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class Category(Base):
    """A level-1 group (parent None) or a level-2 category that cases are filed under.

    `sla_hours` maps a workflow stage (accept, dispatch, claim, resolve, verify,
    close) to the hours it may take, counted as natural or working hours per
    `hour_basis`. `default_departments` maps a level (city, district) to a
    department kind. `risk_class` names one of the 29 grid-analysis classes.
    """

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("categories.code", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="builtin")
    sla_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hour_basis: Mapped[str] = mapped_column(String(16), default="working")
    default_departments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    self_resolvable: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_class: Mapped[str | None] = mapped_column(String(40))
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    attributes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Every edit moves it on, so readers can tell a cached taxonomy is out of date.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class TaxonomyInForce(Base):
    """Which taxonomy the city files cases under: one row, absent until a city admin chooses.

    `choice` is one of `in_force.CHOICES`; without the row every active category
    is in force, as before the setting existed.
    """

    __tablename__ = "taxonomy_in_force"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    choice: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
