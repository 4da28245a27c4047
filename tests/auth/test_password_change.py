"""An account whose password an administrator set (a new account, a reset) must choose its
own before anything else: sign-in lands on the change page, other pages redirect there,
other API calls are refused with 403 in the caller's language; signing out and the change
itself stay open."""

from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.auth.accounts import reset_password
from civicgrid.auth.service import actor_for_user, register_user
from tests.factories import (
    ORIGIN,
    OWN_STREET,
    PASSWORD,
    People,
    auth,
    page_token,
    sign_in,
    token_for,
    user_row,
)

NEW_PASSWORD = "my-own-choice-7"


def reset(db: Session, people: People, username: str) -> str:
    admin = actor_for_user(user_row(db, people.admin.username))
    _, temporary = reset_password(db, admin, user_row(db, username).id)
    db.commit()
    return temporary


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def change(client: TestClient, token: str, current: str, new: str, language: str = "zh-CN"):
    return client.post(
        "/api/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers={**bearer(token), "Accept-Language": language},
    )


def test_after_a_reset_every_other_api_call_is_refused_until_the_password_is_changed(
    client: TestClient, db: Session, people: People
):
    temporary = reset(db, people, "peer")
    token = token_for(client, "peer", temporary)
    refused = client.get("/api/v1/cases", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "password_change_required"
    assert "修改" in refused.json()["error"]["message"]
    english = client.get("/api/v1/auth/me", headers={**bearer(token), "Accept-Language": "en"})
    assert english.status_code == 403
    assert "changed first" in english.json()["error"]["message"]
    assert change(client, token, temporary, NEW_PASSWORD).status_code == 204
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    assert token_for(client, "peer", NEW_PASSWORD)
    actions = db.scalars(select(AdminChange.action).where(AdminChange.target == "peer")).all()
    assert actions == ["reset_password", "change_password"]


def test_the_change_needs_the_current_password_and_a_new_different_long_enough_one(
    client: TestClient, db: Session, people: People
):
    temporary = reset(db, people, "peer")
    token = token_for(client, "peer", temporary)
    wrong = change(client, token, "not-the-password", NEW_PASSWORD)
    assert (wrong.status_code, wrong.json()["error"]["message"]) == (422, "当前密码不正确")
    short = change(client, token, temporary, "short")
    assert (short.status_code, short.json()["error"]["code"]) == (422, "password_too_short")
    same = change(client, token, temporary, temporary, language="en")
    assert same.status_code == 422
    assert same.json()["error"]["message"] == "The new password must differ from the current one"
    db.expire_all()
    assert user_row(db, "peer").must_change_password is True


def test_an_account_an_administrator_creates_signs_in_onto_the_change_page(
    client: TestClient, db: Session, people: People
):
    register_user(
        db,
        actor_for_user(user_row(db, people.admin.username)),
        username="newcomer",
        password=PASSWORD,
        role="community_staff",
        scope_code=OWN_STREET,
    )
    db.commit()
    signed = sign_in(client, "newcomer", PASSWORD)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/password"
    desk = client.get("/desk?tab=mine", follow_redirects=False)
    assert desk.status_code == 303
    assert desk.headers["location"] == f"/password?next={quote('/desk?tab=mine', safe='')}"
    page = client.get("/password")
    assert page.status_code == 200
    assert "请先设置自己的密码" in page.text
    out = client.post(
        "/logout",
        data={"csrf_token": page_token(page.text)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert (out.status_code, out.headers["location"]) == (303, "/login")


def test_the_change_page_checks_both_new_passwords_then_goes_where_the_user_was_going(
    client: TestClient, db: Session, people: People
):
    temporary = reset(db, people, "peer")
    signed = sign_in_going(client, "peer", temporary, "/desk")
    assert signed.headers["location"] == "/password?next=%2Fdesk"
    form = client.get(signed.headers["location"]).text
    fields = {"current_password": temporary, "new_password": NEW_PASSWORD, "next": "/desk"}
    mismatched = post_form(client, form, {**fields, "confirm_password": "something-else"})
    assert mismatched.status_code == 422
    assert "两次输入的新密码不一致" in mismatched.text
    done = post_form(client, form, {**fields, "confirm_password": NEW_PASSWORD})
    assert (done.status_code, done.headers["location"]) == (303, "/desk")
    assert client.get("/desk", follow_redirects=False).status_code == 200


def test_accounts_made_on_the_command_line_are_not_asked_to_change(
    client: TestClient, people: People
):
    assert client.get("/api/v1/cases", headers=auth(client, people.peer)).status_code == 200
    assert sign_in(client, "peer", PASSWORD).headers["location"] == "/"


def sign_in_going(client: TestClient, username: str, password: str, going: str):
    token = page_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": going},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )


def post_form(client: TestClient, page: str, fields: dict[str, str]):
    return client.post(
        "/password",
        data={**fields, "csrf_token": page_token(page)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
