"""How far each source has been archived."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class ArchiveWatermark(Base):
    """The last id of a source whose batch is wholly in the archive.

    Moved only after the batch's files are renamed into place (see `archive.store`).
    """

    __tablename__ = "archive_watermarks"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
