"""A grid worker's day over HTTP: task list, check-ins, a visit that opens a case, the score."""

from civicgrid.categories.service import seed_builtin
from tests.auth.test_jurisdiction import auth
from tests.factories import user_row
from tests.fieldwork.conftest import GRID, NEIGHBOUR_GRID, add_household, at, png, working_day


def test_a_grid_workers_day_ends_in_a_case_and_the_months_score(client, db, city, people, workers):
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

    scores = client.get(f"/api/v1/fieldwork/scores?month={day:%Y-%m}", headers=staff).json()
    mine = next(score for score in scores if score["username"] == "worker")
    # The far check-in is flagged and not counted: 1 check-in × 1 + 1 visit × 3 + 20 × 2/2 done.
    assert mine["counts"] == {"check_in": 1, "household_visit": 1}
    assert (mine["flagged"], mine["planned"], mine["done"], mine["total"]) == (1, 2, 2, 24.0)


def _record(client, headers, key, *, at, **body):
    return client.post(
        "/api/v1/fieldwork/records",
        json={"occurred_at": at.isoformat(), **body},
        headers={**headers, "Idempotency-Key": key},
    )
