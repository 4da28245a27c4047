"""Records over HTTP: offline replays, photo reuse, bad input in both languages, jurisdiction."""

from datetime import timedelta

import pytest

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.timeutil import utcnow
from tests.factories import PASSWORD, AuthedUser, auth
from tests.fieldwork.conftest import (
    GRID,
    OTHER_DISTRICT_GRID,
    add_household,
    check_in,
    grid_worker,
    png,
    working_day,
)

RECORDS = "/api/v1/fieldwork/records"


def post(client, headers, body, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(RECORDS, json=body, headers={**headers, **extra})


def test_a_phone_resending_a_record_gets_the_first_one_back(client, city, workers):
    worker = auth(client, workers.worker)
    first = post(client, worker, check_in(city), key="offline-1")
    again = post(client, worker, check_in(city), key="offline-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get(RECORDS, headers=worker).json()) == 1


def test_client_id_in_the_body_works_like_the_header(client, city, workers):
    worker = auth(client, workers.worker)
    first = post(client, worker, check_in(city, client_id="phone-7"))
    again = post(client, worker, check_in(city, client_id="phone-7"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["client_id"] == "phone-7"


def test_the_same_key_with_a_different_body_is_refused(client, city, workers):
    worker = auth(client, workers.worker)
    post(client, worker, check_in(city), key="offline-2")
    refused = post(client, worker, check_in(city, note="改过的"), key="offline-2")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "fieldwork_key_reused"


def test_a_photo_used_in_two_records_flags_the_second(client, city, people, workers):
    worker = auth(client, workers.worker)
    photo = png((10, 120, 200))
    first = post(client, worker, check_in(city, photos=[photo]), key="p-1")
    second = post(client, worker, check_in(city, minute=30, photos=[photo]), key="p-2")
    assert first.json()["flags"] == []
    assert second.json()["flags"] == ["photo_reused"]
    assert second.json()["photos"] == first.json()["photos"]
    flags = client.get("/api/v1/fieldwork/flags", headers=auth(client, people.peer)).json()
    assert [(f["record_id"], f["kind"], f["other_record_id"]) for f in flags] == [
        (second.json()["id"], "photo_reused", first.json()["id"])
    ]


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-CN", "记录时间晚于当前时间"), ("en", "in the future")]
)
def test_a_record_from_the_future_is_refused_in_the_callers_language(
    client, city, workers, language, expected
):
    headers = {**auth(client, workers.worker), "Accept-Language": language}
    body = {**check_in(city), "occurred_at": (utcnow() + timedelta(hours=2)).isoformat()}
    refused = post(client, headers, body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "fieldwork_time_in_future"
    assert expected in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"occurred_at": (utcnow() - timedelta(days=30)).isoformat()}, "fieldwork_time_too_old"),
        ({"lat": None}, "fieldwork_point_incomplete"),
        ({"assessment": [{"item": "fire", "hazard": True}]}, "fieldwork_assessment_only_on_visits"),
        ({"subject_kind": "household"}, "fieldwork_subject_id_required"),
        ({"task_type": "nap"}, "validation"),
        ({"lng": 500}, "validation"),
        ({"task_id": 999}, "fieldwork_task_not_found"),
    ],
)
def test_bad_records_are_refused_with_a_translated_reason(client, city, workers, change, code):
    refused = post(client, auth(client, workers.worker), {**check_in(city), **change})
    assert refused.status_code in {404, 422}
    assert refused.json()["error"]["code"] == code
    assert refused.json()["error"]["message"]


def test_a_visit_without_a_hazard_cannot_open_a_case(client, db, city, workers):
    household = add_household(db, city, GRID, "5305020010010002")
    body = {
        **check_in(city),
        "task_type": "household_visit",
        "subject_kind": "household",
        "subject_id": household.id,
        "assessment": [{"item": "fire", "hazard": False}],
        "open_case": True,
    }
    refused = post(client, auth(client, workers.worker), body)
    assert refused.json()["error"]["code"] == "fieldwork_open_case_without_hazard"


def test_only_grid_workers_write_records(client, city, people):
    refused = post(client, auth(client, people.peer), check_in(city))
    assert refused.status_code == 403


def test_a_worker_cannot_record_a_visit_to_another_districts_household(client, db, city, workers):
    household = add_household(db, city, GRID, "5305020010010003")
    body = {
        **check_in(city),
        "task_type": "household_visit",
        "subject_kind": "household",
        "subject_id": household.id,
    }
    refused = post(client, auth(client, workers.far), body)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "fieldwork_subject_not_found"


def test_an_outsider_sees_no_records_flags_tasks_or_scores(client, city, people, workers):
    worker = auth(client, workers.worker)
    photo = png((1, 2, 3))
    post(client, worker, check_in(city, photos=[photo]), key="o-1")
    post(client, worker, check_in(city, minute=5, photos=[photo]), key="o-2")
    outsider, staff = auth(client, people.outsider), auth(client, people.peer)
    for path in ("records", "flags", f"tasks?date={working_day()}"):
        assert client.get(f"/api/v1/fieldwork/{path}", headers=outsider).json() == [], path
    scores = client.get("/api/v1/fieldwork/scores", headers=outsider).json()
    assert [score["username"] for score in scores] == ["far"]
    assert len(client.get(RECORDS, headers=staff).json()) == 2
    assert len(client.get(RECORDS, headers=auth(client, workers.far)).json()) == 0


def test_ten_kilometres_in_five_minutes_is_flagged_as_impossible_travel(client, city, workers):
    worker = auth(client, workers.worker)
    far_lng, far_lat = city.point_in(OTHER_DISTRICT_GRID)
    post(client, worker, check_in(city), key="t-1")
    jumped = post(client, worker, check_in(city, minute=5, lng=far_lng, lat=far_lat), key="t-2")
    assert jumped.json()["flags"] == ["far_from_grid", "impossible_travel"]


def test_people_without_a_part_in_field_work_read_none_of_it(client, db, workers):
    colleague = grid_worker(db, "colleague", GRID)
    auth_service.create_user(
        db, username="resident", password=PASSWORD, role=Role.RESIDENT, scope_code=GRID
    )
    db.commit()
    resident = auth(client, AuthedUser("resident", PASSWORD, GRID, Role.RESIDENT))
    for path in ("records", "flags", "tasks", "plans", "scores"):
        assert client.get(f"/api/v1/fieldwork/{path}", headers=resident).status_code == 403, path
    assert client.get(RECORDS, headers=auth(client, colleague)).status_code == 200
