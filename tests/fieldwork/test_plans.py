"""Plans set by staff inside their area, and task generation that never duplicates."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from civicgrid.auth import service as auth_service
from civicgrid.errors import DomainError
from civicgrid.fieldwork import plans
from civicgrid.fieldwork.models import Cadence, Task, TaskType
from civicgrid.worker import generate_day_tasks
from tests.factories import auth, user_row
from tests.fieldwork.conftest import GRID, OTHER_DISTRICT_GRID, add_household, add_key_place

NOVEMBER = [date(2026, 11, 1) + timedelta(days=offset) for offset in range(30)]


def staff(db):
    return auth_service.actor_for_user(user_row(db, "peer"))


def test_generating_a_month_twice_makes_each_visit_once_spread_over_days(db, city, people, workers):
    households = [add_household(db, city, GRID, f"53050200100100{n:02d}") for n in range(1, 11)]
    worker = user_row(db, "worker")
    plans.create_plan(
        db,
        staff(db),
        worker_id=worker.id,
        task_type=TaskType.HOUSEHOLD_VISIT,
        cadence=Cadence.MONTHLY,
        times=2,
    )
    created = [plans.generate_tasks(db, day=day) for day in NOVEMBER]
    again = [plans.generate_tasks(db, day=day) for day in NOVEMBER]
    db.commit()
    assert sum(created) == 2 * len(households)
    assert sum(again) == 0
    per_household = Counter(db.scalars(select(Task.subject_id)))
    assert set(per_household.values()) == {2}
    per_day = Counter(db.scalars(select(Task.due_on)))
    assert len(per_day) == 2 * len(households)
    assert db.scalar(select(func.count()).select_from(Task)) == 2 * len(households)


def test_key_place_patrols_follow_each_places_interval(db, city, people, workers):
    market = add_key_place(db, city, GRID, "青华农贸市场", every_days=7)
    school = add_key_place(db, city, GRID, "永昌小学", every_days=14)
    worker = user_row(db, "worker")
    plans.create_plan(
        db,
        staff(db),
        worker_id=worker.id,
        task_type=TaskType.KEY_PLACE_PATROL,
        cadence=Cadence.PLACE_SCHEDULE,
        times=1,
    )
    for day in NOVEMBER:
        plans.generate_tasks(db, day=day)
    counts = Counter(db.scalars(select(Task.subject_id)))
    # 30 days hold four or five weekly blocks and two or three fortnightly ones.
    assert 4 <= counts[market.id] <= 5
    assert 2 <= counts[school.id] <= 3


@pytest.mark.parametrize(
    ("task_type", "cadence", "times", "code"),
    [
        (TaskType.CHECK_IN, Cadence.DAILY, 2, "fieldwork_times_out_of_range"),
        (TaskType.HOUSEHOLD_VISIT, Cadence.WEEKLY, 6, "fieldwork_times_out_of_range"),
        (TaskType.CHECK_IN, Cadence.PLACE_SCHEDULE, 1, "fieldwork_place_schedule_only_patrol"),
    ],
)
def test_senseless_plans_are_refused(db, people, workers, *, task_type, cadence, times, code):
    worker = user_row(db, "worker")
    with pytest.raises(DomainError) as refused:
        plans.create_plan(
            db, staff(db), worker_id=worker.id, task_type=task_type, cadence=cadence, times=times
        )
    assert refused.value.code == code


def test_staff_plan_only_for_workers_in_their_area(client, db, people, workers):
    body = {"task_type": "check_in", "cadence": "daily", "times": 1}
    peer = auth(client, people.peer)
    far = user_row(db, "far").id
    mine = user_row(db, "worker").id
    refused = client.post("/api/v1/fieldwork/plans", json={**body, "worker_id": far}, headers=peer)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "fieldwork_worker_not_found"
    made = client.post("/api/v1/fieldwork/plans", json={**body, "worker_id": mine}, headers=peer)
    assert made.status_code == 201
    by_worker = client.post(
        "/api/v1/fieldwork/plans",
        json={**body, "worker_id": mine},
        headers=auth(client, workers.worker),
    )
    assert by_worker.status_code == 403
    assert client.get("/api/v1/fieldwork/plans", headers=auth(client, people.outsider)).json() == []


def test_staff_see_the_days_tasks_of_their_grids_and_outsiders_none(client, db, people, workers):
    worker = user_row(db, "worker")
    plans.create_plan(
        db,
        staff(db),
        worker_id=worker.id,
        task_type=TaskType.CHECK_IN,
        cadence=Cadence.DAILY,
        times=1,
    )
    monday = date(2026, 11, 23)
    plans.generate_tasks(db, day=monday)
    db.commit()
    url = f"/api/v1/fieldwork/tasks?date={monday}&grid={GRID}"
    seen = client.get(url, headers=auth(client, people.peer)).json()
    assert [(task["task_type"], task["label"]) for task in seen] == [("check_in", "签到")]
    assert client.get(url, headers=auth(client, people.outsider)).json() == []


def test_a_switched_off_plan_generates_nothing(client, db, people, workers):
    worker = user_row(db, "worker")
    plan = plans.create_plan(
        db,
        staff(db),
        worker_id=worker.id,
        task_type=TaskType.SAFETY_PUBLICITY,
        cadence=Cadence.WEEKLY,
        times=5,
    )
    db.commit()
    switched = client.put(
        f"/api/v1/fieldwork/plans/{plan.id}/active",
        json={"active": False},
        headers=auth(client, people.peer),
    )
    assert switched.status_code == 200
    db.expire_all()
    assert plans.generate_tasks(db, day=date(2026, 11, 23)) == 0


def test_the_background_worker_makes_todays_tasks_once_a_day(db, engine, people, workers):
    worker = user_row(db, "worker")
    plans.create_plan(
        db,
        staff(db),
        worker_id=worker.id,
        task_type=TaskType.CHECK_IN,
        cadence=Cadence.DAILY,
        times=1,
    )
    db.commit()
    sessions = sessionmaker(bind=engine)
    today = generate_day_tasks(sessions, done_for=None)
    count = select(func.count()).select_from(Task).where(Task.worker_id == worker.id)
    made = db.scalar(count)
    assert generate_day_tasks(sessions, done_for=today) == today
    assert generate_day_tasks(sessions, done_for=None) == today
    assert db.scalar(count) == made


def test_raising_frequency_moves_the_grids_visit_and_patrol_plans_one_cadence_up(
    db, people, workers
):
    worker = user_row(db, "worker")
    made = {
        (task_type, cadence): plans.create_plan(
            db, staff(db), worker_id=worker.id, task_type=task_type, cadence=cadence, times=times
        )
        for task_type, cadence, times in (
            (TaskType.HOUSEHOLD_VISIT, Cadence.YEARLY, 3),
            (TaskType.KEY_PLACE_PATROL, Cadence.WEEKLY, 5),
            (TaskType.KEY_PLACE_PATROL, Cadence.PLACE_SCHEDULE, 1),
            (TaskType.CHECK_IN, Cadence.WEEKLY, 1),
        )
    }

    changed = plans.raise_frequency(db, staff(db), grid_code=GRID, why="test")

    assert sorted(plan.id for plan in changed) == sorted(
        made[key].id
        for key in (
            (TaskType.HOUSEHOLD_VISIT, Cadence.YEARLY),
            (TaskType.KEY_PLACE_PATROL, Cadence.WEEKLY),
        )
    )
    assert [(plan.cadence, plan.times) for plan in made.values()] == [
        ("monthly", 3),
        ("daily", 1),
        ("place_schedule", 1),
        ("weekly", 1),
    ]
    with pytest.raises(DomainError):
        plans.raise_frequency(db, staff(db), grid_code=OTHER_DISTRICT_GRID, why="test")
