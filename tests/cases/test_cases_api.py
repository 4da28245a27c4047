"""Case intake and reading over HTTP: idempotency, location, jurisdiction, bad input."""

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.service import verify_history
from tests.factories import OTHER_GRID, PASSWORD, AuthedUser, People, auth, report

GRID = "530502001001001"


def test_an_anonymous_resident_report_is_located_and_numbered(client, city):
    response = report(client, city)
    assert response.status_code == 201
    case = response.json()
    assert case["grid_code"] == GRID
    assert case["status"] == "reported"
    assert case["number"].startswith("530502")
    assert len(case["number"]) == 19


def test_the_same_idempotency_key_returns_the_first_case(client, city):
    first = report(client, city, key="k-1")
    again = report(client, city, key="k-1")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]


def test_a_reused_key_with_a_different_body_is_refused(client, city):
    report(client, city, key="k-2")
    response = report(client, city, key="k-2", description="另一件事")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_a_point_outside_every_grid_is_kept_as_unlocated(client, people: People):
    response = client.post(
        "/api/v1/cases",
        json={"description": "路面塌陷", "channel": "api", "lng": 99.19, "lat": 25.12},
        headers=auth(client, people.admin),
    )
    assert response.status_code == 201
    assert response.json()["unlocated"] is True
    assert response.json()["region_code"] == "530500"


@pytest.mark.parametrize(
    "body",
    [
        {"description": "", "channel": "resident", "lng": 99.1, "lat": 25.1},
        {"description": "x", "channel": "pigeon", "lng": 99.1, "lat": 25.1},
        {"description": "x", "channel": "resident", "lng": 99.1},
        {"description": "x", "channel": "resident"},
        {"description": "x", "channel": "resident", "lng": 999, "lat": 25.1},
    ],
)
def test_bad_reports_get_a_422_and_store_nothing(client, people, body):
    response = client.post("/api/v1/cases", json=body)
    assert response.status_code == 422
    listed = client.get("/api/v1/cases", headers=auth(client, people.leader)).json()
    assert listed == []


def test_each_person_sees_the_cases_of_their_own_area(client, city, people: People):
    own = report(client, city).json()["number"]
    other = report(client, city, grid=OTHER_GRID).json()["number"]

    def numbers(person) -> set[str]:
        return {
            c["number"] for c in client.get("/api/v1/cases", headers=auth(client, person)).json()
        }

    assert numbers(people.owner) == {own}
    assert numbers(people.peer) == {own}
    assert numbers(people.outsider) == {other}
    assert numbers(people.leader) == {own, other}
    assert (
        client.get(f"/api/v1/cases/{own}", headers=auth(client, people.outsider)).status_code == 404
    )


def test_a_dispatcher_accepts_through_the_transition_door(client, city, people: People):
    number = report(client, city).json()["number"]
    headers = auth(client, people.owner)
    moved = client.post(
        f"/api/v1/cases/{number}/transitions", json={"to": "accepted"}, headers=headers
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "accepted"
    wrong_role = client.post(
        f"/api/v1/cases/{number}/transitions",
        json={"to": "rejected", "note": "不属实"},
        headers=auth(client, people.peer),
    )
    assert wrong_role.status_code == 403
    actions = client.get(f"/api/v1/cases/{number}/actions", headers=headers).json()
    assert [a["to_status"] for a in actions] == ["reported", "accepted"]


def test_a_transition_the_table_forbids_is_a_409(client, city, people: People):
    number = report(client, city).json()["number"]
    response = client.post(
        f"/api/v1/cases/{number}/transitions",
        json={"to": "closed"},
        headers=auth(client, people.owner),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"


def test_text_the_database_cannot_hold_is_a_422_never_a_500(client, city, database_url):
    response = report(client, city, description="井盖\u0000缺失")
    if database_url.startswith("postgresql"):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unstorable_value"
    else:
        assert response.status_code == 201


def test_numbers_go_on_from_the_counter_and_a_batch_takes_a_run_of_them(client, city, people):
    first = report(client, city).json()["number"]
    lng, lat = city.point_in(GRID)
    body = {
        "cases": [
            {"description": f"路灯不亮 {i}", "channel": "hotline_12345", "lng": lng, "lat": lat}
            for i in range(3)
        ]
    }
    batch = client.post("/api/v1/cases/batch", json=body, headers=auth(client, people.admin))
    assert batch.status_code == 200, batch.text
    numbers = [item["number"] for item in batch.json()]
    sequences = [int(number[-5:]) for number in [first, *numbers]]
    assert sequences == list(range(sequences[0], sequences[0] + 4))


def test_anonymous_reports_from_one_address_are_bounded_but_signed_in_ones_are_not(
    client, city, people: People
):
    answers = [report(client, city).status_code for _ in range(11)]
    signed_in = report(client, city, headers=auth(client, people.owner))

    assert answers == [201] * 10 + [429]
    assert signed_in.status_code == 201


@pytest.mark.parametrize("channel", ["hotline_12345", "diversion_110", "petition", "device"])
def test_an_anonymous_caller_cannot_file_as_the_hotline_or_another_system(
    client, city, people: People, channel
):
    admin = auth(client, people.admin)
    before = client.get("/api/v1/cases", headers=admin).headers["X-Total-Count"]
    response = report(client, city, channel=channel, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "case_channel_not_yours"
    assert "居民" in response.json()["error"]["message"]
    assert client.get("/api/v1/cases", headers=admin).headers["X-Total-Count"] == before


def test_a_signed_in_resident_reports_only_as_a_resident(client, city, db):
    auth_service.create_user(
        db, username="jumin", password=PASSWORD, role=Role.RESIDENT, scope_code="530500"
    )
    db.commit()
    headers = auth(client, AuthedUser("jumin", PASSWORD, "530500", Role.RESIDENT))
    refused = report(client, city, channel="hotline_12345", headers=headers)
    assert refused.status_code == 403
    accepted = report(client, city, channel="resident", headers=headers)
    assert accepted.status_code == 201
    assert accepted.json()["channel"] == "resident"


def test_staff_and_connected_systems_file_for_the_channels_they_speak_for(
    client, city, people: People
):
    response = report(client, city, channel="hotline_12345", headers=auth(client, people.admin))
    assert response.status_code == 201
    assert response.json()["channel"] == "hotline_12345"


def test_a_report_naming_no_channel_is_a_residents_from_a_resident_and_api_from_staff(
    client, city, people: People
):
    lng, lat = city.point_in(GRID)
    body = {"description": "井盖缺失", "lng": lng, "lat": lat}
    anonymous = client.post("/api/v1/cases", json=body)
    staff = client.post("/api/v1/cases", json=body, headers=auth(client, people.admin))
    assert (anonymous.status_code, anonymous.json()["channel"]) == (201, "resident")
    assert (staff.status_code, staff.json()["channel"]) == (201, "api")


def test_a_burst_of_parallel_reports_and_batches_numbers_each_case_once_and_keeps_every_chain(
    client, city, people: People, db
):
    headers = auth(client, people.admin)

    def single(n: int) -> list[str]:
        grid = GRID if n % 2 else OTHER_GRID
        answer = report(client, city, grid=grid, key=f"burst-{n}", headers=headers)
        assert answer.status_code == 201, answer.text
        return [answer.json()["number"]]

    def batch(n: int) -> list[str]:
        lng, lat = city.point_in(GRID)
        items = [
            {"description": f"占道经营 {n}-{i}", "channel": "hotline_12345", "lng": lng, "lat": lat}
            for i in range(5)
        ]
        answer = client.post("/api/v1/cases/batch", json={"cases": items}, headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["number"] for item in answer.json()]

    with ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(single, n) for n in range(16)]
        futures += [pool.submit(batch, n) for n in range(3)]
        numbers = [number for future in futures for number in future.result()]

    assert len(numbers) == len(set(numbers)) == 31
    runs: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        runs[number[:-5]].append(int(number[-5:]))
    assert all(sorted(run) == list(range(min(run), min(run) + len(run))) for run in runs.values())
    db.expire_all()
    assert verify_history(db) == []
