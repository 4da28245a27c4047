"""What the consultation routes answer: matches that cite their source, and policy files."""

from datetime import date, datetime

from pydantic import BaseModel

from civicgrid.consult.service import Match
from civicgrid.i18n import translate
from civicgrid.timeutil import DISPLAY_ZONE, as_utc


class MatchOut(BaseModel):
    """One past answer: the public text, the answer given, and where it comes from."""

    kind: str
    source: str
    citation: str
    title: str
    text: str
    answer: str
    answered_by: str
    category_code: str | None
    outcome: str
    day: date
    score: float
    reasons: list[str]

    @classmethod
    def of(cls, match: Match, locale: str) -> "MatchOut":
        document = match.document
        return cls(
            kind=document.kind,
            source=document.source_ref,
            citation=citation(document.kind, document.source_ref, document.title, locale),
            title=document.title,
            text=document.body,
            answer=document.answer,
            answered_by=document.answered_by,
            category_code=document.category_code,
            outcome=document.outcome,
            day=as_utc(document.source_time).astimezone(DISPLAY_ZONE).date(),
            score=match.score,
            reasons=[
                translate(f"consult.reason.{reason.code}", locale, **reason.params)
                for reason in match.reasons
            ],
        )


def citation(kind: str, source_ref: str, title: str, locale: str) -> str:
    """案件 2026…, 纠纷 …, 留言 …, or 《title》第 n 段: every answer names where it is from."""
    if kind == "knowledge":
        passage = source_ref.partition("#")[2]
        return translate("consult.cite.knowledge", locale, title=title, passage=passage)
    return translate(f"consult.cite.{kind}", locale, ref=source_ref)


class ConsultationOut(BaseModel):
    matches: list[MatchOut]
    draft: str


class KnowledgeOut(BaseModel):
    id: int
    title: str
    filename: str
    file_kind: str
    size: int
    chunk_count: int
    region_code: str
    uploaded_by: str
    created_at: datetime
