"""Stored XSS on the command centre, attacked in a real browser.

A district dispatcher names an emergency resource `<img src=x onerror=…>`, a grid
worker's display name carries markup, a resident's report carries a script: the
centre's screen shows every one of them as text and runs none. Independently, the
Content-Security-Policy stops an inline handler even if markup did get in.
"""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.e2e.helpers import post_from_page, sign_in
from tests.factories import PASSWORD, City, People

pytestmark = pytest.mark.e2e

OWN_GRID = "530502001001001"
RESOURCE_NAME = "<img src=x onerror=\"window.__xss='resource'\">"
RESOURCE_CONTACT = "<script>window.__xss='contact'</script>"
WORKER_NAME = "<img src=x onerror=\"window.__xss='worker'\"><b>张三</b>"
REPORT = "<img src=x onerror=\"window.__xss='report'\">井盖缺失"
# Every CSP refusal the page meets, recorded before any of its own script runs.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def planted(client: TestClient, db: Session, city: City, people: People) -> None:
    """A resource and an on-duty worker whose names are markup, in the owner's area."""
    lng, lat = city.point_in(OWN_GRID)
    resource = {
        "kind": "shelter",
        "name": RESOURCE_NAME,
        "contact": RESOURCE_CONTACT,
        "lng": lng,
        "lat": lat,
    }
    created = client.post("/api/v1/resources", json=resource, headers=bearer(client, "owner"))
    assert created.status_code == 201, created.text
    auth_service.create_user(
        db,
        username="marked",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        scope_code=OWN_GRID,
        display_name=WORKER_NAME,
    )
    db.commit()
    duty = client.put(
        "/api/v1/fieldwork/duty",
        json={"lng": lng + 0.003, "lat": lat},
        headers=bearer(client, "marked"),
    )
    assert duty.status_code == 200, duty.text


def test_names_on_the_command_map_are_shown_as_text_and_never_run(
    page: Any, city: City, people: People, planted: None, artifacts: Path
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")
    expect(page.locator("#kpi-on_duty")).to_have_text("1")

    page.locator("#command-map path.resource").dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip").last
    expect(tooltip).to_contain_text(RESOURCE_NAME)
    expect(tooltip).to_contain_text(RESOURCE_CONTACT)
    page.locator("#command-map path.on-duty").dispatch_event("mouseover")
    expect(page.locator(".leaflet-tooltip").last).to_contain_text(WORKER_NAME)
    lng, lat = city.point_in(OWN_GRID)
    posted = post_from_page(page, "/api/v1/cases", {"description": REPORT, "lng": lng, "lat": lat})
    assert posted.status == 201, posted.text()
    expect(page.locator("#toast")).to_contain_text(REPORT, timeout=20_000)
    expect(page.locator("#live-feed li").first).to_contain_text(REPORT)
    page.screenshot(path=str(artifacts / "command-xss.png"))

    assert page.locator("#centre img, .leaflet-tooltip img, .leaflet-tooltip b").count() == 0
    assert page.evaluate("window.__xss") is None
    page.wait_for_selector("#centre[data-charts='ready']")
    assert page.evaluate("window.__violations") == []


def test_the_policy_stops_an_inline_handler_that_did_get_into_the_page(
    page: Any, people: People
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")

    page.evaluate(
        "markup => document.body.insertAdjacentHTML('beforeend', markup)",
        """<img src="data:," onerror="window.__xss='inline'" onload="window.__xss='inline'">""",
    )

    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("window.__xss") is None
    assert any(item.startswith("script-src") for item in page.evaluate("window.__violations"))


STAFF_PAGES = [
    "/",
    "/desk",
    "/registry",
    "/mediation",
    "/indicators",
    "/fieldwork",
    "/admin",
    "/analysis",
    "/sources",
]


def test_every_page_runs_under_the_policy_without_a_single_refusal(
    page: Any, db: Session, people: People
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/report")
    page.wait_for_selector("#resident-map[data-state='ready']")
    assert page.evaluate("window.__violations") == [], "/report"
    sign_in(page, people.admin.username, people.admin.password)
    for path in STAFF_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
    auth_service.create_user(
        db, username="walker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OWN_GRID
    )
    db.commit()
    page.context.clear_cookies()
    sign_in(page, "walker", PASSWORD)
    page.goto("/field")
    page.wait_for_selector("#field[data-state='ready']")
    assert page.evaluate("window.__violations") == [], "/field"
