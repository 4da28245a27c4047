"""Fixed people and data for dispute tests: mediators in and out of the area, a case, parties.

Everything is built through the services or over HTTP; ID numbers and credit
codes are made valid by their own check characters, not copied from anyone.
"""

from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.disputes import service
from civicgrid.registry.validation import (
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)
from tests.factories import (
    OTHER_DISTRICT,
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    City,
    People,
    auth,
    user_row,
)

GRID = "530502001001001"
COMMUNITY = GRID[:12]
OTHER_GRID = "530521001001001"
APPLICANT_PHONE = "13812345678"
RESPONDENT_PHONE = "13987654321"


def resident_id(body17: str) -> str:
    return body17 + resident_id_check_char(body17)


def credit_code(organisation8: str = "MA6K2L3P") -> str:
    organisation = organisation8 + organisation_code_check_char(organisation8)
    body = "91530502" + organisation
    return body + credit_code_check_char(body)


# Same digits but the birth date and the sex digit (the 17th): what an ID number reveals.
OLD_MAN_ID = resident_id("53050219450101123")
YOUNG_WOMAN_ID = resident_id("53050220030606124")


@pytest.fixture
def mediators(db: Session, city: City, people: People) -> dict[str, AuthedUser]:
    """A street mediator for neighbour disputes, and one in another district for everything."""
    made = {"mediator": OWN_STREET, "far_mediator": OTHER_DISTRICT}
    for username, scope in made.items():
        auth_service.create_user(
            db,
            username=username,
            password=PASSWORD,
            role=Role.MEDIATOR,
            scope_code=scope,
            display_name=f"调解员{username}",
        )
    admin = auth_service.actor_for_user(user_row(db, "admin"))
    service.save_mediator(db, admin, username="mediator", kinds=["neighbour"], active=True)
    service.save_mediator(
        db, admin, username="far_mediator", kinds=["neighbour", "labour"], active=True
    )
    db.commit()
    return {
        name: AuthedUser(username=name, password=PASSWORD, scope_code=scope, role=Role.MEDIATOR)
        for name, scope in made.items()
    }


@pytest.fixture
def case_number(client: TestClient, city: City) -> str:
    """A resident's report about a quarrel over a leaking ceiling, in GRID."""
    lng, lat = city.point_in(GRID)
    reported = client.post(
        "/api/v1/cases",
        json={"description": "楼上漏水，邻居之间吵了好几次", "lng": lng, "lat": lat},
    )
    assert reported.status_code == 201, reported.text
    number: str = reported.json()["number"]
    return number


def parties(**changes: Any) -> list[dict[str, Any]]:
    applicant = {"role": "applicant", "name": "张三", "phone": APPLICANT_PHONE}
    respondent = {"role": "respondent", "name": "李四", "phone": RESPONDENT_PHONE}
    return [{**applicant, **changes}, respondent]


def walk_in(**changes: Any) -> dict[str, Any]:
    body = {
        "kind": "neighbour",
        "source": "walk_in",
        "region_code": GRID,
        "description": "楼上漏水，屡次协商未果",
        "amount": "3000",
        "people_involved": 2,
        "parties": parties(),
    }
    return {**body, **changes}


def register(client: TestClient, person: AuthedUser, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/disputes", json=body, headers=auth(client, person))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


TERMS = "李四于十日内修复漏水管道，并赔偿张三装修损失人民币三千元。"


def post(client: TestClient, path: str, person: AuthedUser, body: dict) -> httpx2.Response:
    return client.post(f"/api/v1/disputes/{path}", json=body, headers=auth(client, person))


def session(client: TestClient, number: str, person: AuthedUser, **changes) -> httpx2.Response:
    body = {
        "mode": "in_person",
        "held_at": "2026-11-20T09:30:00+08:00",
        "place": "社区调解室",
        "participants": ["张三", "李四"],
        "record": "双方陈述了漏水经过，同意由物业出具维修方案。",
        **changes,
    }
    return post(client, f"{number}/sessions", person, body)
