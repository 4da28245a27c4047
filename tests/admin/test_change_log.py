"""The administrators' change log: every change recorded with who, when, before and after,
hash-chained, read by leaders and administrators inside their own area."""

import threading
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change, verify_changes
from civicgrid.audit.models import AdminChange
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.timeutil import utcnow
from tests.factories import (
    CONSOLE,
    OTHER_DISTRICT,
    OWN_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    actor,
    auth,
    run,
)

AUDIT = "/api/v1/admin/audit"


def _account(username: str, scope: str, phone: str | None = None) -> dict[str, object]:
    return {
        "username": username,
        "password": PASSWORD,
        "role": "dispatcher",
        "scope_code": scope,
        "phone": phone,
    }


def test_creating_an_account_logs_who_when_and_what_with_the_phone_masked(client, people):
    admin = auth(client, people.admin)
    created = client.post("/api/v1/users", json=_account("zhaoliu", OWN_STREET, "13912345678"))
    assert created.status_code == 401
    created = client.post(
        "/api/v1/users", json=_account("zhaoliu", OWN_STREET, "13912345678"), headers=admin
    )
    assert created.status_code == 201, created.text

    listed = client.get(AUDIT, headers=auth(client, people.leader))

    assert listed.status_code == 200, listed.text
    assert listed.headers["X-Total-Count"] == "1"
    [change] = listed.json()
    assert change["kind"] == "user"
    assert change["action"] == "create"
    assert change["target"] == "zhaoliu"
    assert change["actor"] == "user:admin"
    assert change["region_code"] == OWN_STREET
    assert change["before"] is None
    assert change["after"]["role"] == "dispatcher"
    assert change["after"]["phone"] == "139****5678"
    assert "password" not in str(change["after"])
    assert change["created_at"].endswith("Z") or change["created_at"].endswith("+00:00")


def test_routing_rule_changes_keep_before_and_after(client, people):
    admin = auth(client, people.admin)
    rule = {"name": "路灯到区", "target_level": "district", "category_prefix": "UM"}
    created = client.post("/api/v1/routing-rules", json=rule, headers=admin)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    changed = client.put(
        f"/api/v1/routing-rules/{rule_id}", json=rule | {"target_level": "street"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert client.delete(f"/api/v1/routing-rules/{rule_id}", headers=admin).status_code == 204

    changes = client.get(AUDIT, params={"kind": "routing_rule"}, headers=admin).json()

    assert [c["action"] for c in changes] == ["delete", "update", "create"]
    deleted, updated, _ = changes
    assert updated["before"]["target_level"] == "district"
    assert updated["after"]["target_level"] == "street"
    assert deleted["before"]["name"] == "路灯到区"
    assert deleted["after"] is None
    assert {c["target"] for c in changes} == {str(rule_id)}


def test_a_category_time_limit_change_keeps_the_old_and_new_limit(client, people, seeded):
    admin = auth(client, people.admin)
    before = client.get("/api/v1/categories/UM-01-01", headers=admin).json()["sla_hours"]
    changed = client.put(
        "/api/v1/categories/UM-01-01", json={"sla_hours": {"resolve": 4}}, headers=admin
    )
    assert changed.status_code == 200, changed.text

    [change] = client.get(AUDIT, params={"kind": "category"}, headers=admin).json()

    assert change["action"] == "update"
    assert change["target"] == "UM-01-01"
    assert change["before"]["sla_hours"] == before
    assert change["after"]["sla_hours"]["resolve"] == 4


def test_field_work_and_triage_weights_are_logged_with_their_old_values(client, people):
    admin = auth(client, people.admin)
    put = client.put(
        "/api/v1/fieldwork/weights", json={"weights": {"check_in": 2.5}}, headers=admin
    )
    assert put.status_code == 200, put.text
    put = client.put("/api/v1/disputes/triage/weights", json={"alert_threshold": 55}, headers=admin)
    assert put.status_code == 200, put.text

    triage, fieldwork = client.get(AUDIT, headers=admin).json()

    assert fieldwork["kind"] == "fieldwork_weights"
    assert fieldwork["after"]["check_in"] == 2.5
    assert fieldwork["before"]["check_in"] != 2.5
    assert triage["kind"] == "triage_settings"
    assert triage["before"]["alert_threshold"] == 40.0
    assert triage["after"]["alert_threshold"] == 55.0


def test_a_district_leader_reads_only_the_changes_inside_its_district(client, db, people):
    auth_service.create_user(
        db, username="district-leader", password=PASSWORD, role=Role.LEADER, scope_code=OWN_DISTRICT
    )
    db.commit()
    admin = auth(client, people.admin)
    for username, scope in (("inside", OWN_STREET), ("outside", OTHER_DISTRICT)):
        response = client.post("/api/v1/users", json=_account(username, scope), headers=admin)
        assert response.status_code == 201, response.text
    district = {"Authorization": f"Bearer {_token(client, 'district-leader')}"}

    seen_by_district = client.get(AUDIT, headers=district).json()
    seen_by_city = client.get(AUDIT, headers=auth(client, people.leader)).json()

    assert [c["target"] for c in seen_by_district] == ["inside"]
    assert [c["target"] for c in seen_by_city] == ["outside", "inside"]


def _token(client, username: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_dispatchers_and_strangers_cannot_read_the_change_log(client, people):
    assert client.get(AUDIT, headers=auth(client, people.owner)).status_code == 403
    assert client.get(AUDIT).status_code == 401


def test_the_log_filters_by_actor_and_time_and_pages(client, db, people):
    now = utcnow()
    for number in range(3):
        record_change(
            db,
            author=actor(Role.ADMIN, scope="530500"),
            kind=ChangeKind.RESOURCE,
            action="create",
            target=str(number),
            region_code=OWN_STREET,
            now=now - timedelta(days=number),
        )
    record_change(db, author=CONSOLE, kind=ChangeKind.API_KEY, action="create", target="9")
    db.commit()
    admin = auth(client, people.admin)

    by_actor = client.get(AUDIT, params={"actor": "user:admin"}, headers=admin)
    since = (now - timedelta(hours=36)).isoformat()
    recent = client.get(AUDIT, params={"since": since, "kind": "resource"}, headers=admin)
    paged = client.get(AUDIT, params={"limit": 1, "offset": 1}, headers=admin)
    bad = client.get(AUDIT, params={"kind": "nonsense"}, headers=admin)

    assert by_actor.headers["X-Total-Count"] == "3"
    assert [c["target"] for c in recent.json()] == ["1", "0"]
    assert paged.headers["X-Total-Count"] == "3"  # the console's change is national, out of sight
    assert [c["target"] for c in paged.json()] == ["1"]
    assert bad.status_code == 422


def test_a_change_rolled_back_with_its_transaction_leaves_no_row(db: Session, people):
    auth_service.register_user(db, CONSOLE, **_account("kept", OWN_STREET))
    db.commit()
    auth_service.register_user(db, CONSOLE, **_account("undone", OWN_STREET))
    db.rollback()
    auth_service.register_user(db, CONSOLE, **_account("after", OWN_STREET))
    db.commit()

    check = verify_changes(db)

    assert check.rows == 2
    assert check.problems == []


def test_concurrent_changes_form_one_unbroken_chain(engine, people):
    def create(number: int) -> None:
        with Session(engine) as session:
            for index in range(4):
                auth_service.register_user(
                    session, CONSOLE, **_account(f"worker{number}-{index}", OWN_STREET)
                )
                session.commit()

    threads = [threading.Thread(target=create, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with Session(engine) as session:
        check = verify_changes(session)
    assert check.rows == 24
    assert check.problems == []


def test_audit_verify_finds_an_edited_and_a_cut_off_change(cli_env, db: Session, people):
    for name in ("first", "second", "third"):
        auth_service.register_user(db, CONSOLE, **_account(name, OWN_STREET))
    db.commit()
    intact = run("audit", "verify")
    assert intact.exit_code == 0, intact.output

    db.execute(update(AdminChange).where(AdminChange.sequence == 1).values(target="someone-else"))
    db.commit()
    edited = run("audit", "verify")

    assert edited.exit_code == 1
    assert "admin change 1 altered" in edited.output


def test_removing_the_newest_change_is_found(db: Session, people):
    for name in ("first", "second"):
        auth_service.register_user(db, CONSOLE, **_account(name, OWN_STREET))
    db.commit()
    db.query(AdminChange).filter(AdminChange.sequence == 2).delete()
    db.commit()

    problems = verify_changes(db).problems

    assert problems == ["admin changes after 1 missing (the head is at 2)"]


def test_a_resource_added_and_removed_in_a_grid_is_logged_in_that_grid(client, city, people):
    owner = auth(client, people.owner)
    lng, lat = city.point_in(OWN_GRID)
    body = {
        "kind": "shelter",
        "name": "社区避难所",
        "lng": lng,
        "lat": lat,
        "contact": "13912345678",
    }
    created = client.post("/api/v1/resources", json=body, headers=owner)
    assert created.status_code == 201, created.text
    removed = client.delete(f"/api/v1/resources/{created.json()['id']}", headers=owner)
    assert removed.status_code == 204, removed.text

    changes = client.get(AUDIT, params={"kind": "resource"}, headers=auth(client, people.leader))

    removal, addition = changes.json()
    assert (addition["action"], removal["action"]) == ("create", "delete")
    assert addition["region_code"] == OWN_GRID
    assert addition["actor"] == "user:owner"
    assert addition["after"]["contact"] == "139****5678"
    assert removal["before"]["name"] == "社区避难所"
