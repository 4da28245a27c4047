"""Signing in leads on to the page the user was going to, and only to a page of this site."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import ORIGIN, People, page_token


def sign_in_going(client: TestClient, people: People, going: str):
    token = page_token(client.get("/login").text)
    return client.post(
        "/login",
        data={
            "username": people.owner.username,
            "password": people.owner.password,
            "csrf_token": token,
            "next": going,
        },
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )


def test_a_page_that_needs_a_session_sends_to_sign_in_with_where_it_was(client: TestClient):
    response = client.get("/field?tab=tasks", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ffield%3Ftab%3Dtasks"


def test_the_sign_in_form_carries_the_target_and_signing_in_goes_there(
    client: TestClient, people: People
):
    form = client.get("/login?next=/field")
    assert '<input type="hidden" name="next" value="/field">' in form.text

    response = sign_in_going(client, people, "/field?tab=tasks")

    assert response.status_code == 303
    assert response.headers["location"] == "/field?tab=tasks"


@pytest.mark.parametrize(
    "elsewhere",
    [
        "//evil.example",
        "//evil.example/field",
        "https://evil.example/",
        "http:/evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "field",
        "/field\r\nSet-Cookie: x=1",
    ],
)
def test_a_target_off_this_site_is_refused_for_the_home_page(
    client: TestClient, people: People, elsewhere: str
):
    response = sign_in_going(client, people, elsewhere)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "evil" not in client.get("/login", params={"next": elsewhere}).text
