"""Signing in: passwords, lockout, bearer tokens and their expiry."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service
from civicgrid.errors import Unauthorized
from civicgrid.settings import get_settings
from civicgrid.timeutil import utcnow
from tests.factories import PASSWORD, People, token_for, user_row


def test_password_flow_gives_a_bearer_token_that_names_the_user(client, people: People):
    token = token_for(client, "owner")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {
        "kind": "user",
        "username": "owner",
        "display_name": "owner",
        "role": "dispatcher",
        "scope_code": people.owner.scope_code,
    }


def test_wrong_password_is_refused_in_chinese_by_default(client, people):
    response = client.post(
        "/api/v1/auth/token", data={"username": "owner", "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "bad_credentials", "message": "用户名或密码错误"}


def test_wrong_password_is_refused_in_english_when_asked(client, people):
    response = client.post(
        "/api/v1/auth/token",
        data={"username": "owner", "password": "nope-nope"},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.json()["error"]["message"] == "Wrong username or password"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, people):
    response = client.post(
        "/api/v1/auth/token", data={"username": "ghost", "password": "whatever1"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"


def test_five_failures_stop_that_address_even_for_the_right_password(client, people):
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": "peer", "password": "wrong-guess"})
    response = client.post("/api/v1/auth/token", data={"username": "peer", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"


def test_lock_expires_after_the_lockout_period(db: Session, people):
    start = utcnow()
    for _ in range(get_settings().account_lock_failures):
        with pytest.raises(Unauthorized):
            service.authenticate(db, username="peer", password="wrong-guess", now=start)
    later = start + timedelta(minutes=16)
    assert (
        service.authenticate(db, username="peer", password=PASSWORD, now=later).username == "peer"
    )


def test_an_expired_token_is_refused_with_its_own_message(db: Session, client, people):
    issued = utcnow() - timedelta(hours=2)
    token = service.issue_token(db, user=user_row(db, "owner"), kind="bearer", now=issued)
    db.commit()
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "token_expired",
        "message": "登录已过期，请重新登录",
    }
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_made_up_token_is_refused(client, people):
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_no_credentials_means_401_on_protected_endpoints(client, people):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_integration_key_authenticates_with_its_scope(db: Session, client, people):
    _, raw = service.create_api_key(db, name="12345 hotline", scope_code="530500")
    db.commit()
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": raw})
    assert me.json()["kind"] == "api_key"
    assert me.json()["scope_code"] == "530500"


def test_a_revoked_integration_key_is_refused(db: Session, client, people):
    key, raw = service.create_api_key(db, name="old system", scope_code="530500")
    key.revoked_at = utcnow()
    db.commit()
    response = client.get("/api/v1/auth/me", headers={"X-API-Key": raw})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_passwords_are_stored_as_argon2_hashes(db: Session, people):
    stored = user_row(db, "owner").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
