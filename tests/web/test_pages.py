"""The web shell: sign in through the form, see the map page, switch language, sign out."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicgrid.auth.deps import SESSION_COOKIE
from civicgrid.web import rendering
from tests.factories import ORIGIN, People, page_token, sign_in


def test_anonymous_visitor_is_sent_to_the_sign_in_form(client: TestClient):
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_sign_in_form_is_chinese_by_default_with_labelled_fields(client: TestClient):
    response = client.get("/login")

    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert '<label for="username">用户名</label>' in response.text
    assert '<label for="password">密码</label>' in response.text


def test_good_password_sets_a_session_cookie_and_opens_the_map(client: TestClient, people: People):
    response = sign_in(client, people.owner.username, people.owner.password)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # test settings are not production
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "网格地图" in page.text
    assert "综治中心坐席" in page.text  # the owner's role, named in Chinese
    assert 'id="map"' in page.text
    assert "/static/dist/map.js" in page.text


def test_map_page_hands_its_strings_to_the_scripts_as_json(client: TestClient, people: People):
    sign_in(client, people.owner.username, people.owner.password)

    page = client.get("/").text

    block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', page, re.S)
    assert block is not None
    assert '"page.map.layer.grid"' in block.group(1)
    assert "error.bad_credentials" not in block.group(1)


def test_map_page_still_renders_when_the_bundle_was_not_built(
    client: TestClient, people: People, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(rendering, "DIST_DIR", tmp_path)
    sign_in(client, people.owner.username, people.owner.password)

    page = client.get("/")

    assert page.status_code == 200
    assert 'src="/static/dist/map.js"' in page.text


def test_wrong_password_shows_the_form_again_with_the_error_at_the_field(
    client: TestClient, people: People
):
    response = sign_in(client, people.owner.username, "not-the-password")

    assert response.status_code == 401
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert "用户名或密码错误" in response.text
    assert 'aria-describedby="password-error"' in response.text
    assert 'value="owner"' in response.text


def test_empty_fields_are_marked_required_not_an_error_page(client: TestClient):
    response = sign_in(client, "", "")

    assert response.status_code == 422
    assert response.text.count("请填写此项") == 2
    assert 'aria-invalid="true"' in response.text


def test_too_many_guesses_say_when_to_try_again(client: TestClient, people: People):
    for _ in range(5):
        sign_in(client, people.peer.username, "not-the-password")

    response = sign_in(client, people.peer.username, people.peer.password)

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "尝试次数过多" in response.text


def test_username_is_escaped_when_the_form_comes_back(client: TestClient, people: People):
    response = sign_in(client, '"><script>alert(1)</script>', "not-the-password")

    assert response.status_code == 401
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize(
    ("path", "signed_in", "english"), [("/login", False, "Sign in"), ("/", True, "Sign out")]
)
def test_lang_en_switches_to_english_and_is_remembered(
    client: TestClient, people: People, path: str, signed_in: bool, english: str
):
    if signed_in:
        sign_in(client, people.owner.username, people.owner.password)

    response = client.get(f"{path}?lang=en")

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "civicgrid_lang=en" in response.headers["set-cookie"]
    again = client.get(path)
    assert '<html lang="en">' in again.text
    assert english in again.text
    assert "用户名" not in again.text


def test_english_error_after_switching(client: TestClient, people: People):
    client.get("/login?lang=en")

    response = sign_in(client, people.owner.username, "not-the-password")

    assert response.status_code == 401
    assert "Wrong username or password" in response.text


def test_sign_out_revokes_the_session_and_clears_the_cookie(client: TestClient, people: People):
    sign_in(client, people.owner.username, people.owner.password)
    token = client.cookies[SESSION_COOKIE]
    form = {"csrf_token": page_token(client.get("/").text)}

    response = client.post("/logout", data=form, headers={"Origin": ORIGIN}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/", follow_redirects=False).status_code == 303  # revoked, not just forgotten


def test_signed_in_user_skips_the_form(client: TestClient, people: People):
    sign_in(client, people.owner.username, people.owner.password)

    response = client.get("/login", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
