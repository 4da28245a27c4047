"""The case state machine: every allowed and every forbidden change, one door, a chained history."""

import threading

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.service import create_department
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.service import Intake, report_case, verify_history
from civicgrid.cases.workflow import ALLOWED, MAY_ENTER, Change, Status, moves_for, transition
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.service import GridIndex
from tests.factories import OTHER_DISTRICT, City, actor, new_case

GRID = "530502001001001"


def force_status(db: Session, case: Case, status: Status) -> None:
    """Test set-up only: put a case in a state without walking there."""
    db.execute(update(Case).where(Case.id == case.id).values(status=status.value))
    db.commit()


def change_for(to: Status, department_id: int, survivor_id: int | None = None) -> Change:
    return Change(
        to=to, note="说明", approve=True, department_id=department_id, merge_into_id=survivor_id
    )


ALL_PAIRS = [(src, dst) for src in Status for dst in Status]


@pytest.fixture
def department(db: Session, city: City) -> int:
    created = create_department(
        db, code="530502-urban", name="城管", kind="urban_management", region_code="530502"
    )
    db.commit()
    return created.id


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_change_is_allowed_exactly_when_the_table_says_so(
    db, city, department, source, target
):
    survivor = new_case(db, city)
    case = new_case(db, city)
    force_status(db, case, source)
    # The holder where it may act (only the holder signs for a dispatched case).
    may_enter = MAY_ENTER.get(target) or {Role.ADMIN}
    role = Role.DEPARTMENT_HANDLER if Role.DEPARTMENT_HANDLER in may_enter else sorted(may_enter)[0]
    who = actor(role, department_id=department)
    if target is Status.DISPATCHED or Role(role) is Role.DEPARTMENT_HANDLER:
        db.execute(update(Case).where(Case.id == case.id).values(department_id=department))
        db.commit()
    change = change_for(target, department, survivor.id)
    if target in ALLOWED[source]:
        moved = transition(db, case_id=case.id, change=change, actor=who)
        db.commit()
        assert moved.status == target.value
    else:
        with pytest.raises(Conflict):
            transition(db, case_id=case.id, change=change, actor=who)
        db.rollback()
        assert db.get(Case, case.id).status == source.value


def test_the_main_path_walks_from_report_to_rating_with_a_chained_history(db, city, department):
    case = new_case(db, city)
    steps = [
        (Status.ACCEPTED, Role.DISPATCHER),
        (Status.DISPATCHED, Role.DISPATCHER),
        (Status.CLAIMED, Role.DEPARTMENT_HANDLER),
        (Status.RESOLVED, Role.DEPARTMENT_HANDLER),
        (Status.VERIFIED, Role.GRID_WORKER),
        (Status.CLOSED, Role.DISPATCHER),
        (Status.RATED, Role.RESIDENT),
    ]
    for target, role in steps:
        transition(
            db,
            case_id=case.id,
            change=change_for(target, department),
            actor=actor(role, department_id=department),
        )
        db.commit()
    actions = db.query(CaseAction).filter_by(case_id=case.id).order_by(CaseAction.sequence).all()
    assert [a.to_status for a in actions] == ["reported", *[s.value for s, _ in steps]]
    assert verify_history(db) == []


def test_the_centre_does_not_sign_for_a_case_it_dispatched(db, city, department):
    case = new_case(db, city)
    dispatcher = actor(Role.DISPATCHER)
    for target in (Status.ACCEPTED, Status.DISPATCHED):
        transition(db, case_id=case.id, change=change_for(target, department), actor=dispatcher)
    db.commit()

    with pytest.raises(Forbidden):
        transition(db, case_id=case.id, change=Change(to=Status.CLAIMED), actor=dispatcher)
    assert Status.CLAIMED not in moves_for(dispatcher, db.get(Case, case.id))


def test_a_wrong_role_is_forbidden_and_an_outsider_cannot_find_the_case(db, city):
    case = new_case(db, city)
    with pytest.raises(Forbidden):
        transition(
            db, case_id=case.id, change=Change(to=Status.ACCEPTED), actor=actor(Role.GRID_WORKER)
        )
    with pytest.raises(NotFound):
        transition(
            db,
            case_id=case.id,
            change=Change(to=Status.ACCEPTED),
            actor=actor(Role.DISPATCHER, OTHER_DISTRICT),
        )
    db.rollback()
    assert db.get(Case, case.id).status == "reported"


def test_rejecting_needs_a_reason(db, city):
    case = new_case(db, city)
    with pytest.raises(Invalid):
        transition(
            db,
            case_id=case.id,
            change=Change(to=Status.REJECTED, note="  "),
            actor=actor(Role.DISPATCHER),
        )


def test_a_stale_version_loses_with_a_conflict(db, city):
    case = new_case(db, city)
    transition(
        db,
        case_id=case.id,
        change=Change(to=Status.ACCEPTED, version=0),
        actor=actor(Role.DISPATCHER),
    )
    db.commit()
    with pytest.raises(Conflict) as refused:
        transition(
            db,
            case_id=case.id,
            change=Change(to=Status.REJECTED, note="重复", version=0),
            actor=actor(Role.DISPATCHER),
        )
    assert refused.value.code == "stale_transition"


def test_an_edited_history_row_is_detected(db, city):
    case = new_case(db, city)
    transition(db, case_id=case.id, change=Change(to=Status.ACCEPTED), actor=actor(Role.DISPATCHER))
    db.commit()
    db.execute(update(CaseAction).where(CaseAction.sequence == 1).values(actor="user:someone-else"))
    db.commit()
    assert verify_history(db) == [f"{case.number}: action 1 altered"]


def test_a_deleted_last_row_is_detected(db, city):
    case = new_case(db, city)
    transition(db, case_id=case.id, change=Change(to=Status.ACCEPTED), actor=actor(Role.DISPATCHER))
    db.commit()
    db.query(CaseAction).filter_by(case_id=case.id, sequence=2).delete()
    db.commit()
    assert verify_history(db) == [f"{case.number}: status accepted has no matching history"]


def test_of_two_concurrent_changes_exactly_one_wins(db, engine, city):
    case = new_case(db, city)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(target: Status) -> None:
        with Session(bind=engine) as session:
            barrier.wait()
            try:
                transition(
                    session,
                    case_id=case.id,
                    change=Change(to=target, version=0, note="x"),
                    actor=actor(Role.DISPATCHER),
                )
                session.commit()
                outcomes.append("won")
            except Conflict as refused:
                session.rollback()
                outcomes.append(refused.code)

    threads = [
        threading.Thread(target=attempt, args=(t,)) for t in (Status.ACCEPTED, Status.REJECTED)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert outcomes.count("won") == 1
    db.expire_all()
    assert len(db.query(CaseAction).filter_by(case_id=case.id).all()) == 2


def test_concurrent_reports_each_get_their_own_number(db, engine, city):
    lng, lat = city.point_in(GRID)
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def report_one(index: int) -> None:
        with Session(bind=engine) as session:
            barrier.wait()
            intake = Intake(description=f"占道经营 {index}", channel="resident", lng=lng, lat=lat)
            case, _ = report_case(session, GridIndex(), intake=intake, actor=actor(Role.RESIDENT))
            numbers.append(case.number)

    threads = [threading.Thread(target=report_one, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(numbers)) == 4
