"""The workbench queue's column filters, sorting and Excel export, inside the reader's area."""

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import (
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    City,
    People,
    auth,
    report,
)

OTHER_STREET_GRID = "530502002001001"


def numbers(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    response = client.get(f"/api/v1/cases{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [case["number"] for case in response.json()]


def three_cases(client: TestClient, city: City) -> list[str]:
    return [
        report(client, city, grid).json()["number"]
        for grid in (OWN_GRID, OTHER_STREET_GRID, OTHER_GRID)
    ]


def test_the_area_filter_narrows_the_queue_and_never_widens_it(
    client: TestClient, city: City, people: People
):
    own, _, _ = three_cases(client, city)
    assert numbers(client, auth(client, people.leader), f"?region={OWN_STREET}") == [own]
    assert numbers(client, auth(client, people.leader), f"?region={OWN_GRID}") == [own]
    assert numbers(client, auth(client, people.outsider), f"?region={OWN_STREET}") == []


def test_the_queue_sorts_oldest_first_or_by_deadline(
    client: TestClient, city: City, people: People
):
    made = three_cases(client, city)
    leader = auth(client, people.leader)
    assert numbers(client, leader, "") == made[::-1]
    assert numbers(client, leader, "?sort=created") == made
    assert sorted(numbers(client, leader, "?sort=due")) == sorted(made)


def test_the_deadline_window_keeps_the_cases_due_inside_it(
    client: TestClient, city: City, people: People
):
    made = three_cases(client, city)
    leader = auth(client, people.leader)
    assert numbers(client, leader, "?due_before=2000-01-01T00:00:00Z") == []
    assert sorted(numbers(client, leader, "?due_after=2000-01-01T00:00:00Z")) == sorted(made)


def test_bad_filter_values_are_refused_in_chinese(client: TestClient, people: People):
    headers = auth(client, people.leader)
    for query, status in (
        ("?region=53050x", 422),
        ("?sort=colour", 422),
        ("?due_before=tomorrow", 422),
        ("?department=no-such-department", 404),
    ):
        response = client.get(f"/api/v1/cases{query}", headers=headers)
        assert response.status_code == status, query
        message = response.json()["error"]["message"]
        assert any("\u4e00" <= char <= "\u9fff" for char in message), message


def rows_of(body: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_the_export_holds_the_filtered_rows_of_the_readers_area_with_names(
    client: TestClient, city: City, people: People
):
    own, other_street, foreign = three_cases(client, city)
    response = client.get("/api/v1/cases/export.xlsx", headers=auth(client, people.owner))
    assert response.status_code == 200
    header, *rows = rows_of(response.content)
    assert header[0] == "案件编号"
    assert "承办部门" in header
    assert [row[0] for row in rows] == [own]
    assert rows[0][1] != "reported"  # the status's name
    assert rows[0][5] not in {OWN_GRID, None}  # the grid's name, not its code
    leader = auth(client, people.leader)
    filtered = client.get(f"/api/v1/cases/export.xlsx?region={OWN_STREET}", headers=leader)
    assert [row[0] for row in rows_of(filtered.content)[1:]] == [own]
    everything = client.get("/api/v1/cases/export.xlsx", headers=leader)
    assert sorted(row[0] for row in rows_of(everything.content)[1:]) == sorted(
        [own, other_street, foreign]
    )
