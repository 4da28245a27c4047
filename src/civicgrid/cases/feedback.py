"""What residents say after a case closes: a rating, call-backs (回访), and tracking by number.

A resident proves a case is theirs by their account or by the phone number they
reported with; anyone else is told the case does not exist, so a number and a
guessed phone reveal nothing. An unsatisfied rating or call-back soon after
closing reopens the case (返工), a limited number of times.
"""

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, may_see
from civicgrid.auth.service import require_role
from civicgrid.cases.duplicates import merge_chain, surviving_case
from civicgrid.cases.models import Case, CaseFeedback
from civicgrid.cases.reporters import phone_index
from civicgrid.cases.roles import CALLBACK_ROLES, FEEDBACK_READERS
from civicgrid.cases.service import history
from civicgrid.cases.states import CLOSED, Status
from civicgrid.cases.workflow import Change, actor_label, transition
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.i18n import translate
from civicgrid.settings import Settings, get_settings
from civicgrid.timeutil import as_utc, utcnow

RATINGS = range(1, 6)


@dataclass(frozen=True)
class Outcome:
    feedback: CaseFeedback
    case: Case
    reopened: bool


@dataclass(frozen=True)
class Step:
    """One public step of a case's history: what it became and when, nothing of who or why."""

    status: str
    at: datetime


@dataclass(frozen=True)
class Tracking:
    """What a resident sees of their case; `case` is the surviving case when it was merged."""

    number: str
    case: Case
    merged_into: str | None
    timeline: list[Step]


def phone_matches(given: str | None, stored_index: bytes | None) -> bool:
    """Compared as blind indexes in constant time, so the time taken leaks nothing."""
    wanted = phone_index(given)
    return bool(wanted and stored_index) and hmac.compare_digest(wanted or b"", stored_index or b"")


def reporter_case(db: Session, *, number: str, phone: str | None, actor: Actor) -> Case:
    """The case, if the caller is its reporter (signed in, or giving the reported phone)."""
    case = db.scalar(select(Case).where(Case.number == number))
    by_phone = phone_matches(phone, case.reporter_phone_index if case else None)
    if case is None or not (by_phone or _is_reporting_user(case, actor)):
        raise NotFound("case_not_found", number=number)
    return case


def _is_reporting_user(case: Case, actor: Actor) -> bool:
    return (
        actor.kind == "user"
        and actor.user_id is not None
        and actor.user_id == case.reporter_user_id
    )


def track(db: Session, *, number: str, phone: str | None, actor: Actor) -> Tracking:
    """A reporter's view of their case, following it into the case it was merged into."""
    case = reporter_case(db, number=number, phone=phone, actor=actor)
    chain = merge_chain(db, case)
    merged_into = chain[-1].number if len(chain) > 1 else None
    return Tracking(
        number=case.number, case=chain[-1], merged_into=merged_into, timeline=_timeline(db, chain)
    )


def _timeline(db: Session, chain: list[Case]) -> list[Step]:
    """Each case's steps, and of each case merged into, only those after the merge."""
    steps: list[Step] = []
    since: datetime | None = None
    for link in chain:
        actions = history(db, link)
        steps.extend(
            Step(action.to_status, as_utc(action.created_at))
            for action in actions
            if since is None or as_utc(action.created_at) > since
        )
        since = as_utc(actions[-1].created_at) if actions else since
    return steps


def rate(
    db: Session,
    *,
    number: str,
    rating: int,
    comment: str = "",
    phone: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Outcome:
    """The reporter rates their closed case (CLOSED → RATED); a poor rating may reopen it.

    The caller commits.
    """
    now = now or utcnow()
    case = reporter_case(db, number=number, phone=phone, actor=actor)
    _require_rating(rating)
    _require_rateable(db, case)
    resident = _reporter_actor(case, actor)
    note = translate("feedback.rating_note", get_settings().default_locale, rating=rating)
    transition(
        db, case_id=case.id, change=Change(to=Status.RATED, note=note), actor=resident, now=now
    )
    feedback = _record(
        db, case, kind="rating", rating=rating, comment=comment, actor=resident, now=now
    )
    reopened = _reopen_if_unsatisfied(db, case, rating, now)
    return Outcome(feedback, case, reopened)


def _require_rating(rating: int | None) -> None:
    if rating is not None and rating not in RATINGS:
        raise Invalid("rating_out_of_range", low=RATINGS[0], high=RATINGS[-1])


def _require_rateable(db: Session, case: Case) -> None:
    status = Status(case.status)
    if status is Status.MERGED:
        raise Conflict(
            "rating_merged_case", number=case.number, survivor=surviving_case(db, case).number
        )
    if status is Status.RATED:
        raise Conflict("rating_already_given", number=case.number)
    if status is not Status.CLOSED:
        raise Conflict("rating_requires_closed", number=case.number)


def _reporter_actor(case: Case, actor: Actor) -> Actor:
    """The reporter as the one transition door sees them, for this one case only.

    A rating moves the case through `workflow.transition`, which checks role and
    jurisdiction like any other change. A resident has no jurisdiction of their
    own, but the reporter has just proved this case is theirs, so they act as a
    resident whose scope is exactly the case's region: enough to pass the door
    for this case. The actor is made for this call and never leaves the module.
    """
    if _is_reporting_user(case, actor):
        return replace(actor, role=Role.RESIDENT, scope_code=case.region_code)
    return Actor(kind="reporter", role=Role.RESIDENT, scope_code=case.region_code)


def _system_actor(case: Case) -> Actor:
    """The reopen rule acts by itself, with the dispatch centre's right to reopen this case."""
    return Actor(kind="system", role=Role.DISPATCHER, scope_code=case.region_code)


def record_callback(
    db: Session,
    *,
    case: Case,
    actor: Actor,
    reached: bool,
    rating: int | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Outcome:
    """Staff record a call-back to the reporter of a closed or rated case; the caller commits."""
    now = now or utcnow()
    require_role(actor, CALLBACK_ROLES)
    if not may_see(actor, case.region_code):
        raise NotFound("case_not_found", number=case.number)
    if Status(case.status) not in CLOSED:
        raise Conflict("callback_requires_closed", number=case.number)
    if rating is not None and not reached:
        raise Invalid("callback_rating_unreached")
    _require_rating(rating)
    feedback = _record(
        db,
        case,
        kind="callback",
        rating=rating,
        comment=comment,
        actor=actor,
        now=now,
        reached=reached,
    )
    reopened = rating is not None and _reopen_if_unsatisfied(db, case, rating, now)
    return Outcome(feedback, case, reopened)


def _record(
    db: Session,
    case: Case,
    *,
    kind: str,
    rating: int | None,
    comment: str,
    actor: Actor,
    now: datetime,
    reached: bool | None = None,
) -> CaseFeedback:
    feedback = CaseFeedback(
        case_id=case.id,
        kind=kind,
        rating=rating,
        reached=reached,
        comment=comment.strip(),
        actor=actor_label(actor),
        created_at=now,
    )
    db.add(feedback)
    db.flush()
    return feedback


def reopen_due(case: Case, rating: int, now: datetime, settings: Settings) -> bool:
    """Whether an unsatisfied verdict reopens the case: soon after closing, and not too often."""
    if rating > settings.reopen_rating_at_most or case.reopen_count >= settings.reopen_limit:
        return False
    if case.closed_at is None:
        return False
    return now - as_utc(case.closed_at) <= timedelta(days=settings.reopen_within_days)


def _reopen_if_unsatisfied(db: Session, case: Case, rating: int, now: datetime) -> bool:
    settings = get_settings()
    if not reopen_due(case, rating, now, settings):
        return False
    note = translate("feedback.reopen_note", settings.default_locale, rating=rating)
    change = Change(to=Status.REOPENED, note=note)
    transition(db, case_id=case.id, change=change, actor=_system_actor(case), now=now)
    return True


def list_feedback(db: Session, *, case: Case, actor: Actor) -> list[CaseFeedback]:
    """Ratings and call-backs of one case, oldest first, for staff whose jurisdiction holds it."""
    require_role(actor, FEEDBACK_READERS)
    if not may_see(actor, case.region_code):
        raise NotFound("case_not_found", number=case.number)
    query = select(CaseFeedback).where(CaseFeedback.case_id == case.id).order_by(CaseFeedback.id)
    return list(db.scalars(query))
