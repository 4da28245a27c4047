"""An administrator edits, deactivates and resets accounts of their own area only, each
change in the change log, and a deactivated or reset account's sessions end at once."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.factories import (
    OTHER_DISTRICT,
    OWN_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    People,
    auth,
    token_for,
    user_row,
)

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def district_admin(db: Session, people: People) -> AuthedUser:
    auth_service.create_user(
        db, username="district-admin", password=PASSWORD, role=Role.ADMIN, scope_code=OWN_DISTRICT
    )
    db.commit()
    return AuthedUser("district-admin", PASSWORD, OWN_DISTRICT, Role.ADMIN)


def changes(db: Session, target: str) -> list[str]:
    rows = db.scalars(select(AdminChange).where(AdminChange.target == target))
    return [row.action for row in rows]


def test_an_admin_edits_an_account_and_the_log_keeps_before_and_after(
    client, db: Session, people: People, district_admin
):
    peer = user_row(db, "peer")
    response = client.patch(
        f"/api/v1/users/{peer.id}",
        json={"display_name": "李网格", "role": "grid_worker", "scope_code": OWN_GRID},
        headers=auth(client, district_admin),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["scope_code"]) == ("grid_worker", OWN_GRID)
    row = db.scalars(select(AdminChange).where(AdminChange.target == "peer")).one()
    assert row.action == "update"
    assert '"community_staff"' in row.before
    assert '"grid_worker"' in row.after


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(
    client, db: Session, people: People, district_admin
):
    token = token_for(client, "peer")
    peer = user_row(db, "peer")
    response = client.patch(
        f"/api/v1/users/{peer.id}", json={"active": False}, headers=auth(client, district_admin)
    )
    assert response.status_code == 200
    assert response.json()["active"] is False
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    refused = client.post("/api/v1/auth/token", data={"username": "peer", "password": PASSWORD})
    assert refused.status_code == 401
    assert changes(db, "peer") == ["deactivate"]


def test_a_reset_password_replaces_the_old_one_and_ends_its_sessions(
    client, db: Session, people: People, district_admin
):
    token = token_for(client, "peer")
    peer = user_row(db, "peer")
    response = client.post(
        f"/api/v1/users/{peer.id}/password", headers=auth(client, district_admin)
    )
    assert response.status_code == 200
    temporary = response.json()["temporary_password"]
    assert len(temporary) >= 12
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    old = client.post("/api/v1/auth/token", data={"username": "peer", "password": PASSWORD})
    assert old.status_code == 401
    assert token_for(client, "peer", temporary)
    row = db.scalars(select(AdminChange).where(AdminChange.target == "peer")).one()
    assert temporary not in row.after
    assert row.action == "reset_password"


def test_a_district_admin_cannot_touch_another_district_s_accounts(
    client, db: Session, people: People, district_admin
):
    outsider = user_row(db, "outsider")
    headers = {**auth(client, district_admin), **ZH}
    edit = client.patch(f"/api/v1/users/{outsider.id}", json={"active": False}, headers=headers)
    reset = client.post(f"/api/v1/users/{outsider.id}/password", headers=headers)
    assert edit.status_code == reset.status_code == 404
    assert "管辖范围" in edit.json()["error"]["message"]
    assert user_row(db, "outsider").active is True
    assert changes(db, "outsider") == []


def test_nobody_lifts_an_account_beyond_their_own_reach(
    client, db: Session, people: People, district_admin
):
    peer = user_row(db, "peer")
    headers = {**auth(client, district_admin), **ZH}
    for scope in ("530500", OTHER_DISTRICT):
        response = client.patch(
            f"/api/v1/users/{peer.id}", json={"scope_code": scope}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["message"] == f"区划 {scope} 不在您的管辖范围内"
    assert user_row(db, "peer").scope_code == OWN_STREET


def test_an_admin_cannot_deactivate_themselves(client, db: Session, district_admin):
    me = user_row(db, "district-admin")
    response = client.patch(
        f"/api/v1/users/{me.id}",
        json={"active": False},
        headers={**auth(client, district_admin), **ZH},
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "不能停用自己正在使用的账号"


@pytest.mark.parametrize("who", ["owner", "peer", "leader"])
def test_only_administrators_edit_accounts(client, db: Session, people: People, who: str):
    peer = user_row(db, "peer")
    person = getattr(people, who)
    headers = {**auth(client, person), **ZH}
    assert (
        client.patch(
            f"/api/v1/users/{peer.id}", json={"active": False}, headers=headers
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/users/{peer.id}/password", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"role": "emperor"},
        {"scope_code": "abc"},
        {"active": "perhaps"},
        {"display_name": "x" * 200},
        {"department_code": "no-such-department"},
    ],
)
def test_malformed_account_changes_are_refused_in_chinese(client, db: Session, people, body):
    peer = user_row(db, "peer")
    response = client.patch(
        f"/api/v1/users/{peer.id}", json=body, headers={**auth(client, people.admin), **ZH}
    )
    assert 400 <= response.status_code < 500
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["error"]["message"])
    assert changes(db, "peer") == []
