"""Schemathesis over the whole OpenAPI: no request, from any role, is a server error.

Every operation the app publishes gets a few generated requests (valid and
invalid bodies, queries, headers, path values). Each valid one is sent as
every role of the platform with a bearer token, as an integration key, as a
signed-in page session carrying its CSRF token, and with no account; each
invalid one as three of them (see `_callers`). A second copy of each
request that takes a case or dispute number names a real one, so the fuzz
reaches past the 404. The run is derandomized with a fixed seed and a small
example count, so `make test` finds the same things every time in bounded time.

Throttles are raised far above the run's request count: the fuzz is about
server errors, and a 429 after the tenth anonymous report would hide them.
"""

from collections import Counter
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.settings import Settings
from tests.disputes.conftest import register, walk_in
from tests.factories import (
    CITY,
    OWN_COMMUNITY,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    City,
    People,
    page_token,
    report,
    sign_in,
    token_for,
)

EXAMPLES_PER_OPERATION = 4
# The operations are dealt round into this many tests, so the test workers share them.
SHARDS = 3
LIVE_STREAM = "/api/v1/live/cases"
GENEROUS = "100000/minute"
ADMIN_CALLER = "admin"  # the administrator of tests/factories.py, who passes most role checks
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# The roles the fixed people of tests/factories.py do not already hold.
EXTRA_ROLES = {
    "fuzz.community": (Role.COMMUNITY_STAFF, OWN_COMMUNITY),
    "fuzz.worker": (Role.GRID_WORKER, OWN_GRID),
    "fuzz.handler": (Role.DEPARTMENT_HANDLER, CITY),
    "fuzz.mediator": (Role.MEDIATOR, OWN_STREET),
    "fuzz.resident": (Role.RESIDENT, CITY),
}

# An event stream is read up to its first event, never to its end.
CONFIG = schemathesis.Config.from_dict({"max-stream-events": 1})

HYPOTHESIS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        data_dir=tmp_path / "var",
        login_limits_per_address=GENEROUS,
        login_limits_per_account=GENEROUS,
        track_limits_per_address=GENEROUS,
        track_limits_per_case=GENEROUS,
        report_limits_per_address=GENEROUS,
    )


@pytest.fixture
def fuzz_app(app: FastAPI, db: Session, people: People) -> FastAPI:
    """The app on the small city, with one account for every role and a handler's department."""
    auth_service.create_department(
        db, code="fuzz-police", name="公安局", kind="police", region_code=CITY
    )
    for username, (role, scope) in EXTRA_ROLES.items():
        auth_service.create_user(
            db,
            username=username,
            password=PASSWORD,
            role=role,
            scope_code=scope,
            department_code="fuzz-police" if role is Role.DEPARTMENT_HANDLER else None,
        )
    db.commit()
    return app


@pytest.fixture
def identities(fuzz_app: FastAPI, db: Session, people: People) -> dict[str, dict[str, str]]:
    """The headers each caller sends: a bearer per role, a key, a page session, nobody."""
    usernames = [people.admin, people.leader, people.owner, people.peer]
    with TestClient(fuzz_app) as client:
        found = {
            user.username: {"Authorization": f"Bearer {token_for(client, user.username)}"}
            for user in usernames
        }
        for username in EXTRA_ROLES:
            found[username] = {"Authorization": f"Bearer {token_for(client, username)}"}
        assert sign_in(client, people.owner.username, PASSWORD).status_code == 303
        token = page_token(client.get("/desk").text)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        found["page session"] = {
            "Cookie": cookie,
            "X-CSRF-Token": token,
            "Origin": "http://testserver",
        }
    _, key = auth_service.create_api_key(db, name="fuzz integration", scope_code=CITY)
    db.commit()
    found["integration key"] = {"X-API-Key": key}
    with TestClient(fuzz_app) as client:
        for name, headers in found.items():
            assert client.get("/api/v1/cases", headers=headers).status_code == 200, name
        # The page session's writes pass the CSRF check: refused for what they ask, not how.
        read = client.post("/api/v1/notifications/1/read", headers=found["page session"])
        assert read.status_code == 404, read.text
    found["nobody"] = {}
    return found


@pytest.fixture
def real_numbers(fuzz_app: FastAPI, city: City, people: People) -> dict[str, str]:
    """A real case and a real dispute, so a copy of each request can name something that exists."""
    with TestClient(fuzz_app) as client:
        case = report(client, city, key="fuzz-case").json()["number"]
        dispute = register(client, people.admin, walk_in())["number"]
    return {"case": case, "dispute": dispute}


@pytest.fixture
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app, config=CONFIG)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_generated_request_from_any_role_is_a_server_error(
    api_schema: Any,
    identities: dict[str, dict[str, str]],
    real_numbers: dict[str, str],
    shard: int,
) -> None:
    sent: Counter[str] = Counter()
    problems: list[str] = []
    every = sorted(
        (result.ok() for result in api_schema.get_all_operations()),
        key=lambda operation: str(operation.label),
    )
    operations = every[shard::SHARDS]
    for operation in operations:
        problems.extend(_fuzz(operation, identities, real_numbers, sent))
    print(f"fuzz: {len(operations)} operations, {sum(sent.values())} requests, {dict(sent)}")
    assert problems == []


def test_open311_answers_in_xml_are_what_the_published_schema_says(api_schema: Any) -> None:
    operation = api_schema["/open311/v2/services.{fmt}"]["GET"]
    case = operation.Case(path_parameters={"fmt": "xml"})
    response = case.call_and_validate(checks=CHECKS)
    assert response.headers["content-type"] == ["text/xml; charset=utf-8"]


def _fuzz(
    operation: Any,
    identities: dict[str, dict[str, str]],
    real_numbers: dict[str, str],
    sent: Counter[str],
) -> list[str]:
    """Every example of one operation sent as its callers; the first failure per caller."""
    problems: dict[str, str] = {}
    # A read of the event stream ends only at its timeout: the stream's first block (a
    # retry hint) is not an event, and no case is reported meanwhile.
    timeout = 5 if operation.path == LIVE_STREAM else 60
    turns = count()

    @hypothesis.settings(HYPOTHESIS, database=None)
    @hypothesis.given(example=_strategy(operation))
    def examples(example: tuple[Any, GenerationMode]) -> None:
        case, mode = example
        # The event stream's one input (a header) goes to three callers, like an invalid
        # request, each read lasting its timeout; the authorization matrix reads it as
        # every role.
        everyone = mode is GenerationMode.POSITIVE and operation.path != LIVE_STREAM
        for variant in _variants(case, real_numbers):
            for name in _callers(identities, everyone, next(turns)):
                sent[name] += 1
                try:
                    variant.call_and_validate(
                        headers=identities[name], checks=CHECKS, timeout=timeout
                    )
                except (AssertionError, FailureGroup) as failure:
                    problems.setdefault(name, f"{operation.label} as {name}: {failure}")

    examples()
    return list(problems.values())


def _callers(identities: dict[str, Any], everyone: bool, turn: int) -> list[str]:
    """Who sends one example: every caller a valid request; an invalid one only the
    administrator, nobody and one other caller in turn.

    An invalid request is refused by its route's parameters, which are the same for
    every role past the role check, so twelve callers would only repeat one 422; the
    caller in turn still gives every role invalid requests over the whole run.
    """
    names = list(identities)
    if everyone:
        return names
    return sorted({ADMIN_CALLER, "nobody", names[turn % len(names)]})


def _strategy(operation: Any) -> Any:
    """Valid and invalid requests, each with its generation mode."""
    return st.one_of(
        *(
            operation.as_strategy(generation_mode=mode).map(lambda case, mode=mode: (case, mode))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        )
    )


def _variants(case: Any, real_numbers: dict[str, str]) -> Iterator[Any]:
    """The generated request, and a copy naming a real case or dispute when the path takes one."""
    yield case
    parameters = case.path_parameters or {}
    if "number" not in parameters:
        return
    kind = "dispute" if case.operation.path.startswith("/api/v1/disputes") else "case"
    yield case.operation.Case(
        path_parameters={**parameters, "number": real_numbers[kind]},
        query=case.query,
        headers=case.headers,
        cookies=case.cookies,
        body=case.body,
        media_type=case.media_type,
    )
