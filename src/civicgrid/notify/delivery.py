"""Delivering the outbox after commit: inbox rows and signed webhook calls.

A worker first claims due rows, each by a conditional update that only one
worker can win, and commits the claims; then it delivers them one by one
and records each outcome under its own claim. A claim lapses after a lease,
so a message held by a worker that died is taken up by another. Webhooks
are therefore delivered at least once and never concurrently; receivers
tell a repeat by the X-Civicgrid-Delivery header.
"""

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid import __version__
from civicgrid.notify.models import Notification, OutboxMessage, Webhook
from civicgrid.notify.service import NOTIFICATION
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc

PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"
LEASE_MARGIN = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=6)
ERROR_CHARS = 500


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    LOST = "lost"  # the claim lapsed and another worker took the message over


@dataclass(frozen=True)
class Delivery:
    claimed: int
    sent: int
    retried: int
    failed: int

    def __add__(self, other: "Delivery") -> "Delivery":
        return Delivery(
            claimed=self.claimed + other.claimed,
            sent=self.sent + other.sent,
            retried=self.retried + other.retried,
            failed=self.failed + other.failed,
        )


def deliver_due(db: Session, worker_id: str, now: datetime, limit: int = 100) -> Delivery:
    """Claim up to `limit` due messages and deliver them; commits as it goes."""
    claimed = claim(db, worker_id, now, limit)
    db.commit()
    rest = _write_inboxes(db, claimed, worker_id, now)
    with httpx.Client(timeout=get_settings().webhook_timeout_seconds) as client:
        outcomes = Counter(
            deliver_one(db, message_id, worker_id, now, client) for message_id in rest
        )
    return Delivery(
        claimed=len(claimed),
        sent=outcomes[Outcome.SENT] + len(claimed) - len(rest),
        retried=outcomes[Outcome.RETRY],
        failed=outcomes[Outcome.FAILED],
    )


def _due(now: datetime) -> Any:
    """Pending and due, or claimed by a worker whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.available_at <= now),
        and_(OutboxMessage.status == CLAIMED, OutboxMessage.claimed_until < now),
    )


def claim(db: Session, worker_id: str, now: datetime, limit: int) -> list[int]:
    """The ids this worker won; a row another worker claimed first matches 0 rows here."""
    now = as_utc(now)
    lease = now + timedelta(seconds=get_settings().webhook_timeout_seconds) + LEASE_MARGIN
    candidates = db.scalars(
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    return [message_id for message_id in candidates if _take(db, message_id, worker_id, now, lease)]


def _take(db: Session, message_id: int, worker_id: str, now: datetime, lease: datetime) -> bool:
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(status=CLAIMED, claimed_by=worker_id, claimed_until=lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _write_inboxes(db: Session, claimed: list[int], worker_id: str, now: datetime) -> list[int]:
    """All claimed notifications in one transaction; returns the ids left to deliver one by one.

    Should any of them fail (a user deleted since the event, a lapsed claim), the
    batch is undone and each goes the one-by-one way, which records its own outcome.
    """
    messages = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed), OutboxMessage.kind == NOTIFICATION)
        .execution_options(populate_existing=True)
    ).all()
    if not messages:
        return claimed
    db.add_all(_inbox_row(message, now) for message in messages)
    done = {message.id for message in messages}
    try:
        result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(done),
                OutboxMessage.status == CLAIMED,
                OutboxMessage.claimed_by == worker_id,
            )
            .values(
                status=SENT,
                sent_at=as_utc(now),
                attempts=OutboxMessage.attempts + 1,
                last_error="",
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        db.rollback()
        return claimed
    if result.rowcount != len(done):
        db.rollback()
        return claimed
    db.commit()
    return [message_id for message_id in claimed if message_id not in done]


def _inbox_row(message: OutboxMessage, now: datetime) -> Notification:
    return Notification(
        user_id=int(message.target),
        case_id=message.case_id,
        event=message.event,
        title=str(message.payload.get("title", message.event)),
        body=str(message.payload.get("body", "")),
        created_at=as_utc(now),
    )


def deliver_one(
    db: Session, message_id: int, worker_id: str, now: datetime, client: httpx.Client
) -> Outcome:
    message = db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    )
    if message is None:
        return Outcome.LOST
    if message.kind == NOTIFICATION:
        return _write_notification(db, message, worker_id, now)
    return _call_webhook(db, message, worker_id, now, client)


def _write_notification(
    db: Session, message: OutboxMessage, worker_id: str, now: datetime
) -> Outcome:
    """The inbox row and the message's `sent` mark commit together, or neither does."""
    db.add(_inbox_row(message, now))
    try:
        return _record(db, message, worker_id, now, error="")
    except IntegrityError as error:  # the user was deleted since the event
        db.rollback()
        return _record(db, message, worker_id, now, error=str(error.orig), final=True)


def _call_webhook(
    db: Session, message: OutboxMessage, worker_id: str, now: datetime, client: httpx.Client
) -> Outcome:
    hook = db.get(Webhook, int(message.target))
    if hook is None or not hook.active:
        return _record(db, message, worker_id, now, error="webhook removed", final=True)
    url, secret = hook.url, hook.secret
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = signed_headers(body, secret, event=message.event, delivery=message.id)
    db.commit()  # hold no transaction open while waiting on someone else's server
    return _record(db, message, worker_id, now, error=_post(client, url, body, headers))


def signed_headers(body: bytes, secret: str, *, event: str, delivery: int) -> dict[str, str]:
    """X-Civicgrid-Signature is the hex HMAC-SHA256 of the exact body bytes under the secret."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"civicgrid/{__version__}",
        "X-Civicgrid-Event": event,
        "X-Civicgrid-Delivery": str(delivery),
        "X-Civicgrid-Signature": signature,
    }


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> str:
    """The error to record, or an empty string when the receiver took it (any 2xx)."""
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:ERROR_CHARS]
    if response.is_success:
        return ""
    return f"HTTP {response.status_code}: {response.text}"[:ERROR_CHARS]


def _record(
    db: Session,
    message: OutboxMessage,
    worker_id: str,
    now: datetime,
    *,
    error: str,
    final: bool = False,
) -> Outcome:
    """Write the outcome under this worker's claim; a lapsed claim writes nothing."""
    attempts = message.attempts + 1
    outcome, values = _outcome(attempts, now, error=error, final=final)
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == CLAIMED,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(attempts=attempts, last_error=error, claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.rollback()
        return Outcome.LOST
    db.commit()
    return outcome


def _outcome(
    attempts: int, now: datetime, *, error: str, final: bool
) -> tuple[Outcome, dict[str, Any]]:
    """Sent; or back to pending after an exponential pause; or failed for good."""
    if not error:
        return Outcome.SENT, {"status": SENT, "sent_at": as_utc(now)}
    if final or attempts >= get_settings().webhook_max_attempts:
        return Outcome.FAILED, {"status": FAILED}
    return Outcome.RETRY, {"status": PENDING, "available_at": as_utc(now) + backoff(attempts)}


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… after the 1st, 2nd, 3rd failure, capped at six hours."""
    base = timedelta(seconds=get_settings().webhook_backoff_seconds)
    return min(base * 2 ** min(attempts - 1, 30), MAX_BACKOFF)
