"""The consultation engine's tables: what it may answer from, and the uploaded policies.

`consult_documents` holds one row per answerable thing (a closed case, a finished
dispute, an answered question brought in from elsewhere, a chunk of a policy),
already masked and split into jieba words: the BM25 index on disk is rebuilt
from these rows alone, so the rows are the truth and the index a cache.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class KnowledgeDocument(Base):
    """A policy or FAQ an administrator uploaded; its text lives in its chunks."""

    __tablename__ = "knowledge_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    chunk_count: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ConsultDocument(Base):
    """One answerable text: its public words, the answer it carries and where it came from.

    `kind` is case, dispute, answered (a replied question from another system) or
    knowledge; `source_ref` names the source within its kind (a case or dispute
    number, an import's own id, `<document id>#<chunk>`).
    """

    __tablename__ = "consult_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    source_ref: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(15))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(120), default="")
    category_code: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40), default="")
    source_time: Mapped[datetime] = mapped_column(UtcDateTime())
    tokens: Mapped[str] = mapped_column(Text)
    knowledge_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (UniqueConstraint("kind", "source_ref"),)
