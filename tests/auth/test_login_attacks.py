"""Signing in under attack: parallel guesses, lock-outs by strangers, probing for names.

Each burst is real: parallel threads post to the ASGI app, whose sign-in runs in
its thread pool against the database, on both engines.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service
from civicgrid.errors import TooManyRequests, Unauthorized
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc, utcnow
from tests.factories import PASSWORD, People, user_row

WRONG = "not-the-password"


@pytest.fixture
def clients(app: FastAPI) -> Iterator[dict[str, TestClient]]:
    """One client per address, opened on demand, all closed at the end."""
    opened: dict[str, TestClient] = {}
    yield opened
    for client in opened.values():
        client.close()


def from_address(clients: dict[str, TestClient], app: FastAPI, address: str) -> TestClient:
    if address not in clients:
        clients[address] = TestClient(app, client=(address, 40000))
    return clients[address]


def attempt(client: TestClient, username: str, password: str) -> httpx2.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def burst(tries: list[tuple[TestClient, str, str]]) -> list[httpx2.Response]:
    with ThreadPoolExecutor(max_workers=len(tries)) as pool:
        return list(pool.map(lambda args: attempt(*args), tries))


def test_parallel_wrong_passwords_are_each_counted(
    db: Session, app: FastAPI, clients: dict[str, TestClient], people: People
):
    tries = [(from_address(clients, app, f"10.0.0.{n}"), "peer", WRONG) for n in range(30)]

    answers = burst(tries)

    assert [answer.status_code for answer in answers] == [401] * 30
    db.expire_all()
    assert user_row(db, "peer").failed_logins == 30


def test_a_burst_from_one_address_has_only_five_passwords_checked(
    app: FastAPI, clients: dict[str, TestClient], people: People
):
    guesser = from_address(clients, app, "203.0.113.7")
    tries = [(guesser, "admin", WRONG)] * 29 + [(guesser, "admin", PASSWORD)]

    answers = burst(tries)

    checked = [answer for answer in answers if answer.status_code != 429]
    assert len(checked) == 5
    refused = [answer for answer in answers if answer.status_code == 429]
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in refused)
    assert refused[0].json()["error"]["code"] == "too_many_attempts"
    assert attempt(guesser, "admin", PASSWORD).status_code == 429


def test_a_stranger_cannot_lock_the_administrator_out(
    app: FastAPI, clients: dict[str, TestClient], people: People
):
    stranger = from_address(clients, app, "203.0.113.7")
    for _ in range(20):
        attempt(stranger, "admin", WRONG)

    owner = attempt(from_address(clients, app, "192.0.2.10"), "admin", PASSWORD)

    assert owner.status_code == 200


def test_a_made_up_name_is_answered_exactly_like_a_real_one(
    app: FastAPI, clients: dict[str, TestClient], people: People
):
    def answers(username: str, address: str) -> list[tuple[int, str]]:
        client = from_address(clients, app, address)
        replies = [attempt(client, username, WRONG) for _ in range(7)]
        return [(reply.status_code, reply.json()["error"]["message"]) for reply in replies]

    assert answers("peer", "198.51.100.1") == answers("ghost", "198.51.100.2")


def test_the_throttle_refuses_in_english_when_asked(
    app: FastAPI, clients: dict[str, TestClient], people: People
):
    guesser = from_address(clients, app, "203.0.113.8")
    for _ in range(5):
        attempt(guesser, "peer", WRONG)

    refused = guesser.post(
        "/api/v1/auth/token",
        data={"username": "peer", "password": WRONG},
        headers={"Accept-Language": "en"},
    )

    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("Too many attempts")


def test_the_owner_signing_in_wipes_their_own_count(
    app: FastAPI, clients: dict[str, TestClient], people: People
):
    owner = from_address(clients, app, "192.0.2.10")
    for _ in range(4):
        attempt(owner, "peer", WRONG)
    assert attempt(owner, "peer", PASSWORD).status_code == 200

    replies = [attempt(owner, "peer", WRONG).status_code for _ in range(4)]

    assert replies == [401] * 4


def fail(db: Session, username: str, times: int, now: object) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            service.authenticate(db, username=username, password=WRONG, now=now)  # type: ignore[arg-type]


def test_failures_from_everywhere_lock_the_account_for_longer_each_round(
    db: Session, people: People
):
    rounds = get_settings().account_lock_failures
    start = utcnow()

    fail(db, "peer", rounds, start)
    db.expire_all()
    first = as_utc(user_row(db, "peer").locked_until)  # type: ignore[arg-type]
    with pytest.raises(TooManyRequests):
        service.authenticate(db, username="peer", password=PASSWORD, now=start)
    fail(db, "peer", rounds, first)
    db.expire_all()
    second = as_utc(user_row(db, "peer").locked_until)  # type: ignore[arg-type]

    assert first - start == timedelta(minutes=15)
    assert second - first == timedelta(minutes=30)
