"""Request bodies are bounded before they are parsed: declared, streamed, or carrying photos."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient

from civicgrid.app import create_app
from civicgrid.settings import Settings
from tests.factories import City, People, auth, report

MEGABYTE = 1024 * 1024


def test_a_json_body_past_the_limit_is_refused_before_it_is_read(client, people: People):
    body = b'{"numbers": ["' + b"1" * (2 * MEGABYTE) + b'"], "to": "accepted"}'

    response = client.post(
        "/api/v1/cases/transitions",
        content=body,
        headers={**auth(client, people.owner), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "request_too_large",
        "message": "请求内容过大（上限 1 MB）",
    }


def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(client, people: People):
    def chunks() -> Iterator[bytes]:
        yield b'{"description": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(
        "/api/v1/disputes",
        content=chunks(),
        headers={
            **auth(client, people.owner),
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )

    assert response.status_code == 413
    assert response.json()["error"]["message"] == "The request is too large (at most 1 MB)"


def test_a_report_with_photos_may_be_larger_than_plain_json_but_is_bounded_too(
    settings: Settings, city: City, people: People
):
    small = settings.model_copy(update={"upload_max_bytes": 3 * MEGABYTE})
    app: FastAPI = create_app(small)
    try:
        with TestClient(app) as client:
            within = report(client, city, address="x" * (2 * MEGABYTE))
            beyond = report(client, city, address="x" * (4 * MEGABYTE))
    finally:
        app.state.engine.dispose()

    assert within.status_code == 422  # past the body limit's door: the address field says no
    assert beyond.status_code == 413
