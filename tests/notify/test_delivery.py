"""The worker's delivery: inbox rows, signed webhooks, retries, and one worker per message."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.auth.models import User
from civicgrid.notify import delivery
from civicgrid.notify.delivery import claim, deliver_due
from civicgrid.notify.models import Notification, OutboxMessage
from civicgrid.notify.service import create_webhook
from civicgrid.settings import get_settings
from tests.factories import OWN_DISTRICT
from tests.notify.conftest import Receiver
from tests.notify.loop import ADMIN, Loop, accept, at, dispatch, report


def statuses(db: Session) -> dict[str, int]:
    rows = db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return dict(rows.all())


def dispatched_cases(db: Session, city, loop: Loop, count: int) -> None:
    for _ in range(count):
        dispatch(db, accept(db, report(db, city, at(12, 9)), at(12, 9)), loop, at(12, 9, 30))


def subscribe(db: Session, receiver: Receiver) -> str:
    hook = create_webhook(
        db,
        ADMIN,
        name="网格平台",
        url=receiver.url,
        events=["case.dispatched"],
        region_code=OWN_DISTRICT,
    )
    db.commit()
    return hook.secret


def test_notifications_land_in_the_inbox_of_each_recipient(db, city, loop):
    dispatched_cases(db, city, loop, 1)
    done = deliver_due(db, "worker-1", at(12, 9, 31))
    assert (done.claimed, done.sent) == (2, 2)
    owners = db.scalars(select(Notification.user_id).where(Notification.event == "case.dispatched"))
    assert sorted(owners) == sorted(loop.handler_ids)
    assert statuses(db) == {"sent": 2}


def test_a_notice_for_a_user_deleted_since_fails_alone_and_the_others_arrive(db, city, loop):
    dispatched_cases(db, city, loop, 1)
    db.delete(db.get(User, loop.handler_ids[0]))
    db.commit()
    done = deliver_due(db, "worker-1", at(12, 9, 31))
    assert (done.sent, done.failed) == (1, 1)
    assert list(db.scalars(select(Notification.user_id))) == [loop.handler_ids[1]]
    assert statuses(db) == {"sent": 1, "failed": 1}


def test_a_message_is_not_delivered_before_its_time(db, city, loop):
    dispatched_cases(db, city, loop, 1)
    assert deliver_due(db, "worker-1", at(12, 9, 29)).claimed == 0


def test_two_workers_at_once_deliver_each_message_exactly_once(db, engine: Engine, city, loop):
    dispatched_cases(db, city, loop, 15)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        with Session(bind=engine) as session:
            try:
                start.wait()
                deliver_due(session, name, at(12, 10), limit=100)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.scalar(select(func.count()).select_from(Notification)) == 30
    assert statuses(db) == {"sent": 30}


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_its_lease(db, city, loop):
    dispatched_cases(db, city, loop, 1)
    assert len(claim(db, "dead-worker", at(12, 10), 10)) == 2
    db.commit()
    assert deliver_due(db, "worker-2", at(12, 10, 1)).claimed == 0
    later = at(12, 10) + timedelta(seconds=get_settings().webhook_timeout_seconds + 61)
    assert deliver_due(db, "worker-2", later).sent == 2


def test_a_webhook_is_posted_with_a_signature_the_receiver_can_verify(
    db, city, loop, receiver: Receiver
):
    secret = subscribe(db, receiver)
    dispatched_cases(db, city, loop, 1)
    assert deliver_due(db, "worker-1", at(12, 10)).sent == 3
    [(headers, body)] = receiver.calls
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-civicgrid-signature"], expected)
    assert headers["x-civicgrid-event"] == "case.dispatched"
    payload = json.loads(body)
    assert payload["event"] == "case.dispatched"
    assert payload["case"]["status"] == "dispatched"
    assert "reporter_phone" not in payload["case"]


def test_a_failing_receiver_is_retried_with_growing_pauses_then_marked_failed(
    db, city, loop, receiver: Receiver
):
    receiver.statuses = [500]
    subscribe(db, receiver)
    dispatched_cases(db, city, loop, 1)
    now = at(12, 10)
    limit = get_settings().webhook_max_attempts
    for attempt in range(1, limit + 1):
        deliver_due(db, "worker-1", now)
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
        db.refresh(message)
        assert message.attempts == attempt
        assert deliver_due(db, "worker-1", now).claimed == 0  # waiting out its pause
        now += delivery.backoff(attempt)
    assert (message.status, message.last_error.startswith("HTTP 500")) == ("failed", True)
    assert len(receiver.calls) == limit
    assert deliver_due(db, "worker-1", now + timedelta(days=1)).claimed == 0


def test_a_receiver_that_recovers_gets_the_message_on_the_retry(db, city, loop, receiver: Receiver):
    receiver.statuses = [503, 200]
    subscribe(db, receiver)
    dispatched_cases(db, city, loop, 1)
    assert deliver_due(db, "worker-1", at(12, 10)).retried == 1
    assert deliver_due(db, "worker-1", at(12, 10) + delivery.backoff(1)).sent == 1
    assert [h["x-civicgrid-delivery"] for h, _ in receiver.calls] == [
        receiver.calls[0][0]["x-civicgrid-delivery"]
    ] * 2


def test_backoff_doubles_and_is_capped():
    base = timedelta(seconds=get_settings().webhook_backoff_seconds)
    assert [delivery.backoff(n) for n in (1, 2, 3)] == [base, base * 2, base * 4]
    assert delivery.backoff(500) == delivery.MAX_BACKOFF
