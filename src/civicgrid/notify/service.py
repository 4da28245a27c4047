"""The outbox: inbox messages and webhook calls, written in the caller's transaction.

Nothing leaves the process here. Each message is a row committed (or rolled
back) together with the change it reports, and the worker delivers it after
commit (`notify.delivery`), so a notification never announces a change that
did not happen and a committed change is never left unannounced.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.db import transaction_memo
from civicgrid.divisions import contains, normalise_code
from civicgrid.errors import Invalid, NotFound
from civicgrid.notify.models import Notification, OutboxMessage, Webhook
from civicgrid.notify.roles import WEBHOOK_KEEPERS
from civicgrid.timeutil import as_utc

NOTIFICATION = "notification"
WEBHOOK = "webhook"
BODY_CHARS = 200
# The events webhooks may subscribe to, as the domains that raise them publish them.
_PUBLISHED: set[str] = set()


def publish_events(events: Iterable[str]) -> None:
    """A domain names the events it raises, so that webhooks may subscribe to them."""
    _PUBLISHED.update(events)


def published_events() -> frozenset[str]:
    return frozenset(_PUBLISHED)


def enqueue_notice(
    db: Session,
    *,
    event: str,
    user_ids: Iterable[int],
    title: str,
    body: str,
    now: datetime,
    case_id: int | None = None,
) -> list[OutboxMessage]:
    """Inbox messages for the given users, about a case or anything else (a dispute's alert)."""
    payload = {"title": title, "body": body[:BODY_CHARS]}
    messages = [
        _message(NOTIFICATION, event, case_id, target=str(user_id), payload=payload, now=now)
        for user_id in sorted(set(user_ids))
    ]
    db.add_all(messages)
    return messages


def enqueue_webhook_calls(
    db: Session,
    *,
    event: str,
    region_code: str,
    body: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
) -> list[OutboxMessage]:
    """One call to every active webhook that covers `region_code` and subscribed to `event`."""
    messages = [
        _message(WEBHOOK, event, case_id, target=str(hook.id), payload=body, now=now)
        for hook in subscribers(db, region_code, event)
    ]
    db.add_all(messages)
    return messages


def dispatchers_of(db: Session, centre_code: str) -> list[int]:
    """The dispatchers sitting at one centre (their scope is exactly that region)."""
    query = select(User.id).where(
        User.role == Role.DISPATCHER.value, User.scope_code == centre_code, User.active
    )
    return list(db.scalars(query))


def subscribers(db: Session, region_code: str, event: str) -> list[Webhook]:
    """Active webhooks whose region contains `region_code` and whose events include this one."""
    return [
        hook
        for hook in active_webhooks(db)
        if _covers(hook.region_code, region_code) and (not hook.events or event in hook.events)
    ]


def active_webhooks(db: Session) -> list[Webhook]:
    """Every active webhook, read once per transaction (a batch asks for each case)."""
    return transaction_memo(
        db,
        "notify.active_webhooks",
        lambda: list(db.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))),
    )


def _covers(hook_region: str, region_code: str) -> bool:
    """A blank region is the whole country (a national administrator's webhook)."""
    return not hook_region or contains(hook_region, region_code)


def _message(
    kind: str,
    event: str,
    case_id: int | None,
    *,
    target: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        event=event,
        case_id=case_id,
        target=target,
        payload=payload,
        status="pending",
        attempts=0,
        available_at=as_utc(now),
        last_error="",
        created_at=as_utc(now),
    )


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
    known = published_events()
    unknown = sorted(set(events) - known)
    if unknown:
        raise Invalid(
            "webhook_event_unknown", events=", ".join(unknown), known=", ".join(sorted(known))
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
