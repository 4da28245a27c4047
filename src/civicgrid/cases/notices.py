"""Who hears about a case: the inbox messages and webhook calls each case event queues.

Which status tells whom is the `tells` column of the states table; this module
turns that audience into user ids and the case into the words and the body a
message carries, and hands both to the generic outbox (`notify.service`),
inside the caller's transaction.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import User
from civicgrid.cases.models import Case
from civicgrid.cases.sla import centre_above, handling_centre
from civicgrid.cases.states import CASE_EVENTS, STATES, Audience
from civicgrid.i18n import translate
from civicgrid.notify import service as notify
from civicgrid.notify.models import OutboxMessage
from civicgrid.settings import get_settings
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

URGED = "case.urged"
SUPERVISED = "case.supervised"
# The events a webhook may subscribe to: every status's, and the urges and 督办.
WEBHOOK_EVENTS = CASE_EVENTS | {URGED, SUPERVISED}
notify.publish_events(WEBHOOK_EVENTS)


def enqueue(
    db: Session, *, event: str, case: Case, user_ids: Iterable[int], now: datetime
) -> list[OutboxMessage]:
    """Queue an event for the given users' inboxes and every webhook that subscribed to it."""
    recipients = sorted(set(user_ids))
    messages = []
    if recipients:
        messages = notify.enqueue_notice(
            db,
            event=event,
            user_ids=recipients,
            title=_title(event, case),
            body=case.description,
            now=now,
            case_id=case.id,
        )
    messages += notify.enqueue_webhook_calls(
        db,
        event=event,
        region_code=case.region_code,
        body=event_body(event, case, now),
        now=now,
        case_id=case.id,
    )
    return messages


def _title(event: str, case: Case) -> str:
    due = _local(case.stage_due_at) if case.stage_due_at else ""
    return translate(f"notify.{event}", get_settings().default_locale, number=case.number, due=due)


def enqueue_case_event(db: Session, case: Case, event: str, now: datetime) -> list[OutboxMessage]:
    """Queue a case event for the people it concerns (see `concerned_users`) and webhooks."""
    return enqueue(db, event=event, case=case, user_ids=concerned_users(db, case, event), now=now)


def prepare_case_events(db: Session) -> None:
    """Read what queuing a case event reads of every case (the active webhooks) ahead, so that
    intake does not make the look-up while holding its case-number lock."""
    notify.active_webhooks(db)


def concerned_users(db: Session, case: Case, event: str) -> list[int]:
    """Who must hear of a status's event in their inbox; the rest go to webhooks only."""
    audience = AUDIENCE_OF_EVENT.get(event, Audience.NOBODY)
    return HEARERS[audience](db, case)


def department_users(db: Session, case: Case) -> list[int]:
    """Everyone active in the department that now holds the case."""
    if case.department_id is None:
        return []
    query = select(User.id).where(User.department_id == case.department_id, User.active)
    return list(db.scalars(query))


def _handling_dispatchers(db: Session, case: Case) -> list[int]:
    return notify.dispatchers_of(db, handling_centre(case))


def _dispatchers_above(db: Session, case: Case) -> list[int]:
    return notify.dispatchers_of(db, centre_above(case))


def reporters(db: Session, case: Case) -> list[int]:
    """The reporting user, and the reporters of every case merged into this one (transitively)."""
    found: set[int] = set()
    frontier = [case.id]
    seen = set(frontier)
    while frontier:
        rows = db.execute(
            select(Case.id, Case.reporter_user_id).where(
                (Case.id.in_(frontier)) | (Case.merged_into_id.in_(frontier))
            )
        ).all()
        found.update(user_id for _, user_id in rows if user_id is not None)
        frontier = [case_id for case_id, _ in rows if case_id not in seen]
        seen.update(frontier)
    return sorted(found)


def _nobody(db: Session, case: Case) -> list[int]:
    return []


HEARERS: dict[Audience, Callable[[Session, Case], list[int]]] = {
    Audience.NOBODY: _nobody,
    Audience.DEPARTMENT: department_users,
    Audience.HANDLING_CENTRE: _handling_dispatchers,
    Audience.CENTRE_ABOVE: _dispatchers_above,
    Audience.REPORTERS: reporters,
}
AUDIENCE_OF_EVENT = {row.event: row.tells for row in STATES.values()}


def event_body(event: str, case: Case, now: datetime) -> dict[str, Any]:
    """What a webhook receives: the event and the case as it stood (no reporter's contact)."""
    return {
        "event": event,
        "occurred_at": as_utc(now).isoformat(),
        "case": {
            "number": case.number,
            "status": case.status,
            "channel": case.channel,
            "category_code": case.category_code,
            "priority": case.priority,
            "region_code": case.region_code,
            "grid_code": case.grid_code,
            "handling_region_code": case.handling_region_code,
            "stage": case.stage,
            "stage_due_at": as_utc(case.stage_due_at).isoformat() if case.stage_due_at else None,
            "description": case.description,
        },
    }


def _local(moment: datetime) -> str:
    return f"{as_utc(moment).astimezone(DISPLAY_ZONE):%Y-%m-%d %H:%M}"
