"""Case events are queued in the same transaction, for the people and webhooks they concern."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.errors import Invalid
from civicgrid.notify.models import OutboxMessage
from civicgrid.notify.service import create_webhook
from tests.factories import OTHER_DISTRICT, OWN_DISTRICT, OWN_STREET
from tests.notify.loop import (
    ADMIN,
    DISPATCHER,
    accept,
    at,
    dispatch,
    move,
    person,
    report,
    resident,
)


def queued(db: Session, event: str) -> set[tuple[str, str]]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.event == event))
    return {(row.kind, row.target) for row in rows}


def hook(db: Session, region: str, events: list[str]) -> str:
    created = create_webhook(
        db,
        ADMIN,
        name=f"hook {region}",
        url="https://example.org/in",
        events=events,
        region_code=region,
    )
    db.commit()
    return str(created.id)


def test_dispatching_tells_the_department_and_the_webhooks_of_its_region(db, city, loop):
    everything = hook(db, OWN_DISTRICT, [])
    dispatches = hook(db, OWN_STREET, ["case.dispatched"])
    hook(db, OWN_STREET, ["case.closed"])
    hook(db, OTHER_DISTRICT, [])
    dispatch(db, accept(db, report(db, city, at(12, 9)), at(12, 9)), loop, at(12, 9, 30))
    assert queued(db, "case.dispatched") == {
        ("notification", str(loop.handler_ids[0])),
        ("notification", str(loop.handler_ids[1])),
        ("webhook", everything),
        ("webhook", dispatches),
    }
    assert queued(db, "case.accepted") == {("webhook", everything)}


def test_a_change_rolled_back_leaves_nothing_in_the_outbox(db, city, loop):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    change = Change(to=Status.DISPATCHED, department_id=loop.department_id)
    transition(db, case_id=case.id, change=change, actor=DISPATCHER, now=at(12, 10))
    db.rollback()
    assert queued(db, "case.dispatched") == set()


def test_a_return_goes_to_the_street_and_an_escalation_to_the_district(db, city, loop):
    case = dispatch(db, accept(db, report(db, city, at(12, 9)), at(12, 9)), loop, at(12, 9))
    case = move(db, case, Change(to=Status.RETURNED, note="不属本部门"), loop.handler, at(12, 10))
    assert queued(db, "case.returned") == {("notification", str(loop.street_dispatcher_id))}
    move(db, case, Change(to=Status.ESCALATED, note="需区级协调"), DISPATCHER, at(12, 11))
    assert queued(db, "case.escalated") == {("notification", str(loop.district_dispatcher_id))}


def test_closing_tells_the_reporter_and_the_reporters_of_merged_duplicates(db, city, loop):
    first, second = resident(db, "resident-1"), resident(db, "resident-2")
    main = report(db, city, at(12, 9), reporter=first)
    duplicate = report(db, city, at(12, 9, 5), reporter=second)
    move(db, duplicate, Change(to=Status.MERGED, merge_into_id=main.id), DISPATCHER, at(12, 9, 10))
    main = dispatch(db, accept(db, main, at(12, 9, 20)), loop, at(12, 9, 30))
    main = move(db, main, Change(to=Status.CLAIMED), loop.handler, at(12, 10))
    main = move(db, main, Change(to=Status.RESOLVED, note="已修复"), loop.handler, at(12, 11))
    reporters = {("notification", str(first.user_id)), ("notification", str(second.user_id))}
    assert queued(db, "case.resolved") == reporters
    main = move(db, main, Change(to=Status.VERIFIED), person(Role.GRID_WORKER), at(12, 14))
    move(db, main, Change(to=Status.CLOSED), DISPATCHER, at(12, 15))
    assert queued(db, "case.closed") == reporters


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"url": "ftp://example.org/in"}, "webhook_url_invalid"),
        ({"url": "https:///no-host"}, "webhook_url_invalid"),
        ({"events": ["case.exploded"]}, "webhook_event_unknown"),
        ({"region_code": "530000"}, "webhook_region_outside_scope"),
    ],
)
def test_a_webhook_with_a_bad_url_event_or_region_is_refused(db, city, fields, code):
    wanted = {"name": "x", "url": "https://example.org/in", "events": [], "region_code": None}
    with pytest.raises(Invalid) as refused:
        create_webhook(db, ADMIN, **{**wanted, **fields})
    assert refused.value.code == code
