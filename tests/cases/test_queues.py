"""Queues for the workbenches: filters and counts, the moves a reader may make, bulk moves."""

from civicgrid.auth.models import Role
from tests.factories import OTHER_GRID, AuthedUser, People, auth, report


def numbers(response) -> list[str]:
    return [case["number"] for case in response.json()]


def test_a_queue_filters_by_status_location_and_text_and_counts_all_matches(client, city, people):
    first = report(client, city, description="井盖缺失").json()["number"]
    second = report(client, city, description="路灯不亮").json()["number"]
    unlocated = client.post(
        "/api/v1/cases", json={"description": "无法定位", "lng": 10.0, "lat": 10.0}
    ).json()["number"]
    headers = auth(client, people.admin)

    everything = client.get("/api/v1/cases", params={"limit": 1}, headers=headers)
    assert everything.headers["X-Total-Count"] == "3"
    assert len(everything.json()) == 1

    by_text = client.get("/api/v1/cases", params={"q": "路灯"}, headers=headers)
    assert numbers(by_text) == [second]
    by_number = client.get("/api/v1/cases", params={"q": first}, headers=headers)
    assert numbers(by_number) == [first]
    lost = client.get("/api/v1/cases", params={"unlocated": "true"}, headers=headers)
    assert numbers(lost) == [unlocated]
    reported = client.get(
        "/api/v1/cases", params=[("state", "reported"), ("state", "accepted")], headers=headers
    )
    assert reported.headers["X-Total-Count"] == "3"


def test_a_queue_shows_only_the_readers_jurisdiction(client, city, people: People):
    own = report(client, city).json()["number"]
    other = report(client, city, grid=OTHER_GRID).json()["number"]
    assert numbers(client.get("/api/v1/cases", headers=auth(client, people.owner))) == [own]
    assert numbers(client.get("/api/v1/cases", headers=auth(client, people.outsider))) == [other]


def test_a_bad_filter_is_refused_with_a_message(client, people):
    response = client.get(
        "/api/v1/cases",
        params={"state": "nonsense", "limit": 0},
        headers={**auth(client, people.admin), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_the_moves_offered_depend_on_the_readers_role(client, city, people: People):
    number = report(client, city).json()["number"]
    dispatcher = client.get(f"/api/v1/cases/{number}/moves", headers=auth(client, people.owner))
    offered = {move["to"]: move for move in dispatcher.json()}
    assert set(offered) == {"accepted", "rejected", "merged"}
    assert offered["rejected"]["needs_note"] is True
    assert offered["accepted"]["label"] == "受理"
    staff = client.get(f"/api/v1/cases/{number}/moves", headers=auth(client, people.peer))
    assert staff.json() == []
    outsider = client.get(f"/api/v1/cases/{number}/moves", headers=auth(client, people.outsider))
    assert outsider.status_code == 404


def test_a_department_handler_queue_holds_what_the_department_was_sent(
    client,
    city,
    people: People,
    loop_people: dict[str, AuthedUser],
):
    sent = report(client, city).json()["number"]
    kept = report(client, city).json()["number"]
    headers = auth(client, people.owner)
    for number in (sent, kept):
        client.post(f"/api/v1/cases/{number}/transitions", json={"to": "accepted"}, headers=headers)
    client.post(
        f"/api/v1/cases/{sent}/transitions",
        json={"to": "dispatched", "department_code": "530502-urban"},
        headers=headers,
    )
    handler = loop_people["handler"]
    assert handler.role is Role.DEPARTMENT_HANDLER
    mine = client.get("/api/v1/cases", params={"mine": "true"}, headers=auth(client, handler))
    assert numbers(mine) == [sent]
    moves = client.get(f"/api/v1/cases/{sent}/moves", headers=auth(client, handler)).json()
    assert {move["to"] for move in moves} == {"claimed", "returned"}


def test_a_bulk_move_applies_to_each_case_alone(client, city, people: People):
    first = report(client, city).json()["number"]
    second = report(client, city).json()["number"]
    elsewhere = report(client, city, grid=OTHER_GRID).json()["number"]
    headers = auth(client, people.owner)
    client.post(f"/api/v1/cases/{second}/transitions", json={"to": "accepted"}, headers=headers)

    response = client.post(
        "/api/v1/cases/transitions",
        json={"numbers": [first, second, elsewhere], "to": "accepted"},
        headers=headers,
    )
    assert response.status_code == 200
    results = {item["number"]: item for item in response.json()}
    assert results[first]["moved"] is True
    assert results[first]["status"] == "accepted"
    assert results[second]["moved"] is False
    assert results[second]["error"]
    assert results[elsewhere]["moved"] is False
    admin = auth(client, people.admin)
    assert client.get(f"/api/v1/cases/{first}", headers=admin).json()["status"] == "accepted"
    assert client.get(f"/api/v1/cases/{elsewhere}", headers=admin).json()["status"] == "reported"
    actions = client.get(f"/api/v1/cases/{second}/actions", headers=admin).json()
    assert [action["to_status"] for action in actions] == ["reported", "accepted"]
