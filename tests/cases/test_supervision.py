"""Stage clocks through the workflow, urges at 80 %, 督办 once and one level up, concurrently."""

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.cases.models import Case, CaseSupervision
from civicgrid.cases.sla import Light, light_for
from civicgrid.cases.supervision import list_supervisions, sweep
from civicgrid.cases.workflow import Change, Status
from civicgrid.errors import Forbidden
from civicgrid.notify.models import OutboxMessage
from civicgrid.notify.service import create_webhook
from civicgrid.timeutil import as_utc
from tests.factories import OTHER_DISTRICT, OWN_DISTRICT, OWN_STREET, City, People, auth
from tests.notify.loop import (
    ADMIN,
    DISPATCHER,
    Loop,
    accept,
    at,
    build_loop,
    dispatch,
    move,
    person,
    report,
)


@pytest.fixture
def loop(db: Session, city: City) -> Loop:
    return build_loop(db, city)


def supervisions(db: Session, case: Case | None = None) -> list[CaseSupervision]:
    query = select(CaseSupervision).order_by(CaseSupervision.id)
    if case is not None:
        query = query.where(CaseSupervision.case_id == case.id)
    return list(db.scalars(query))


def outbox(db: Session, event: str) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.event == event)))


def swept(db: Session, now):
    result = sweep(db, now, "worker:test")
    db.commit()
    return result


def test_each_stage_runs_its_own_clock_from_the_category(db, city, loop):
    case = report(db, city, at(12, 9))
    case = accept(db, case, at(12, 9))
    assert case.stage == "dispatch"
    assert as_utc(case.stage_due_at) == at(12, 11)
    case = dispatch(db, case, loop, at(12, 10))
    assert (case.stage, as_utc(case.stage_started_at)) == ("claim", at(12, 10))
    assert as_utc(case.stage_due_at) == at(12, 15, 30)  # four hours across lunch


def test_escalation_restarts_the_dispatch_clock_for_the_centre_above(db, city, loop):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    up = move(db, case, Change(to=Status.ESCALATED, note="需区级协调"), DISPATCHER, at(12, 10))
    assert as_utc(up.stage_started_at) == at(12, 10)
    assert as_utc(up.stage_due_at) == at(12, 12)
    district = person(Role.DISPATCHER, OWN_DISTRICT)
    again = move(db, up, Change(to=Status.ACCEPTED), district, at(12, 11))
    assert as_utc(again.stage_started_at) == at(12, 10)  # the same centre's clock goes on


def test_an_approved_extension_adds_the_stage_hours_and_a_denied_one_keeps_the_deadline(
    db, city, loop
):
    case = dispatch(db, accept(db, report(db, city, at(12, 9)), at(12, 9)), loop, at(12, 9))
    case = move(db, case, Change(to=Status.CLAIMED), loop.handler, at(12, 10))
    started, due = as_utc(case.stage_started_at), as_utc(case.stage_due_at)
    assert due == at(13, 11)  # eight working hours
    asked = Change(to=Status.EXTENSION_REQUESTED, note="需采购灯具")
    case = move(db, case, asked, loop.handler, at(12, 14))
    assert (as_utc(case.stage_started_at), as_utc(case.stage_due_at)) == (started, due)
    case = move(db, case, Change(to=Status.CLAIMED, approve=True), DISPATCHER, at(12, 15))
    assert as_utc(case.stage_started_at) == started
    assert as_utc(case.stage_due_at) == at(14, 12)
    case = move(db, case, asked, loop.handler, at(12, 16))
    case = move(db, case, Change(to=Status.CLAIMED, approve=False), DISPATCHER, at(12, 17))
    assert as_utc(case.stage_due_at) == at(14, 12)


def test_closing_stops_the_clock_and_records_when(db, city, loop):
    case = dispatch(db, accept(db, report(db, city, at(12, 9)), at(12, 9)), loop, at(12, 9))
    case = move(db, case, Change(to=Status.CLAIMED), loop.handler, at(12, 10))
    case = move(db, case, Change(to=Status.RESOLVED, note="已更换"), loop.handler, at(12, 11))
    grid_worker = person(Role.GRID_WORKER)
    case = move(db, case, Change(to=Status.VERIFIED), grid_worker, at(12, 14))
    assert case.stage == "close"
    case = move(db, case, Change(to=Status.CLOSED), DISPATCHER, at(12, 15))
    assert (case.stage, case.stage_due_at, as_utc(case.closed_at)) == (None, None, at(12, 15))
    assert light_for(db, case, at(20, 9)) is None


def test_the_light_of_a_case_follows_its_category_basis(db, city, loop):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    assert light_for(db, case, at(12, 10, 35)) is Light.GREEN
    assert light_for(db, case, at(12, 10, 36)) is Light.YELLOW
    assert light_for(db, case, at(12, 11, 1)) is Light.RED


def test_an_urge_is_raised_once_at_80_percent_to_the_centre_holding_the_case(db, city, loop):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    assert swept(db, at(12, 10, 35)).urged == 0
    assert swept(db, at(12, 10, 36)).urged == 1
    assert swept(db, at(12, 10, 50)).urged == 0
    [urge] = supervisions(db, case)
    assert (urge.kind, urge.stage, urge.region_code) == ("urge", "dispatch", OWN_STREET)
    [notice] = outbox(db, "case.urged")
    assert notice.target == str(loop.street_dispatcher_id)


def test_an_overdue_stage_raises_supervision_once_to_the_level_above(db, city, loop):
    hook = create_webhook(
        db,
        ADMIN,
        name="督查室",
        url="http://127.0.0.1:9/hook",
        events=["case.supervised"],
        region_code=OWN_DISTRICT,
    )
    db.commit()
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    assert swept(db, at(12, 11, 1)).supervised == 1
    assert swept(db, at(12, 16)).supervised == 0
    [raised] = supervisions(db, case)
    assert (raised.kind, raised.region_code) == ("supervise", OWN_DISTRICT)
    targets = {(m.kind, m.target) for m in outbox(db, "case.supervised")}
    assert targets == {
        ("notification", str(loop.district_dispatcher_id)),
        ("webhook", str(hook.id)),
    }


def test_the_next_stage_instance_can_be_urged_and_supervised_again(db, city, loop):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    dispatch(db, case, loop, at(12, 11, 30))
    swept(db, at(12, 17, 0))  # 3.5 of 4 claim hours used: an urge, to the department
    kinds = [(s.kind, s.stage) for s in supervisions(db, case)]
    assert kinds == [("supervise", "dispatch"), ("urge", "claim")]
    urged_users = {m.target for m in outbox(db, "case.urged")}
    assert urged_users == {str(user_id) for user_id in loop.handler_ids}


def test_a_supervision_ends_when_its_stage_does(db, city, loop, people: People):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    district = person(Role.DISPATCHER, OWN_DISTRICT)
    assert [s.kind for s, _ in list_supervisions(db, district)] == ["supervise"]
    dispatch(db, case, loop, at(12, 11, 20))
    assert list_supervisions(db, district) == []
    swept(db, at(12, 11, 30))
    [ended] = supervisions(db, case)
    assert ended.resolved_at is not None
    assert as_utc(ended.resolved_at) == at(12, 11, 20)
    assert [s.kind for s, _ in list_supervisions(db, district, open_only=False)] == ["supervise"]


def test_supervisions_are_listed_inside_the_jurisdiction_only(db, city, loop):
    accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    assert len(list_supervisions(db, person(Role.DISPATCHER, OWN_DISTRICT))) == 1
    assert len(list_supervisions(db, DISPATCHER)) == 1  # the supervised street sees it too
    assert list_supervisions(db, person(Role.DISPATCHER, OTHER_DISTRICT)) == []
    with pytest.raises(Forbidden):
        list_supervisions(db, person(Role.GRID_WORKER))


def test_the_supervision_list_over_http_is_for_centres(client, db, city, loop, people: People):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    response = client.get("/api/v1/supervisions", headers=auth(client, people.owner))
    assert response.status_code == 200
    [row] = response.json()
    assert (row["kind"], row["case_number"], row["stage"]) == ("supervise", case.number, "dispatch")
    peer = client.get("/api/v1/supervisions", headers=auth(client, people.peer))
    assert peer.status_code == 403
    outsider = client.get("/api/v1/supervisions", headers=auth(client, people.outsider))
    assert outsider.json() == []


def sweep_together(engine: Engine, now, workers: int = 2) -> None:
    """Several workers sweep the same moment at once, each in its own session."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        with Session(bind=engine) as session:
            try:
                start.wait()
                sweep(session, now, f"worker:{threading.get_ident()}")
                session.commit()
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_workers_sweeping_at_once_raise_each_urge_and_supervision_once(db, engine, city, loop):
    early = [accept(db, report(db, city, at(12, 9)), at(12, 9)) for _ in range(10)]
    late = [accept(db, report(db, city, at(12, 9, 30)), at(12, 9, 30)) for _ in range(10)]
    sweep_together(engine, at(12, 11, 10))  # early ones overdue, late ones at 84 %
    rows = db.execute(
        select(CaseSupervision.kind, func.count()).group_by(CaseSupervision.kind)
    ).all()
    assert dict(rows) == {"supervise": len(early), "urge": len(late)}
    per_case = db.execute(
        select(OutboxMessage.case_id, OutboxMessage.event, func.count())
        .where(OutboxMessage.event.in_(["case.urged", "case.supervised"]))
        .group_by(OutboxMessage.case_id, OutboxMessage.event)
    ).all()
    assert {count for *_, count in per_case} == {1}
    assert len(per_case) == len(early) + len(late)


def test_a_sweep_of_many_cases_stays_quick(db, city, loop):
    cases = [accept(db, report(db, city, at(12, 9)), at(12, 9)) for _ in range(50)]
    result = swept(db, at(12, 10, 40))
    assert (result.checked, result.urged) == (len(cases), len(cases))
    assert swept(db, at(12, 10, 40) + timedelta(minutes=1)).urged == 0


def test_a_case_shows_its_urges_and_supervision_with_who_when_and_the_deadline(
    client, db, city, loop, people: People
):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 10, 36))
    swept(db, at(12, 11, 1))
    response = client.get(
        f"/api/v1/cases/{case.number}/supervisions", headers=auth(client, people.owner)
    )
    assert response.status_code == 200, response.text
    urge, supervise = response.json()
    assert (urge["kind"], urge["stage"], urge["raised_by"]) == ("urge", "dispatch", "worker:test")
    assert urge["addressed_to"] == f"街道{OWN_STREET}"
    assert supervise["kind"] == "supervise"
    assert supervise["addressed_to"] == f"区{OWN_DISTRICT}"
    assert as_utc(datetime.fromisoformat(supervise["created_at"])) == at(12, 11, 1)
    db.refresh(case)
    assert case.stage_due_at is not None
    assert datetime.fromisoformat(supervise["deadline"]) == as_utc(case.stage_due_at)
    assert supervise["resolved_at"] is None


def test_a_case_s_urges_end_with_their_stage_and_lose_the_deadline(client, db, city, loop, people):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    dispatch(db, case, loop, at(12, 11, 20))
    swept(db, at(12, 11, 30))
    [ended] = client.get(
        f"/api/v1/cases/{case.number}/supervisions", headers=auth(client, people.owner)
    ).json()
    assert ended["deadline"] is None
    assert as_utc(datetime.fromisoformat(ended["resolved_at"])) == at(12, 11, 20)


def test_a_case_s_urges_are_read_only_where_the_case_is(client, db, city, loop, people: People):
    case = accept(db, report(db, city, at(12, 9)), at(12, 9))
    swept(db, at(12, 11, 1))
    path = f"/api/v1/cases/{case.number}/supervisions"
    assert client.get(path, headers=auth(client, people.peer)).status_code == 200
    assert client.get(path, headers=auth(client, people.outsider)).status_code == 404
    missing = client.get("/api/v1/cases/NOPE/supervisions", headers=auth(client, people.owner))
    assert missing.status_code == 404
