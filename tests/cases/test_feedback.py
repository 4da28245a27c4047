"""Residents' feedback: ratings, call-backs (回访), the reopen rule, tracking by number."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.duplicates import merge
from civicgrid.cases.feedback import (
    list_feedback,
    phone_matches,
    rate,
    record_callback,
    track,
)
from civicgrid.cases.models import Case
from civicgrid.cases.reporters import phone_digits, phone_index
from civicgrid.cases.service import history, verify_history
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.errors import Conflict, Forbidden, NotFound
from civicgrid.timeutil import utcnow
from tests.factories import (
    OTHER_DISTRICT,
    OWN_STREET,
    PASSWORD,
    City,
    People,
    auth,
    reported_by_phone,
)
from tests.factories import (
    REPORTER_PHONE as PHONE,
)

GRID = "530502001001001"
ANONYMOUS = Actor(kind="anonymous", role=None, scope_code=None)
DISPATCHER = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="owner")
GRID_WORKER = Actor(kind="user", role=Role.GRID_WORKER, scope_code=OWN_STREET, username="worker")
OUTSIDER = Actor(kind="user", role=Role.DISPATCHER, scope_code=OTHER_DISTRICT, username="far")
CLOSING = (
    (Status.SELF_RESOLVED, GRID_WORKER),
    (Status.CLOSED, DISPATCHER),
)
RECLOSING = (
    (Status.CLAIMED, DISPATCHER),
    (Status.RESOLVED, GRID_WORKER),
    (Status.VERIFIED, GRID_WORKER),
    (Status.CLOSED, DISPATCHER),
)


def walk(db: Session, case: Case, steps, now=None) -> None:
    for target, who in steps:
        transition(db, case_id=case.id, change=Change(to=target, note="已处理"), actor=who, now=now)
    db.commit()


def closed_case(db: Session, city: City, actor: Actor = ANONYMOUS) -> Case:
    case = reported_by_phone(db, city, actor)
    walk(db, case, CLOSING)
    return case


def test_a_satisfied_rating_rates_the_case(db, city):
    case = closed_case(db, city)
    outcome = rate(db, number=case.number, rating=5, comment="很快", phone=PHONE, actor=ANONYMOUS)
    assert outcome.case.status == Status.RATED.value
    assert not outcome.reopened
    assert (outcome.feedback.kind, outcome.feedback.rating, outcome.feedback.actor) == (
        "rating",
        5,
        "reporter",
    )
    assert verify_history(db) == []


def test_a_wrong_or_missing_phone_is_told_the_case_does_not_exist(db, city):
    case = closed_case(db, city)
    for phone in ("13900139000", None, ""):
        with pytest.raises(NotFound):
            rate(db, number=case.number, rating=5, phone=phone, actor=ANONYMOUS)
    with pytest.raises(NotFound):
        rate(db, number="53050220990101", rating=5, phone=PHONE, actor=ANONYMOUS)


def test_a_case_is_rated_only_once_it_is_closed(db, city):
    case = reported_by_phone(db, city)
    with pytest.raises(Conflict) as refused:
        rate(db, number=case.number, rating=4, phone=PHONE, actor=ANONYMOUS)
    assert refused.value.code == "rating_requires_closed"


def test_an_unsatisfied_rating_reopens_the_case_quoting_the_rating(db, city):
    case = closed_case(db, city)
    outcome = rate(db, number=case.number, rating=1, phone=PHONE, actor=ANONYMOUS)
    assert outcome.reopened
    assert outcome.case.status == Status.REOPENED.value
    assert outcome.case.reopen_count == 1
    last = history(db, case)[-1]
    assert (last.to_status, last.actor) == ("reopened", "system")
    assert "1/5" in last.note
    assert verify_history(db) == []


def test_after_the_reopen_limit_an_unsatisfied_rating_only_rates(db, city):
    case = closed_case(db, city)
    for _ in range(2):
        assert rate(db, number=case.number, rating=2, phone=PHONE, actor=ANONYMOUS).reopened
        walk(db, case, RECLOSING)
    third = rate(db, number=case.number, rating=1, phone=PHONE, actor=ANONYMOUS)
    assert not third.reopened
    assert third.case.status == Status.RATED.value
    assert third.case.reopen_count == 2


def test_an_unsatisfied_rating_long_after_closing_does_not_reopen(db, city):
    case = reported_by_phone(db, city)
    walk(db, case, CLOSING, now=utcnow() - timedelta(days=16))
    outcome = rate(db, number=case.number, rating=1, phone=PHONE, actor=ANONYMOUS)
    assert not outcome.reopened
    assert outcome.case.status == Status.RATED.value


def test_a_second_rating_is_refused(db, city):
    case = closed_case(db, city)
    rate(db, number=case.number, rating=4, phone=PHONE, actor=ANONYMOUS)
    with pytest.raises(Conflict) as refused:
        rate(db, number=case.number, rating=1, phone=PHONE, actor=ANONYMOUS)
    assert refused.value.code == "rating_already_given"


def test_a_signed_in_reporter_rates_without_the_phone(db, city):
    user = auth_service.create_user(
        db, username="jumin", password=PASSWORD, role=Role.RESIDENT, scope_code="530500"
    )
    db.commit()
    resident = auth_service.actor_for_user(user)
    case = closed_case(db, city, resident)
    outcome = rate(db, number=case.number, rating=5, actor=resident)
    assert outcome.feedback.actor == "user:jumin"
    other = closed_case(db, city)
    with pytest.raises(NotFound):
        rate(db, number=other.number, rating=5, actor=resident)


def test_rating_a_merged_case_points_to_the_surviving_number(db, city):
    survivor, duplicate = reported_by_phone(db, city), reported_by_phone(db, city)
    merge(db, case=duplicate, into=survivor, actor=DISPATCHER)
    with pytest.raises(Conflict) as refused:
        rate(db, number=duplicate.number, rating=5, phone=PHONE, actor=ANONYMOUS)
    assert refused.value.code == "rating_merged_case"
    assert refused.value.params["survivor"] == survivor.number


def test_a_call_back_is_recorded_and_an_unsatisfied_one_reopens(db, city):
    case = closed_case(db, city)
    unreached = record_callback(db, case=case, actor=GRID_WORKER, reached=False, comment="未接")
    assert (unreached.feedback.kind, unreached.feedback.reached) == ("callback", False)
    assert not unreached.reopened
    unhappy = record_callback(db, case=case, actor=DISPATCHER, reached=True, rating=2)
    assert unhappy.reopened
    assert unhappy.case.status == Status.REOPENED.value
    kinds = [row.kind for row in list_feedback(db, case=case, actor=DISPATCHER)]
    assert kinds == ["callback", "callback"]


def test_call_backs_need_a_closed_case_staff_and_jurisdiction(db, city):
    open_case = reported_by_phone(db, city)
    with pytest.raises(Conflict):
        record_callback(db, case=open_case, actor=DISPATCHER, reached=True)
    case = closed_case(db, city)
    with pytest.raises(NotFound):
        record_callback(db, case=case, actor=OUTSIDER, reached=True)
    resident = Actor(kind="user", role=Role.RESIDENT, scope_code=OWN_STREET, username="r")
    with pytest.raises(Forbidden):
        record_callback(db, case=case, actor=resident, reached=True)
    with pytest.raises(NotFound):
        list_feedback(db, case=case, actor=OUTSIDER)


def test_tracking_shows_the_public_steps_without_names_or_notes(db, city):
    case = closed_case(db, city)
    found = track(db, number=case.number, phone="+86 138-0013-8000", actor=ANONYMOUS)
    assert found.merged_into is None
    assert [step.status for step in found.timeline] == ["reported", "self_resolved", "closed"]
    with pytest.raises(NotFound):
        track(db, number=case.number, phone="13800138001", actor=ANONYMOUS)


def test_tracking_a_merged_case_follows_the_surviving_case(db, city):
    survivor, duplicate = reported_by_phone(db, city), reported_by_phone(db, city)
    merge(db, case=duplicate, into=survivor, actor=DISPATCHER)
    walk(db, survivor, CLOSING)
    found = track(db, number=duplicate.number, phone=PHONE, actor=ANONYMOUS)
    assert found.merged_into == survivor.number
    assert found.case.status == Status.CLOSED.value
    assert [step.status for step in found.timeline] == [
        "reported",
        "merged",
        "self_resolved",
        "closed",
    ]


def test_rating_tracking_and_call_backs_over_http(client, db, city, people: People):
    case = closed_case(db, city)
    tracked = client.get(
        "/api/v1/cases/track",
        params={"number": case.number, "phone": PHONE, "lang": "en"},
    )
    assert tracked.status_code == 200, tracked.text
    body = tracked.json()
    assert (body["status"], body["status_label"]) == ("closed", "Closed")
    assert set(body["timeline"][0]) == {"status", "status_label", "at"}
    wrong = client.get("/api/v1/cases/track", params={"number": case.number, "phone": "1"})
    assert wrong.status_code == 404
    early = client.post(
        f"/api/v1/cases/{reported_by_phone(db, city).number}/rating",
        json={"rating": 3, "phone": PHONE},
    )
    assert early.status_code == 409
    rated = client.post(
        f"/api/v1/cases/{case.number}/rating",
        json={"rating": 1, "comment": "没修好", "phone": PHONE},
    )
    assert rated.status_code == 200, rated.text
    assert (rated.json()["reopened"], rated.json()["reopen_count"]) == (True, 1)
    called = client.post(
        f"/api/v1/cases/{case.number}/callbacks",
        json={"reached": False},
        headers=auth(client, people.peer),
    )
    assert called.status_code == 409
    listing = client.get(
        f"/api/v1/cases/{case.number}/feedback", headers=auth(client, people.owner)
    )
    assert [row["kind"] for row in listing.json()] == ["rating"]
    hidden = client.get(
        f"/api/v1/cases/{case.number}/feedback", headers=auth(client, people.outsider)
    )
    assert hidden.status_code == 404


LOCAL = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(LOCAL, st.sampled_from(["", "+86", "0086", "86 ", "+86-"]), st.sampled_from(["", " ", "-"]))
def test_a_phone_matches_however_it_is_written(number, prefix, separator):
    written = prefix + separator.join([number[:3], number[3:7], number[7:]])
    assert phone_digits(written) == number
    assert phone_matches(written, phone_index(number))


@given(LOCAL, LOCAL)
def test_different_phones_never_match(first, second):
    assert phone_matches(first, phone_index(second)) == (first == second)
    assert not phone_matches(first, None)
    assert not phone_matches("", phone_index(""))
