"""Guessing at tracking: phones tried against a case number, numbers tried from one address."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import REPORTER_PHONE as PHONE
from tests.factories import City, People, reported_by_phone


def track(client: TestClient, number: str, phone: str, lang: str = "zh-CN") -> int:
    response = client.get(
        "/api/v1/cases/track", params={"number": number, "phone": phone, "lang": lang}
    )
    return response.status_code


def guesses(count: int) -> list[str]:
    return [f"1390000{n:04d}" for n in range(count)]


@pytest.fixture
def number(db: Session, city: City, people: People) -> str:
    case = reported_by_phone(db, city)
    db.commit()
    return case.number


def test_guessing_phones_for_one_case_is_stopped_with_a_time_to_wait(app: FastAPI, number: str):
    guesser = TestClient(app, client=("203.0.113.7", 40000))
    answers = [track(guesser, number, phone) for phone in guesses(40)]

    assert answers[:10] == [404] * 10
    assert set(answers[10:]) == {429}
    refused = guesser.get(
        "/api/v1/cases/track", params={"number": number, "phone": PHONE, "lang": "en"}
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["message"].startswith("Too many attempts")


def test_spreading_phone_guesses_over_addresses_still_counts_per_case(app: FastAPI, number: str):
    answers = [
        track(TestClient(app, client=(f"10.0.1.{n}", 40000)), number, phone)
        for n, phone in enumerate(guesses(12))
    ]

    assert answers == [404] * 10 + [429] * 2


def test_guessing_case_numbers_from_one_address_is_stopped(app: FastAPI, people: People):
    guesser = TestClient(app, client=("203.0.113.9", 40000))
    answers = [track(guesser, f"5305022099010{n:02d}", PHONE) for n in range(25)]

    assert answers == [404] * 20 + [429] * 5


def test_the_reporter_tracking_their_case_wipes_its_count(app: FastAPI, number: str):
    reporter = TestClient(app, client=("192.0.2.10", 40000))
    for phone in guesses(9):
        track(reporter, number, phone)

    assert [track(reporter, number, PHONE) for _ in range(10)] == [200] * 10
