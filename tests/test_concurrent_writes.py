"""Bursts of the same write at once: one request makes the record, the others get a 409.

Services look for an existing username or code before they insert; two
requests arriving together both pass that look and race to the unique index.
The loser's insert used to leave as a 500; it is a conflict the caller can
read (in their language) and act on.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import CITY, People, auth

PARALLEL = 12


def burst(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]):
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [
            pool.submit(client.post, path, json=body, headers=headers) for _ in range(PARALLEL)
        ]
        return [future.result() for future in futures]


def test_the_same_account_created_many_times_at_once_is_made_once_and_refused_otherwise(
    client: TestClient, people: People
):
    headers = {**auth(client, people.admin), "Accept-Language": "zh-CN"}
    body = {"username": "twin", "password": "correct-horse-42", "role": "dispatcher"}
    answers = burst(client, headers, "/api/v1/users", {**body, "scope_code": CITY})
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [409] * (PARALLEL - 1)
    refusals = {answer.json()["error"]["code"] for answer in answers if answer.status_code == 409}
    assert refusals <= {"username_taken", "written_concurrently"}
    listed = client.get("/api/v1/users", headers=headers).json()
    assert [user["username"] for user in listed].count("twin") == 1


def test_the_same_department_created_many_times_at_once_is_made_once_and_refused_otherwise(
    client: TestClient, people: People
):
    headers = {**auth(client, people.admin), "Accept-Language": "en"}
    body = {"code": "twin-police", "name": "公安局", "kind": "police", "region_code": CITY}
    answers = burst(client, headers, "/api/v1/departments", body)
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [409] * (PARALLEL - 1)
    lost = [answer.json()["error"] for answer in answers if answer.status_code == 409]
    assert {error["code"] for error in lost} <= {"department_exists", "written_concurrently"}
    assert all(not error["message"].startswith("error.") for error in lost)
