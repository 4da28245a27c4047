"""External sources and the records imported from them, stripped of personal data."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class SourceKind(StrEnum):
    """The systems whose exports the platform takes in."""

    POLICE_110 = "police_110"
    HOTLINE_12345 = "hotline_12345"
    PETITION = "petition"


class ExternalSource(Base):
    """One exporting system as an administrator set it up: which column is what, and which
    of its own types is which of the 29 risk classes (`mapping`, see `sources.mapping`)."""

    __tablename__ = "external_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ExternalRecord(Base):
    """One imported record: where, when and what kind of risk, never who.

    No names, phones, ID numbers, addresses, points or free text: the importer reads only
    the mapped columns and masks digit runs in the short texts it keeps. A record with a
    point or an address the place search resolves keeps only that place's H3 cell
    (`civicgrid.hexcells`) and the compound it falls in, as an archived case does. The
    source's own id makes a second import of the same file add nothing.
    """

    __tablename__ = "external_records"
    __table_args__ = (UniqueConstraint("source_id", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The unique (source_id, record_id) pair's index serves lookups by source too.
    source_id: Mapped[int] = mapped_column(ForeignKey("external_sources.id", ondelete="RESTRICT"))
    record_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(15))
    risk_class: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(40), default="")
    h3_cell: Mapped[str | None] = mapped_column(String(16))
    # No foreign key: a compound's address may be merged or removed; the id is a label.
    compound_id: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
