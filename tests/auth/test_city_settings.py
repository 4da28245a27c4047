"""City-wide settings need a city administrator; routing rules stay inside the author's area.

Attacks from issue 11: an administrator scoped to one grid put a routing rule
for other districts at position 1 and changed the category time limits, the
field-work weights and the triage weights of the whole city.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.categories.seeds import seed_builtin
from tests.factories import (
    OTHER_DISTRICT,
    OWN_GRID,
    PASSWORD,
    City,
    People,
    auth,
    sign_in,
    token_for,
)

CITY_WIDE_CHANGES = [
    ("PUT", "/api/v1/categories/UM-01-01", {"sla_hours": {"resolve": 1}}),
    ("PUT", "/api/v1/fieldwork/weights", {"weights": {"plan_completion": 9}}),
    ("PUT", "/api/v1/disputes/triage/weights", {"alert_threshold": 0.1}),
]


@pytest.fixture
def grid_admin(db: Session, city: City, people: People) -> str:
    """An administrator of one grid, beside the categories a city starts with."""
    seed_builtin(db)
    auth_service.create_user(
        db, username="grid.admin", password=PASSWORD, role=Role.ADMIN, scope_code=OWN_GRID
    )
    db.commit()
    return "grid.admin"


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, username, PASSWORD)}"}


def rule(**changes: object) -> dict[str, object]:
    return {"name": "本网格先到社区", "target_level": "community", **changes}


@pytest.mark.parametrize(("method", "path", "body"), CITY_WIDE_CHANGES)
def test_a_grid_administrator_cannot_change_a_city_wide_setting(
    client: TestClient, grid_admin: str, method: str, path: str, body: dict
):
    response = client.request(method, path, json=body, headers=bearer(client, "grid.admin"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "city_scope_required"


@pytest.mark.usefixtures("grid_admin")
@pytest.mark.parametrize(("method", "path", "body"), CITY_WIDE_CHANGES)
def test_a_city_administrator_changes_a_city_wide_setting(
    client: TestClient, people: People, method: str, path: str, body: dict
):
    response = client.request(method, path, json=body, headers=auth(client, people.admin))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("prefix", ["", "5305", OTHER_DISTRICT])
def test_a_grid_administrator_cannot_write_a_rule_reaching_beyond_the_grid(
    client: TestClient, grid_admin: str, prefix: str
):
    body = rule(region_prefix=prefix, position=1)
    response = client.post("/api/v1/routing-rules", json=body, headers=bearer(client, "grid.admin"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "routing_rule_outside_scope"


def test_a_grid_administrator_writes_rules_of_its_grid_and_leaves_others_alone(
    client: TestClient, grid_admin: str, people: People
):
    city_admin = auth(client, people.admin)
    city_rule = client.post("/api/v1/routing-rules", json=rule(name="全市"), headers=city_admin)
    assert city_rule.status_code == 201, city_rule.text
    headers = bearer(client, "grid.admin")
    own = client.post(
        "/api/v1/routing-rules", json=rule(region_prefix=OWN_GRID, position=1), headers=headers
    )
    assert own.status_code == 201, own.text
    others = city_rule.json()["id"]
    moved = client.put(
        f"/api/v1/routing-rules/{others}", json=rule(name="全市", position=5), headers=headers
    )
    assert moved.status_code == 403
    assert client.delete(f"/api/v1/routing-rules/{others}", headers=headers).status_code == 403
    taken = client.put(
        f"/api/v1/routing-rules/{others}", json=rule(region_prefix=OWN_GRID), headers=headers
    )
    assert taken.status_code == 403


def test_the_admin_page_offers_time_limits_only_to_a_city_administrator(
    client: TestClient, grid_admin: str, people: People
):
    assert sign_in(client, "grid.admin", PASSWORD).status_code == 303
    grid_page = client.get("/admin").text
    assert "sla-form" not in grid_page
    assert "category-import-form" not in grid_page
    assert "rule-form" in grid_page
    client.cookies.clear()
    assert sign_in(client, people.admin.username, people.admin.password).status_code == 303
    city_page = client.get("/admin").text
    assert "sla-form" in city_page
    assert "category-import-form" in city_page
