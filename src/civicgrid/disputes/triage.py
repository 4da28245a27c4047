"""Escalation triage: a score of the *dispute* from its own facts, every factor shown.

The factor set is closed and holds only facts of the dispute itself: threat or
violence words in its own texts, failed sessions, how many parties, the amount,
how long it has run and how often the same parties or case came back. No
attribute of a person (ethnicity, religion, gender, age) is an input: the
input type has no field for one, and a weight for anything outside the set is
refused. A person reads the reasons and decides; a high score only alerts the
centre, once per dispute.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_city_admin, require_role
from civicgrid.disputes.models import (
    Dispute,
    DisputeParty,
    MediationSession,
    SessionResult,
    TriageSetting,
)
from civicgrid.disputes.roles import TRIAGE_KEEPERS, TRIAGE_READERS
from civicgrid.divisions import Level, level_of, parent_code
from civicgrid.errors import Invalid
from civicgrid.i18n import translate
from civicgrid.masking import mask_personal_data
from civicgrid.notify import service as notify
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc

WORDS_FILE = Path(__file__).parent / "data" / "threat_words.json"
ALERT_EVENT = "dispute.escalation_alert"
THRESHOLD = "alert_threshold"
DEFAULT_WEIGHTS: dict[str, float] = {
    "threat_words": 20.0,
    "failed_sessions": 10.0,
    "parties": 2.0,
    "amount_10k_yuan": 1.0,
    "days_open": 0.2,
    "repeat_reports": 15.0,
}
DEFAULT_THRESHOLD = 40.0


@dataclass(frozen=True)
class TriageInput:
    """Everything the score may read: the dispute's own facts, and nothing about a person."""

    threat_words: tuple[str, ...]
    failed_sessions: int
    parties: int
    amount_10k_yuan: float
    days_open: int
    repeat_reports: int


FACTORS: tuple[str, ...] = tuple(field.name for field in fields(TriageInput))


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    contribution: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Triage:
    score: float
    threshold: float
    factors: tuple[Factor, ...]

    @property
    def alert(self) -> bool:
        return self.score >= self.threshold


@cache
def threat_words() -> tuple[str, ...]:
    """The word list is data beside this module, so a city can adapt it without code."""
    with WORDS_FILE.open(encoding="utf-8") as handle:
        return tuple(json.load(handle)["words"])


def words_in(texts: list[str]) -> tuple[str, ...]:
    joined = "\n".join(texts)
    return tuple(word for word in threat_words() if word in joined)


def score(data: TriageInput, weights: Mapping[str, float], threshold: float) -> Triage:
    """Each factor's value times its weight; the score is their sum."""
    factors = tuple(_factor(data, name, weights[name]) for name in FACTORS)
    total = round(sum(factor.contribution for factor in factors), 2)
    return Triage(score=total, threshold=threshold, factors=factors)


def _factor(data: TriageInput, name: str, weight: float) -> Factor:
    raw = getattr(data, name)
    evidence = raw if isinstance(raw, tuple) else ()
    value = float(len(raw)) if isinstance(raw, tuple) else float(raw)
    return Factor(name, value, weight, round(value * weight, 2), evidence)


def settings_of(db: Session) -> dict[str, float]:
    """The weights and threshold in force: the defaults, overridden by what an admin stored."""
    stored = {row.name: row.value for row in db.scalars(select(TriageSetting))}
    return {**DEFAULT_WEIGHTS, THRESHOLD: DEFAULT_THRESHOLD, **stored}


def read_settings(db: Session, actor: Actor) -> dict[str, float]:
    """The staff who act on scores may see how they are made."""
    require_role(actor, TRIAGE_READERS)
    return settings_of(db)


def set_settings(db: Session, actor: Actor, changes: Mapping[str, float]) -> dict[str, float]:
    """Store weights and threshold; a key outside the closed factor set is refused.

    The weights rank every dispute of the city, so only a city administrator sets them.
    """
    require_role(actor, TRIAGE_KEEPERS)
    require_city_admin(actor)
    known = (*FACTORS, THRESHOLD)
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise Invalid(
            "dispute_triage_factor_unknown", factor=", ".join(unknown), known=", ".join(known)
        )
    negative = sorted(name for name, value in changes.items() if value < 0)
    if negative:
        raise Invalid("dispute_triage_weight_negative", factor=", ".join(negative))
    before = settings_of(db)
    for name, value in changes.items():
        db.merge(TriageSetting(name=name, value=float(value)))
    db.flush()
    after = settings_of(db)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.TRIAGE_SETTINGS,
        action="update",
        target="dispute_triage",
        before=before,
        after=after,
    )
    return after


def gather(db: Session, dispute: Dispute, now: datetime) -> TriageInput:
    """Read the dispute's own facts from its rows."""
    records = db.scalars(
        select(MediationSession.record).where(MediationSession.dispute_id == dispute.id)
    )
    failed = db.scalar(
        select(func.count()).where(
            MediationSession.dispute_id == dispute.id,
            MediationSession.result == SessionResult.FAILED.value,
        )
    )
    parties = db.scalar(select(func.count()).where(DisputeParty.dispute_id == dispute.id))
    ended = dispute.closed_at or now
    return TriageInput(
        threat_words=words_in([dispute.description, *records]),
        failed_sessions=int(failed or 0),
        parties=int(parties or 0),
        amount_10k_yuan=float(Decimal(dispute.amount) / 10000),
        days_open=max(0, (as_utc(ended) - as_utc(dispute.created_at)).days),
        repeat_reports=repeat_reports(db, dispute),
    )


def repeat_reports(db: Session, dispute: Dispute) -> int:
    """Other disputes with a party of the same phone or ID number, or on the same case.

    Counted across every area: a quarrel that moved districts is still a repeat.
    """
    own = select(DisputeParty.phone_index, DisputeParty.document_index).where(
        DisputeParty.dispute_id == dispute.id
    )
    phones = [phone for phone, _ in db.execute(own) if phone is not None]
    documents = [document for _, document in db.execute(own) if document is not None]
    same_party = select(DisputeParty.dispute_id).where(
        or_(DisputeParty.phone_index.in_(phones), DisputeParty.document_index.in_(documents))
    )
    same_case = (
        Dispute.case_number == dispute.case_number if dispute.case_number else Dispute.id.is_(None)
    )
    query = select(func.count()).where(
        Dispute.id != dispute.id, or_(Dispute.id.in_(same_party), same_case)
    )
    return int(db.scalar(query) or 0)


def assess(db: Session, dispute: Dispute, now: datetime) -> Triage:
    current = settings_of(db)
    return score(gather(db, dispute, now), current, current[THRESHOLD])


def alert_if_high(db: Session, dispute: Dispute, now: datetime) -> bool:
    """Alert the centre above the dispute's area the first time its score reaches the threshold.

    The mark is a conditional update, so two requests racing past the threshold alert once.
    """
    triage = assess(db, dispute, now)
    if not triage.alert or dispute.alerted_at is not None:
        return False
    took = db.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.alerted_at.is_(None))
        .values(alerted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not took:
        return False
    dispute.alerted_at = now
    locale = get_settings().default_locale
    notify.enqueue_notice(
        db,
        event=ALERT_EVENT,
        user_ids=centre_dispatchers(db, dispute.region_code),
        title=translate("dispute.alert.title", locale, number=dispute.number, score=triage.score),
        body=mask_personal_data(dispute.description),
        now=now,
    )
    return True


def centre_dispatchers(db: Session, region_code: str) -> list[int]:
    """Dispatchers of the nearest centre above the area: the street, else further up."""
    code: str | None = region_code
    while code and level_of(code) in {Level.GRID, Level.COMMUNITY}:
        code = parent_code(code)
    while code:
        found = notify.dispatchers_of(db, code)
        if found:
            return found
        code = parent_code(code)
    return []
