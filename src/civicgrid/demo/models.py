"""How far the demo's year of cases has been filled."""

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class DemoFill(Base):
    """The year the demo fills in the background, and how many of its cases are stored.

    The filler moves `done` in the same transaction as each batch of cases, so a demo
    stopped mid-fill resumes after the last stored case, never repeating one. The
    window is kept because the year ends when the demo was built, not when it resumes.
    """

    __tablename__ = "demo_fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seed: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
