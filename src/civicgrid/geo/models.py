"""Regions of every level, grids included, in one table keyed by national code."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class Region(Base):
    """A province, city, district, street, community or grid.

    Geometry is WKB in WGS-84 so it reads the same from SQLite and PostgreSQL;
    the bounding box sits in plain columns for cheap viewport queries, and a
    simplified GeoJSON copy is kept for drawing.
    """

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(12), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    geometry: Mapped[bytes | None] = mapped_column(LargeBinary)
    display_geojson: Mapped[str | None] = mapped_column(Text)
    min_lng: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lng: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    center_lng: Mapped[float | None] = mapped_column(Float)
    center_lat: Mapped[float | None] = mapped_column(Float)
    generated: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (Index("ix_regions_level_code", "level", "code"),)


class GeoRevision(Base):
    """One row per change to the region tree; append-only.

    Every app process compares the newest id with the one its locator was
    built from, so a grid import in one process refreshes all of them.
    """

    __tablename__ = "geo_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
