"""Security headers and the CSRF check, attacked through the ASGI app.

The attacks are the ones a page on another port of the same host could make
with a signed-in staff member's cookie: a multipart registry import, a write
without the token, a sign-in form posted from elsewhere.
"""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.i18n import translate
from civicgrid.registry.models import Resident
from civicgrid.registry.validation import resident_id_check_char
from civicgrid.settings import Settings
from civicgrid.web.security import install_security, page_policy
from tests.factories import AuthedUser, City, People, page_token, sign_in

OWN = "http://testserver"
SIBLING_PORT = "http://testserver:8081"
DEPARTMENT = {"code": "530502-roads", "name": "道路科", "kind": "urban", "region_code": "530502"}
REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "src" / "civicgrid" / "web" / "templates"
FRONTEND = REPO / "frontend" / "src"
HTML_SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc")
# Leaflet parses a string given as content as HTML: only DOM nodes may be handed over.
LEAFLET_STRING = re.compile(r"\.(?:bindTooltip|bindPopup|setContent)\(\s*(?:[`'\"]|t\()")


def directives(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split(" ")[0]: part for part in (item.strip() for item in policy.split(";"))}


def signed_in(client: TestClient, person: AuthedUser) -> str:
    """Sign in through the form; the token a page then hands its scripts."""
    assert sign_in(client, person.username, person.password).status_code == 303
    return page_token(client.get("/desk").text)


def resident_file() -> bytes:
    body = "53050219800101001"
    number = body + resident_id_check_char(body)
    headings = "姓名,公民身份号码,联系电话,人口类型,户号,与户主关系,地址,网格编码,入住日期,关爱类别"
    row = f"张三,{number},13912340001,户籍,,,,530502001001001,,"
    return f"{headings}\n{row}\n".encode()


def residents(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def import_residents(client: TestClient, headers: dict[str, str]):
    return client.post(
        "/api/v1/registry/imports",
        headers=headers,
        files={"file": ("人口.csv", resident_file(), "text/csv")},
        data={"kind": "residents"},
    )


# --- headers -----------------------------------------------------------------


def test_pages_forbid_inline_script_plugins_framing_and_base_rewriting(client: TestClient):
    response = client.get("/login")

    found = directives(response)
    assert found["script-src"] == "script-src 'self'"
    assert found["object-src"] == "object-src 'none'"
    assert found["base-uri"] == "base-uri 'none'"
    assert found["frame-ancestors"] == "frame-ancestors 'none'"
    assert found["img-src"] == "img-src 'self' data: blob:"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers


def test_api_answers_and_refusals_carry_the_headers_too(client: TestClient):
    for response in (client.get("/api/v1/health"), client.get("/api/v1/cases")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://tiles.intranet:8080/{z}/{x}/{y}.png", "http://tiles.intranet:8080"),
        ("https://tile-{s}.example.org/{z}/{x}/{y}.png", "https:"),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_the_configured_tile_server_may_serve_images(tile_url: str, source: str | None):
    images = next(
        part for part in page_policy(Settings(tile_url=tile_url)).split("; ") if "img-src" in part
    )
    expected = "img-src 'self' data: blob:" + (f" {source}" if source else "")
    assert images == expected


def small_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings
    install_security(app)
    app.add_api_route("/", lambda: {"ok": True})
    return app


def test_hsts_is_sent_in_production_only():
    production = Settings(environment="production", secret_key="p" * 40)
    with TestClient(small_app(production), base_url="https://civicgrid.example") as client:
        assert client.get("/").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(small_app(Settings(environment="development"))) as client:
        assert "strict-transport-security" not in client.get("/").headers


def test_the_api_docs_are_a_page_of_the_platform_under_its_own_policy(client: TestClient):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert "<script>" not in response.text
    assert not re.search(r'(?:src|href)="https?://', response.text)
    assert directives(response)["script-src"] == "script-src 'self'"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_fastapi_docs_path_leads_to_the_api_docs(client: TestClient):
    response = client.get("/docs", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/docs"


def test_templates_hold_no_inline_script_or_event_handler():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert 'src="' in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name
        assert not re.search(r"\|\s*safe\b", text), template.name


def test_browser_code_never_writes_html():
    for source in FRONTEND.rglob("*.js"):
        text = source.read_text(encoding="utf-8")
        assert not HTML_SINKS.search(text), source.name
        assert not LEAFLET_STRING.search(text), source.name


# --- CSRF ----------------------------------------------------------------------


def test_a_cross_origin_multipart_import_with_a_staff_cookie_is_refused(
    client: TestClient, people: People, db: Session
):
    token = signed_in(client, people.admin)

    forged = import_residents(client, {"Origin": SIBLING_PORT})
    forged_with_token = import_residents(client, {"Origin": SIBLING_PORT, "X-CSRF-Token": token})

    for response in (forged, forged_with_token):
        assert response.status_code == 403
        assert response.json()["error"] == {
            "code": "csrf_refused",
            "message": translate("error.csrf_refused", "zh-CN"),
        }
    assert residents(db) == 0
    genuine = import_residents(client, {"Origin": OWN, "X-CSRF-Token": token})
    assert genuine.status_code == 200, genuine.text
    assert genuine.json()["imported"] == 1
    assert residents(db) == 1


def test_a_cookie_write_without_the_token_is_refused_in_the_user_s_language(
    client: TestClient, people: People
):
    token = signed_in(client, people.admin)
    body = DEPARTMENT

    english = client.post(
        "/api/v1/departments", json=body, headers={"Origin": OWN, "Accept-Language": "en"}
    )
    wrong = client.post(
        "/api/v1/departments", json=body, headers={"Origin": OWN, "X-CSRF-Token": token[:-2]}
    )
    no_origin = client.post("/api/v1/departments", json=body, headers={"X-CSRF-Token": token})

    assert english.status_code == 403
    assert english.json()["error"]["message"] == translate("error.csrf_refused", "en")
    assert wrong.status_code == no_origin.status_code == 403
    by_referer = client.post(
        "/api/v1/departments",
        json=body,
        headers={"Referer": f"{OWN}/admin", "X-CSRF-Token": token},
    )
    assert by_referer.status_code == 201, by_referer.text


def test_a_token_from_another_session_does_not_open_this_one(
    app: FastAPI, client: TestClient, people: People
):
    with TestClient(app) as other:
        foreign = signed_in(other, people.owner)
    signed_in(client, people.admin)

    response = client.post(
        "/api/v1/departments", json=DEPARTMENT, headers={"Origin": OWN, "X-CSRF-Token": foreign}
    )

    assert response.status_code == 403


def test_signing_out_from_another_site_is_refused_and_the_session_stays(
    client: TestClient, people: People
):
    signed_in(client, people.owner)

    response = client.post("/logout", headers={"Origin": SIBLING_PORT}, follow_redirects=False)

    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200


def test_bearer_token_and_api_key_writes_need_neither_origin_nor_token(
    client: TestClient, people: People, db: Session, city: City
):
    signed_in(client, people.admin)  # the cookie rides along but does not authenticate
    bearer = client.post(
        "/api/v1/auth/token",
        data={"username": people.admin.username, "password": people.admin.password},
    ).json()["access_token"]
    by_bearer = client.post(
        "/api/v1/departments", json=DEPARTMENT, headers={"Authorization": f"Bearer {bearer}"}
    )
    _, key = auth_service.create_api_key(db, name="hotline", scope_code="530500")
    db.commit()
    lng, lat = city.point_in("530502001001001")
    report = {"description": "路灯不亮", "lng": lng, "lat": lat}
    by_key = client.post("/api/v1/cases", json=report, headers={"X-API-Key": key})

    assert by_bearer.status_code == 201, by_bearer.text
    assert by_key.status_code == 201, by_key.text


def test_the_sign_in_form_needs_this_site_s_page_and_its_token(client: TestClient, people: People):
    form = {"username": people.owner.username, "password": people.owner.password}
    token = page_token(client.get("/login").text)

    no_token = client.post("/login", data=form, headers={"Origin": OWN}, follow_redirects=False)
    elsewhere = client.post(
        "/login",
        data={**form, "csrf_token": token},
        headers={"Origin": SIBLING_PORT},
        follow_redirects=False,
    )
    here = client.post(
        "/login",
        data={**form, "csrf_token": token},
        headers={"Origin": OWN},
        follow_redirects=False,
    )

    assert no_token.status_code == elsewhere.status_code == 403
    assert translate("error.csrf_refused", "zh-CN") in no_token.text
    assert no_token.headers["content-type"].startswith("text/html")
    assert here.status_code == 303


def test_the_pre_session_cookie_is_http_only_and_strict(client: TestClient):
    cookie = client.get("/login").headers["set-cookie"]

    assert cookie.startswith("civicgrid_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_anonymous_reports_without_any_cookie_stay_open_to_other_sites(
    client: TestClient, city: City
):
    lng, lat = city.point_in("530502001001001")
    response = client.post(
        "/api/v1/cases",
        json={"description": "路灯不亮", "lng": lng, "lat": lat},
        headers={"Origin": SIBLING_PORT},
    )

    assert response.status_code == 201, response.text
