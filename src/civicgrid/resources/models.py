"""Emergency resources: where each is, what it is, whom to call, and whose area it is in."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class ResourceKind(StrEnum):
    SHELTER = "shelter"
    FIRE_STATION = "fire_station"
    MEDICAL = "medical"
    RESCUE_TEAM = "rescue_team"
    VOLUNTEER_TEAM = "volunteer_team"
    EQUIPMENT = "equipment"
    WAREHOUSE = "warehouse"
    OTHER = "other"


class Resource(Base):
    """One place, team or piece of equipment on the map; `region_code` is its grid or area."""

    __tablename__ = "emergency_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    contact: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
