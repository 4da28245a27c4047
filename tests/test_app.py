"""Application-wide conventions: health, OpenAPI, JSON errors in the caller's language."""

import pytest
from pydantic import ValidationError

from civicgrid.i18n import SUPPORTED_LOCALES, catalogue, negotiate_locale
from civicgrid.settings import DEFAULT_SECRET_KEY, Settings


def test_health_names_the_database_engine(client, database_url):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] == ("postgresql" if database_url.startswith("postgresql") else "sqlite")
    assert body["version"]


def test_openapi_is_published_under_the_api_prefix(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/geo/locate" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]


def test_unknown_api_paths_answer_json_404_in_chinese(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "未找到请求的资源"}}


def test_malformed_json_body_is_a_422_not_a_500(client, people):
    from tests.factories import auth  # noqa: PLC0415

    headers = {**auth(client, people.admin), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="CIVICGRID_SECRET_KEY"):
        Settings(environment="production", secret_key=DEFAULT_SECRET_KEY)
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40


def test_sqlite_is_the_embedded_default(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/civicgrid.db"


def test_catalogues_carry_the_same_messages():
    zh, en = (set(catalogue(locale)) for locale in SUPPORTED_LOCALES)
    assert zh == en


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR", "zh-CN"),
        ("fr;q=1,en;q=0.5", "en"),
        ("zh-TW", "zh-CN"),
    ],
)
def test_locale_negotiation_defaults_to_chinese(header, expected):
    assert negotiate_locale(header) == expected
