"""The leader view: figures drawn on the server for the reader's own area, with Excel export."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.factories import OTHER_GRID, AuthedUser, City, People, report, sign_in


def received_total(html: str) -> int:
    """The total row's received count (the first figure after 合计)."""
    found = re.search(r"<tfoot>.*?合计</th>\s*<td>(\d+)</td>", html, re.S)
    assert found, html
    return int(found.group(1))


@pytest.fixture
def two_cases(client: TestClient, city: City) -> None:
    assert report(client, city).status_code == 201
    assert report(client, city, grid=OTHER_GRID).status_code == 201


@pytest.mark.parametrize(("who", "expected"), [("leader", 2), ("owner", 1), ("outsider", 1)])
def test_each_reader_sees_the_figures_of_their_own_area(
    client: TestClient, people: People, two_cases: None, who: str, expected: int
):
    person: AuthedUser = getattr(people, who)
    sign_in(client, person.username, person.password)
    page = client.get("/indicators", params={"group": "street"})
    assert page.status_code == 200
    assert received_total(page.text) == expected
    assert 'href="/api/v1/indicators.xlsx?group=street"' in page.text


def test_the_export_link_returns_the_same_report_as_a_workbook(
    client: TestClient, people: People, two_cases: None
):
    sign_in(client, people.leader.username, people.leader.password)
    workbook = client.get("/api/v1/indicators.xlsx", params={"group": "street"})
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"


def test_a_reversed_period_is_refused_at_the_form_in_the_readers_language(
    client: TestClient, people: People
):
    sign_in(client, people.leader.username, people.leader.password)
    chinese = client.get("/indicators", params={"from": "2026-11-20", "to": "2026-11-01"})
    assert chinese.status_code == 422
    assert 'role="alert"' in chinese.text
    assert 'value="2026-11-20"' in chinese.text
    english = client.get(
        "/indicators", params={"from": "2026-11-20", "to": "2026-11-01", "lang": "en"}
    )
    assert english.status_code == 422
    assert '<html lang="en">' in english.text


def test_a_role_without_figures_is_told_so_not_shown_an_error_page(
    client: TestClient, people: People
):
    sign_in(client, people.peer.username, people.peer.password)
    page = client.get("/indicators")
    assert page.status_code == 403
    assert 'role="alert"' in page.text
    assert "indicator-table" not in page.text


def test_anonymous_readers_are_sent_to_sign_in(client: TestClient):
    response = client.get("/indicators", follow_redirects=False)
    assert response.status_code == 303
