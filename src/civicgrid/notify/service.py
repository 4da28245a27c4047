"""The outbox: what a case event should tell whom, written in the caller's transaction.

Nothing leaves the process here. Each message is a row committed (or rolled
back) together with the change it reports, and the worker delivers it after
commit (`notify.delivery`), so a notification never announces a change that
did not happen and a committed change is never left unannounced.
"""

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.cases.models import Case
from civicgrid.cases.sla import STAGE_OF_STATUS, centre_above, handling_centre
from civicgrid.db import transaction_memo
from civicgrid.divisions import contains, normalise_code
from civicgrid.errors import Invalid, NotFound
from civicgrid.i18n import translate
from civicgrid.notify.models import Notification, OutboxMessage, Webhook
from civicgrid.notify.roles import WEBHOOK_KEEPERS
from civicgrid.settings import get_settings
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

NOTIFICATION = "notification"
WEBHOOK = "webhook"
URGED = "case.urged"
SUPERVISED = "case.supervised"
CASE_EVENTS = frozenset({f"case.{status}" for status in STAGE_OF_STATUS} | {URGED, SUPERVISED})
BODY_CHARS = 200


def case_event(status: str) -> str:
    return f"case.{status}"


def enqueue(
    db: Session, *, event: str, case: Case, user_ids: Iterable[int], now: datetime
) -> list[OutboxMessage]:
    """Queue an event for the given users' inboxes and every webhook that subscribed to it."""
    messages = [_notification(event, case, user_id, now) for user_id in sorted(set(user_ids))]
    messages += [_webhook_call(event, case, hook, now) for hook in subscribers(db, case, event)]
    db.add_all(messages)
    return messages


def enqueue_notice(
    db: Session, *, event: str, user_ids: Iterable[int], title: str, body: str, now: datetime
) -> list[OutboxMessage]:
    """Inbox messages about something other than a case (a dispute's alert), delivered alike."""
    payload = {"title": title, "body": body[:BODY_CHARS]}
    messages = [
        _message(NOTIFICATION, event, None, target=str(user_id), payload=payload, now=now)
        for user_id in sorted(set(user_ids))
    ]
    db.add_all(messages)
    return messages


def enqueue_case_event(db: Session, case: Case, event: str, now: datetime) -> list[OutboxMessage]:
    """Queue a case event for the people it concerns (see `concerned_users`) and webhooks."""
    return enqueue(db, event=event, case=case, user_ids=concerned_users(db, case, event), now=now)


def concerned_users(db: Session, case: Case, event: str) -> list[int]:
    """Who must hear of an event in their inbox; events not listed go to webhooks only."""
    audience = AUDIENCE.get(event)
    return audience(db, case) if audience else []


def department_users(db: Session, case: Case) -> list[int]:
    """Everyone active in the department that now holds the case."""
    if case.department_id is None:
        return []
    query = select(User.id).where(User.department_id == case.department_id, User.active)
    return list(db.scalars(query))


def dispatchers_of(db: Session, centre_code: str) -> list[int]:
    """The dispatchers sitting at one centre (their scope is exactly that region)."""
    query = select(User.id).where(
        User.role == Role.DISPATCHER.value, User.scope_code == centre_code, User.active
    )
    return list(db.scalars(query))


def _handling_dispatchers(db: Session, case: Case) -> list[int]:
    return dispatchers_of(db, handling_centre(case))


def _dispatchers_above(db: Session, case: Case) -> list[int]:
    return dispatchers_of(db, centre_above(case))


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


AUDIENCE: dict[str, Callable[[Session, Case], list[int]]] = {
    "case.dispatched": department_users,
    "case.returned": _handling_dispatchers,
    "case.escalated": _dispatchers_above,
    "case.rejected": reporters,
    "case.resolved": reporters,
    "case.closed": reporters,
}


def subscribers(db: Session, case: Case, event: str) -> list[Webhook]:
    """Active webhooks whose region contains the case and whose events include this one."""
    hooks = transaction_memo(
        db,
        "notify.active_webhooks",
        lambda: list(db.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))),
    )
    return [
        hook
        for hook in hooks
        if _covers(hook.region_code, case.region_code) and (not hook.events or event in hook.events)
    ]


def _covers(hook_region: str, case_region: str) -> bool:
    """A blank region is the whole country (a national administrator's webhook)."""
    return not hook_region or contains(hook_region, case_region)


def _notification(event: str, case: Case, user_id: int, now: datetime) -> OutboxMessage:
    locale = get_settings().default_locale
    due = _local(case.stage_due_at) if case.stage_due_at else ""
    payload = {
        "title": translate(f"notify.{event}", locale, number=case.number, due=due),
        "body": case.description[:BODY_CHARS],
    }
    return _message(NOTIFICATION, event, case, target=str(user_id), payload=payload, now=now)


def _webhook_call(event: str, case: Case, hook: Webhook, now: datetime) -> OutboxMessage:
    return _message(
        WEBHOOK, event, case, target=str(hook.id), payload=event_body(event, case, now), now=now
    )


def _message(
    kind: str,
    event: str,
    case: Case | None,
    *,
    target: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        event=event,
        case_id=case.id if case is not None else None,
        target=target,
        payload=payload,
        status="pending",
        attempts=0,
        available_at=as_utc(now),
        last_error="",
        created_at=as_utc(now),
    )


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


def inbox(db: Session, actor: Actor, *, limit: int = 100) -> list[Notification]:
    """The actor's own notifications, unread first, newest first within each."""
    query = (
        select(Notification)
        .where(Notification.user_id == _inbox_owner(actor))
        .order_by(Notification.read_at.is_not(None), Notification.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def mark_read(db: Session, actor: Actor, notification_id: int, now: datetime) -> Notification:
    """Only the owner may mark a notification; anyone else's is simply not found."""
    notification = db.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == _inbox_owner(actor)
        )
    )
    if notification is None:
        raise NotFound("notification_not_found", id=notification_id)
    if notification.read_at is None:
        notification.read_at = as_utc(now)
    db.flush()
    return notification


def _inbox_owner(actor: Actor) -> int:
    if actor.user_id is None:
        raise Invalid("inbox_needs_user")
    return actor.user_id


def list_webhooks(db: Session, actor: Actor) -> list[Webhook]:
    require_role(actor, WEBHOOK_KEEPERS)
    query = select(Webhook).where(in_scope(actor, Webhook.region_code)).order_by(Webhook.id)
    return list(db.scalars(query))


def create_webhook(
    db: Session,
    actor: Actor,
    *,
    name: str,
    url: str,
    events: list[str],
    region_code: str | None,
) -> Webhook:
    """Register a receiver inside the actor's jurisdiction with a fresh signing secret."""
    require_role(actor, WEBHOOK_KEEPERS)
    _require_url(url)
    unknown = sorted(set(events) - CASE_EVENTS)
    if unknown:
        raise Invalid(
            "webhook_event_unknown", events=", ".join(unknown), known=", ".join(sorted(CASE_EVENTS))
        )
    region = _webhook_region(actor, region_code)
    hook = Webhook(
        name=name.strip(),
        url=url,
        secret=secrets.token_urlsafe(32),
        events=sorted(set(events)),
        region_code=region,
        active=True,
    )
    db.add(hook)
    db.flush()
    return hook


def _require_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Invalid("webhook_url_invalid", url=url)


def _webhook_region(actor: Actor, region_code: str | None) -> str:
    """A webhook sees cases in one region, which must lie inside the actor's own."""
    region = normalise_code(region_code) if region_code is not None else actor.scope_code or ""
    if not may_see(actor, region):
        raise Invalid("webhook_region_outside_scope", code=region)
    return region


def delete_webhook(db: Session, actor: Actor, webhook_id: int) -> None:
    require_role(actor, WEBHOOK_KEEPERS)
    hook = db.scalar(
        select(Webhook).where(Webhook.id == webhook_id, in_scope(actor, Webhook.region_code))
    )
    if hook is None:
        raise NotFound("webhook_not_found", id=webhook_id)
    db.delete(hook)
    db.flush()
