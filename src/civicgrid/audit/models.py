"""The administrators' change log: one append-only, hash-chained row per change."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime


class AdminChange(Base):
    """Who changed which setting, account or key, when, and what it was before and after.

    `region_code` is where the change belongs (the account's scope, the rule's
    area, the author's scope for a city-wide setting), so a leader reads the
    changes inside their jurisdiction. `before`/`after` are JSON with personal
    numbers masked; secrets are never passed in. Rows are never updated or deleted.
    """

    __tablename__ = "admin_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(24))
    target: Mapped[str] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(120), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AdminChainHead(Base):
    """The chain's last sequence and hash, one row.

    Appending raises it in one upsert that returns the values before, so two
    concurrent changes queue on this row instead of both linking to the same
    predecessor; the head also shows when rows were cut off the end.
    """

    __tablename__ = "admin_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
