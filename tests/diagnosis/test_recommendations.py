"""Recommendations that feed field work: a flagged grid's visit and patrol plans move one
cadence up when its community head accepts, stay when they decline (with the reason kept),
and nobody else, nor a head of another community, decides; rates per household agree
with a recount."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.archive.events import ArchiveEvent
from civicgrid.audit.models import AdminChange
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.production import produce
from civicgrid.fieldwork import plans
from civicgrid.fieldwork.models import Cadence, Plan, TaskType
from civicgrid.geo.service import GridIndex
from civicgrid.registry.households import create_household
from civicgrid.registry.schemas import HouseholdIn, PlaceIn
from tests.diagnosis.conftest import FLAT_GRID, MONTH, SPIKE_GRID
from tests.factories import (
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    City,
    People,
    auth,
    user_row,
)

HOUSEHOLDS = {SPIKE_GRID: 3, FLAT_GRID: 4}
OTHER_COMMUNITY = f"{OWN_STREET}002"
URL = "/api/v1/analysis/recommendations"


def _households(db: Session, city: City) -> None:
    """Households registered through the registry's service, at addresses in each grid."""
    admin = auth_service.actor_for_user(user_row(db, "admin"))
    for grid, count in HOUSEHOLDS.items():
        lng, lat = city.point_in(grid)
        for n in range(count):
            place = PlaceIn(address=f"兴华路{grid[-3:]}号{n + 1}栋", lng=lng, lat=lat)
            number = f"H{grid[-3:]}{n:02d}"
            data = HouseholdIn(number=number, address=place)
            create_household(db, admin, grid_index=GridIndex(), data=data)


def _plans(db: Session) -> dict[str, Plan]:
    """A monthly household-visit plan and a place-schedule patrol in the spiking grid, and
    a weekly visit plan in the flat grid next to it."""
    head = auth_service.actor_for_user(user_row(db, "peer"))
    made = {}
    for username, grid in (("spike_worker", SPIKE_GRID), ("flat_worker", FLAT_GRID)):
        auth_service.create_user(
            db, username=username, password=PASSWORD, role=Role.GRID_WORKER, scope_code=grid
        )
    spike_worker, flat_worker = user_row(db, "spike_worker"), user_row(db, "flat_worker")
    for name, worker, task, cadence in (
        ("visits", spike_worker, TaskType.HOUSEHOLD_VISIT, Cadence.MONTHLY),
        ("patrols", spike_worker, TaskType.KEY_PLACE_PATROL, Cadence.PLACE_SCHEDULE),
        ("neighbour", flat_worker, TaskType.HOUSEHOLD_VISIT, Cadence.WEEKLY),
    ):
        made[name] = plans.create_plan(
            db, head, worker_id=worker.id, task_type=task, cadence=cadence, times=1
        )
    return made


@pytest.fixture
def produced(
    db: Session, city: City, people: People, planted: tuple[Path, list[ArchiveEvent]]
) -> dict[str, Plan]:
    """November's report on the planted archive (the spiking grid's disputes tripled)."""
    _households(db, city)
    made = _plans(db)
    auth_service.create_user(
        db,
        username="other_head",
        password=PASSWORD,
        role=Role.COMMUNITY_STAFF,
        scope_code=OTHER_COMMUNITY,
    )
    produce(db, engine=DuckDBEngine(planted[0]), month=MONTH)
    db.commit()
    return made


def _spike_recommendation(client: TestClient, person: AuthedUser) -> dict[str, Any]:
    listed = client.get(f"{URL}?month={MONTH}", headers=auth(client, person))
    assert listed.status_code == 200, listed.text
    return next(
        item
        for item in listed.json()
        if (item["grid_code"], item["risk_class"]) == (SPIKE_GRID, "neighbour_disputes")
    )


def _cadences(db: Session, made: dict[str, Plan]) -> dict[str, str]:
    db.expire_all()
    return {name: db.get_one(Plan, plan.id).cadence for name, plan in made.items()}


def test_accepting_raises_the_flagged_grids_visit_plan_one_cadence_and_audits_it(
    client: TestClient, db: Session, people: People, produced: dict[str, Plan]
):
    proposed = _spike_recommendation(client, people.peer)
    assert proposed["status"] == "proposed"
    assert proposed["flagged_by"] in {"own", "both"}
    assert "提高网格" in proposed["proposal"]

    accepted = client.post(f"{URL}/{proposed['id']}/accept", headers=auth(client, people.peer))

    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["plans_changed"]) == ("accepted", 1)
    assert _cadences(db, produced) == {
        "visits": "weekly",
        "patrols": "place_schedule",
        "neighbour": "weekly",
    }
    change = db.scalar(select(AdminChange).where(AdminChange.kind == "fieldwork_plan"))
    assert change is not None
    assert change.target == f"fieldwork_plan:{produced['visits'].id}"
    before, after = json.loads(change.before or "{}"), json.loads(change.after or "{}")
    assert (before["cadence"], after["cadence"]) == ("monthly", "weekly")
    again = client.post(f"{URL}/{proposed['id']}/accept", headers=auth(client, people.peer))
    assert again.status_code == 409
    assert "已处理" in again.json()["error"]["message"]


def test_declining_keeps_the_plans_and_stores_the_reason(
    client: TestClient, db: Session, people: People, produced: dict[str, Plan]
):
    proposed = _spike_recommendation(client, people.peer)
    head = auth(client, people.peer)

    without_reason = client.post(f"{URL}/{proposed['id']}/decline", json={}, headers=head)
    declined = client.post(
        f"{URL}/{proposed['id']}/decline", json={"reason": "已安排专项调解"}, headers=head
    )

    assert without_reason.status_code == 422
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["reason"]) == ("declined", "已安排专项调解")
    assert _cadences(db, produced)["visits"] == "monthly"
    assert _spike_recommendation(client, people.peer)["reason"] == "已安排专项调解"


def test_a_head_of_another_community_and_other_roles_cannot_decide(
    client: TestClient, db: Session, people: People, produced: dict[str, Plan]
):
    proposed = _spike_recommendation(client, people.peer)
    other_head = AuthedUser("other_head", PASSWORD, OTHER_COMMUNITY, Role.COMMUNITY_STAFF)

    elsewhere = client.post(f"{URL}/{proposed['id']}/accept", headers=auth(client, other_head))
    dispatcher = client.post(f"{URL}/{proposed['id']}/accept", headers=auth(client, people.owner))
    listed = client.get(f"{URL}?month={MONTH}", headers=auth(client, other_head))

    assert elsewhere.status_code == 404
    assert dispatcher.status_code == 403
    assert listed.status_code == 200
    assert all(item["grid_code"].startswith(OTHER_COMMUNITY) for item in listed.json())
    assert _cadences(db, produced)["visits"] == "monthly"


def test_rates_per_household_agree_with_a_recount_from_the_registry_and_the_archive(
    client: TestClient, people: People, produced: dict[str, Plan], planted
):
    _, events = planted
    totals = Counter(e.grid_code for e in events if e.month == MONTH)

    body = client.get(f"/api/v1/analysis/monthly?month={MONTH}", headers=auth(client, people.owner))

    assert body.status_code == 200, body.text
    grids = {grid["grid_code"]: grid for grid in body.json()["grids"]}
    for grid, households in HOUSEHOLDS.items():
        assert grids[grid]["households"] == households
        assert grids[grid]["rate_per_household"] == pytest.approx(totals[grid] / households)
    spike = grids[SPIKE_GRID]
    assert spike["month_on_month_pct"] == pytest.approx(200.0)
    assert spike["peer_anomalies"] + spike["anomalies"] >= 1
    risk = next(r for r in spike["risks"] if r["risk_class"] == "neighbour_disputes")
    assert [test["test"] for test in risk["tests"]] == [
        body.json()["test"],
        body.json()["peer_test"],
    ]
    assert risk["tests"][1]["p_value"] == risk["peer_p_value"]
