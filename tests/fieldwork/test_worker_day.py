"""A grid worker's day over HTTP (issue 5, done means): task list, check-ins, a visit whose
fire hazard opens a case, a dispute recorded and handed to a mediator, the month's score."""

from civicgrid.categories.seeds import seed_builtin
from tests.disputes.conftest import mediators, register, walk_in  # noqa: F401  (fixture)
from tests.factories import auth, user_row
from tests.fieldwork.conftest import GRID, NEIGHBOUR_GRID, add_household, at, png, working_day


def test_a_grid_workers_day_ends_in_a_case_a_dispute_and_the_months_score(
    client,
    db,
    city,
    people,
    *,
    workers,
    mediators,  # noqa: F811
):
    seed_builtin(db)
    db.commit()
    household = add_household(db, city, GRID, "5305020010010001")
    staff, worker = auth(client, people.peer), auth(client, workers.worker)
    worker_id = user_row(db, "worker").id
    for task_type in ("check_in", "household_visit"):
        plan = {"worker_id": worker_id, "task_type": task_type, "cadence": "daily", "times": 1}
        assert client.post("/api/v1/fieldwork/plans", json=plan, headers=staff).status_code == 201
    day = working_day()

    tasks = client.get(f"/api/v1/fieldwork/tasks?date={day}", headers=worker).json()
    assert {(t["task_type"], t["subject_id"]) for t in tasks} == {
        ("check_in", None),
        ("household_visit", household.id),
    }
    assert not any(task["done"] for task in tasks)

    lng, lat = city.point_in(GRID)
    inside = _record(client, worker, "k-1", task_type="check_in", at=at(day, 0), lng=lng, lat=lat)
    assert (inside.status_code, inside.json()["flags"]) == (201, [])
    assert inside.json()["distance_m"] == 0

    away = city.point_in(NEIGHBOUR_GRID)
    outside = _record(
        client, worker, "k-2", task_type="check_in", at=at(day, 20), lng=away[0], lat=away[1]
    )
    assert outside.status_code == 201, outside.text
    assert outside.json()["flags"] == ["far_from_grid"]
    assert 450 < outside.json()["distance_m"] < 550

    visit_task = next(t for t in tasks if t["task_type"] == "household_visit")
    visit = _record(
        client,
        worker,
        "k-3",
        task_type="household_visit",
        task_id=visit_task["id"],
        at=at(day, 40),
        lng=lng,
        lat=lat,
        subject_kind="household",
        subject_id=household.id,
        photos=[png((200, 30, 30))],
        assessment=[
            {"item": "fire", "hazard": True, "note": "厨房灶台旁堆放纸箱"},
            {"item": "gas", "hazard": False},
        ],
        open_case=True,
    )
    assert visit.status_code == 201, visit.text
    number = visit.json()["case_number"]
    assert number
    assert visit.json()["task_id"] == visit_task["id"]

    case = client.get(f"/api/v1/cases/{number}", headers=staff).json()
    assert (case["channel"], case["grid_code"], case["category_code"]) == (
        "grid_worker",
        GRID,
        "SG-04-05",
    )
    assert "消防隐患" in case["description"]
    assert "纸箱" in case["description"]

    done = client.get(f"/api/v1/fieldwork/tasks?date={day}", headers=worker).json()
    assert all(task["done"] for task in done)

    # A quarrel met on the round: the worker records the dispute, the platform hands it to
    # the street's mediator, and the worker's own record of it points at the dispute.
    dispute = register(client, workers.worker, walk_in(source="grid_worker"))
    assert dispute["status"] == "assigned"
    assert dispute["mediator"] == "mediator"
    mediated = _record(
        client,
        worker,
        "k-4",
        task_type="dispute_mediation",
        at=at(day, 60),
        lng=lng,
        lat=lat,
        subject_kind="dispute",
        subject_ref=dispute["number"],
        note="双方同意由社区调解员约谈",
    )
    assert mediated.status_code == 201, mediated.text
    unknown = _record(
        client,
        worker,
        "k-5",
        task_type="dispute_mediation",
        at=at(day, 61),
        subject_kind="dispute",
        subject_ref="MD530502000000000000",
    )
    assert unknown.status_code == 404

    scores = client.get(f"/api/v1/fieldwork/scores?month={day:%Y-%m}", headers=staff).json()
    mine = next(score for score in scores if score["username"] == "worker")
    weights = {
        item["key"]: item["weight"]
        for item in client.get("/api/v1/fieldwork/weights", headers=staff).json()
    }
    # The far check-in is flagged and not counted; every planned task was done.
    assert mine["counts"] == {"check_in": 1, "household_visit": 1, "dispute_mediation": 1}
    expected = (
        weights["check_in"]
        + weights["household_visit"]
        + weights["dispute_mediation"]
        + weights["plan_completion"]
    )
    assert (mine["flagged"], mine["planned"], mine["done"]) == (1, 2, 2)
    assert mine["total"] == expected


def _record(client, headers, key, *, at, **body):
    return client.post(
        "/api/v1/fieldwork/records",
        json={"occurred_at": at.isoformat(), **body},
        headers={**headers, "Idempotency-Key": key},
    )
