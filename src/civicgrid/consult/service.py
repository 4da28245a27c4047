"""Asking the consultation engine: similar past cases, answered questions, past disputes.

Each verb cuts the question into words, takes the best BM25 matches the
reader's jurisdiction allows (a weight mask on the index, so the top k are
chosen inside it), then reads those documents' sources through the one
jurisdiction filter and the role's reading rule (`cases.access.readable`,
`disputes.access.readable`): the index narrows, the database decides. Answered
questions from other systems and the knowledge base's policies are public text
and are offered to every reader.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, scope_prefix
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable as readable_cases
from civicgrid.cases.duplicates import Reason
from civicgrid.cases.models import Case
from civicgrid.cases.service import visible_case
from civicgrid.cases.states import CLOSED
from civicgrid.consult import engine
from civicgrid.consult.indexing import refresh
from civicgrid.consult.models import ConsultDocument
from civicgrid.consult.roles import CASE_CONSULTERS, DISPUTE_CONSULTERS
from civicgrid.consult.text import question as question_words
from civicgrid.disputes.access import readable as readable_disputes
from civicgrid.disputes.models import Dispute
from civicgrid.disputes.service import visible_dispute
from civicgrid.errors import Invalid
from civicgrid.i18n import translate
from civicgrid.timeutil import as_utc

PUBLIC_KINDS = frozenset({"answered", "knowledge"})
# Matches fetched from the index per match shown: room for those the database turns away.
OVERFETCH = 4
# Shared words shown as the reason for a match.
SHARED_SHOWN = 6
# The reply draft: sentences taken from the best matches' answers, and its length.
DRAFT_SOURCES = 3
DRAFT_MAX_CHARS = 600
MIN_QUESTION_CHARS = 2
MAX_QUESTION_CHARS = 2000
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_READER = engine.Reader()


@dataclass(frozen=True)
class Match:
    document: ConsultDocument
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Consultation:
    matches: list[Match]
    draft: str


def similar_cases(
    db: Session, actor: Actor, number: str, *, root: Path, locale: str, limit: int = 5
) -> Consultation:
    """Closed cases of the reader's area like this one, with the public answers, and a draft."""
    require_role(actor, CASE_CONSULTERS)
    case = visible_case(db, actor, number)
    question = question_words(case.description)
    generation = _generation(db, root)
    mask = generation.mask(scope_prefix(actor.scope_code or ""), frozenset({"case"}), PUBLIC_KINDS)
    hits = engine.top(generation, question, k=(limit + 1) * OVERFETCH, mask=mask)
    allowed = _readable_case_refs(db, actor, _refs(db, hits, "case"))
    allowed.discard(case.number)
    matches = _matches(db, hits, question, allowed, limit=limit, near=case)
    return Consultation(matches=matches, draft=draft(matches, locale=locale))


def answered_questions(db: Session, text: str, *, root: Path, limit: int = 5) -> list[Match]:
    """Questions like the resident's that were answered before, public text only."""
    question = _question(text)
    generation = _generation(db, root)
    kinds = frozenset({"case"}) | PUBLIC_KINDS
    hits = engine.top(
        generation, question, k=limit * OVERFETCH, mask=generation.mask("", kinds, kinds)
    )
    allowed = _still_closed(db, _refs(db, hits, "case"))
    return _matches(db, hits, question, allowed, limit=limit, near=None)


def similar_disputes(
    db: Session, actor: Actor, number: str, *, root: Path, limit: int = 5
) -> list[Match]:
    """类案推送: finished disputes of the reader's area like this one, with their agreements."""
    require_role(actor, DISPUTE_CONSULTERS)
    dispute = visible_dispute(db, actor, number)
    question = question_words(dispute.description)
    generation = _generation(db, root)
    mask = generation.mask(
        scope_prefix(actor.scope_code or ""), frozenset({"dispute"}), frozenset({"knowledge"})
    )
    hits = engine.top(generation, question, k=(limit + 1) * OVERFETCH, mask=mask)
    refs = _refs(db, hits, "dispute")
    allowed = set(
        db.scalars(select(Dispute.number).where(Dispute.number.in_(refs), readable_disputes(actor)))
    )
    allowed.discard(dispute.number)
    return _matches(db, hits, question, allowed, limit=limit, near=None)


def draft(matches: list[Match], *, locale: str) -> str:
    """A reply the handler edits: an opening, the best matches' answers sentence by
    sentence without repeats, and a closing. Empty when no match carried an answer."""
    sentences: list[str] = []
    seen: set[str] = set()
    size = 0
    answered = [match for match in matches if match.document.answer.strip()][:DRAFT_SOURCES]
    for match in answered:
        for piece in _SENTENCE_END.split(match.document.answer.strip()):
            sentence = piece.strip()
            if not sentence or sentence in seen or size + len(sentence) > DRAFT_MAX_CHARS:
                continue
            seen.add(sentence)
            sentences.append(sentence)
            size += len(sentence)
    if not sentences:
        return ""
    opening = translate("consult.draft.opening", locale)
    closing = translate("consult.draft.closing", locale)
    return "\n".join([opening, "".join(sentences), closing])


def _question(text: str) -> list[str]:
    text = text.strip()
    if len(text) < MIN_QUESTION_CHARS or len(text) > MAX_QUESTION_CHARS:
        raise Invalid("consult_question_length", low=MIN_QUESTION_CHARS, high=MAX_QUESTION_CHARS)
    return question_words(text)


def _generation(db: Session, root: Path) -> engine.Generation:
    """The index in force; built here the first time, when no worker has built it yet."""
    generation = _READER.current(root)
    if generation is None:
        refresh(db, root)
        generation = _READER.current(root)
    assert generation is not None
    return generation


def _refs(db: Session, hits: list[tuple[int, float]], kind: str) -> list[str]:
    ids = [document_id for document_id, _ in hits]
    if not ids:
        return []
    query = select(ConsultDocument.source_ref).where(
        ConsultDocument.id.in_(ids), ConsultDocument.kind == kind
    )
    return list(db.scalars(query))


def _readable_case_refs(db: Session, actor: Actor, refs: list[str]) -> set[str]:
    if not refs:
        return set()
    query = select(Case.number).where(
        Case.number.in_(refs),
        Case.status.in_([status.value for status in CLOSED]),
        readable_cases(actor),
    )
    return set(db.scalars(query))


def _still_closed(db: Session, refs: list[str]) -> set[str]:
    """Public answers: a case counts while it stays closed (a reopened one is not an answer)."""
    if not refs:
        return set()
    query = select(Case.number).where(
        Case.number.in_(refs), Case.status.in_([status.value for status in CLOSED])
    )
    return set(db.scalars(query))


def _matches(
    db: Session,
    hits: list[tuple[int, float]],
    question: list[str],
    allowed_sources: set[str],
    *,
    limit: int,
    near: Case | None,
) -> list[Match]:
    """The hits in score order whose sources the reader may see, each with its reasons."""
    documents = _documents(db, [document_id for document_id, _ in hits])
    found: list[Match] = []
    for document_id, score in hits:
        document = documents.get(document_id)
        if document is None or not _allowed(document, allowed_sources):
            continue
        found.append(Match(document, round(score, 3), tuple(_reasons(document, question, near))))
        if len(found) == limit:
            break
    return found


def _allowed(document: ConsultDocument, allowed_sources: set[str]) -> bool:
    return document.kind in PUBLIC_KINDS or document.source_ref in allowed_sources


def _documents(db: Session, ids: Iterable[int]) -> dict[int, ConsultDocument]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = db.scalars(select(ConsultDocument).where(ConsultDocument.id.in_(wanted)))
    return {row.id: row for row in rows}


def _reasons(document: ConsultDocument, question: list[str], near: Case | None) -> list[Reason]:
    """Shared words first; for a case, the same grid or community and how long ago."""
    own = set(document.tokens.split())
    shared = list(dict.fromkeys(word for word in question if word in own and len(word) > 1))
    reasons = (
        [Reason("shared_terms", {"terms": "、".join(shared[:SHARED_SHOWN])})] if shared else []
    )
    if near is not None and document.kind == "case":
        reasons.extend(_place_reasons(document, near))
        reasons.append(
            Reason(
                "closed_days_ago", {"days": _days_between(document.source_time, near.created_at)}
            )
        )
    return reasons


def _place_reasons(document: ConsultDocument, near: Case) -> list[Reason]:
    if document.grid_code and document.grid_code == near.grid_code:
        return [Reason("same_grid", {})]
    community = near.grid_code[:12] if near.grid_code else None
    if community and document.grid_code and document.grid_code.startswith(community):
        return [Reason("same_community", {})]
    return []


def _days_between(earlier: datetime, later: datetime) -> int:
    return max(0, (as_utc(later) - as_utc(earlier)).days)
