"""The command line on a real database: demo city, users, clear refusals."""

import json
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_keys import key_matches
from civicgrid.alarms.models import Device
from civicgrid.app import create_app
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case, RoutingRule
from civicgrid.geo.models import Region
from civicgrid.i18n import translate
from civicgrid.settings import Settings, get_settings
from tests.factories import run

DEMO_GRIDS = "300"
DEMO_CASES = "40"


@pytest.fixture
def demo_city(cli_env: Path) -> dict:
    result = run(
        "demo", "--grids", DEMO_GRIDS, "--cases", DEMO_CASES, "--shared-data", "/nonexistent-shared"
    )
    assert result.exit_code == 0, result.output
    return json.loads((cli_env / "demo-accounts.json").read_text(encoding="utf-8"))


def test_demo_builds_the_city_with_one_account_per_role(demo_city, db: Session):
    roles = {account["role"] for account in demo_city["accounts"]}
    assert roles == {role.value for role in Role}
    assert demo_city["api_keys"][0]["key"].startswith("cgk_")
    grids = db.scalar(select(func.count()).where(Region.level == "grid"))
    assert grids == int(DEMO_GRIDS)
    districts = db.scalars(select(Region.code).where(Region.level == "district")).all()
    assert sorted(districts) == ["530502", "530521", "530523", "530524", "530581"]


def test_the_demo_routes_by_the_starting_rules_and_seeding_again_adds_none(demo_city, db):
    rules = db.scalar(select(func.count()).select_from(RoutingRule))
    assert rules > 0
    again = run("routing", "seed")
    assert again.exit_code == 0, again.output
    assert "0" in again.output
    assert db.scalar(select(func.count()).select_from(RoutingRule)) == rules
    routed = db.scalar(select(func.count()).where(Case.routing_rule_id.is_not(None)))
    assert routed > 0


def test_without_shared_data_the_streets_are_the_real_townships(demo_city, db: Session):
    streets = db.scalars(select(Region).where(Region.level == "street")).all()
    assert len(streets) == 76
    assert not any(street.generated for street in streets)
    assert {"兰城街道", "永昌街道", "河图街道"} <= {street.name for street in streets}
    # Below the township, the boundaries and the communities are still made up.
    communities = db.scalars(select(Region).where(Region.level == "community")).all()
    assert communities
    assert all(community.generated for community in communities)


def test_demo_accounts_can_sign_in_and_the_key_works(demo_city, database_url):
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        for account in demo_city["accounts"]:
            response = client.post(
                "/api/v1/auth/token",
                data={"username": account["username"], "password": account["password"]},
            )
            assert response.status_code == 200, account["username"]
        key = demo_city["api_keys"][0]["key"]
        assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()["kind"] == "api_key"
    app.state.engine.dispose()


def test_running_demo_again_keeps_the_city(demo_city, db: Session):
    before = db.scalar(select(func.count()).select_from(Region))
    again = run(
        "demo", "--grids", DEMO_GRIDS, "--cases", DEMO_CASES, "--shared-data", "/nonexistent-shared"
    )
    assert again.exit_code == 0
    assert "已存在" in again.output
    assert db.scalar(select(func.count()).select_from(Region)) == before


def test_the_demo_registers_its_device_fleet_and_keeps_the_keys_private(
    demo_city, cli_env: Path, db: Session
):
    keys_file = cli_env / "demo-devices.json"
    assert keys_file.stat().st_mode & 0o777 == 0o600
    kept = json.loads(keys_file.read_text(encoding="utf-8"))["devices"]
    devices = dict(db.execute(select(Device.code, Device.key_hash)).all())
    assert len(devices) == len(kept) > 30
    assert all(key_matches(devices[row["code"]], row["key"]) for row in kept)
    again = run(
        "demo", "--grids", DEMO_GRIDS, "--cases", DEMO_CASES, "--shared-data", "/nonexistent-shared"
    )
    assert again.exit_code == 0, again.output
    assert json.loads(keys_file.read_text(encoding="utf-8"))["devices"] == kept


def test_rebuilding_gives_the_same_city_and_keeps_passwords(demo_city, cli_env, db: Session):
    def shapes() -> dict[str, bytes | None]:
        return dict(db.execute(select(Region.code, Region.geometry)).all())

    before = shapes()
    db.rollback()
    result = run(
        "demo",
        "--grids",
        DEMO_GRIDS,
        "--cases",
        DEMO_CASES,
        "--shared-data",
        "/nonexistent-shared",
        "--rebuild",
    )
    assert result.exit_code == 0, result.output
    assert shapes() == before
    rebuilt = json.loads((cli_env / "demo-accounts.json").read_text(encoding="utf-8"))
    assert rebuilt["accounts"] == demo_city["accounts"]


def test_a_different_demo_over_an_existing_one_is_refused_without_rebuild(demo_city):
    result = run("demo", "--grids", "400", "--shared-data", "/nonexistent-shared")
    assert result.exit_code == 2
    assert "--rebuild" in result.output


def test_an_unknown_city_is_refused_with_a_message(cli_env):
    result = run("demo", "--city", "999900")
    assert result.exit_code == 2
    assert "999900" in result.output


def test_user_create_and_list_as_json(demo_city):
    created = run(
        "user",
        "create",
        "--username",
        "wangwu",
        "--password",
        "long-enough-1",
        "--role",
        "grid_worker",
        "--scope",
        "530502",
    )
    assert created.exit_code == 0, created.output
    listed = json.loads(run("user", "list", "--json").output)
    wangwu = next(row for row in listed if row["username"] == "wangwu")
    assert wangwu == {
        "username": "wangwu",
        "display_name": "wangwu",
        "role": "grid_worker",
        "scope_code": "530502",
        "active": True,
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--username", "a b", "--password", "long-enough-1", "--scope", "530502"], "用户名"),
        (["--username", "short", "--password", "short", "--scope", "530502"], "密码"),
        (["--username", "nowhere", "--password", "long-enough-1", "--scope", "110101"], "110101"),
        (["--username", "badcode", "--password", "long-enough-1", "--scope", "5305"], "5305"),
    ],
)
def test_user_create_refuses_bad_input_without_a_traceback(cli_env, city, args, expected):
    """On the small test city, where 530502 is a district and 110101 is not a region."""
    result = run("user", "create", "--role", "dispatcher", *args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_import_regions_loads_a_province_s_townships_with_no_folder_given(cli_env, db: Session):
    result = run("import-regions", "--prefix", "5305")
    assert result.exit_code == 0, result.output
    streets = db.scalars(select(Region).where(Region.level == "street")).all()
    assert len(streets) == 76
    assert "兰城街道" in {street.name for street in streets}


def test_import_regions_reports_the_ankang_mismatch(cli_env, shared_data: Path):
    result = run(
        "import-regions",
        "--codes",
        str(shared_data / "geo" / "division_codes"),
        "--boundaries",
        str(shared_data / "geo" / "boundaries"),
        "--prefix",
        "6109",
    )
    assert result.exit_code == 0, result.output
    assert "610928" in result.output
    assert "610981" in result.output


def _grid_file(path: Path, code: str, geometry: dict) -> Path:
    feature = {
        "type": "Feature",
        "properties": {"code": code, "name": "测试网格"},
        "geometry": geometry,
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path


def test_import_grids_refuses_a_broken_file_and_exits_non_zero(demo_city, tmp_path, db):
    before = db.scalar(select(func.count()).select_from(Region))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", "utf-8")
    result = run("import-grids", str(broken))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert db.scalar(select(func.count()).select_from(Region)) == before


def test_import_grids_will_not_drop_a_grid_an_account_still_names(demo_city, tmp_path, db):
    worker = next(a for a in demo_city["accounts"] if a["role"] == "grid_worker")
    community = worker["scope_code"][:12]
    outline = shapely.from_wkb(db.scalar(select(Region.geometry).where(Region.code == community)))
    geometry = json.loads(shapely.to_geojson(outline))
    other_code = community + "999"
    result = run("import-grids", str(_grid_file(tmp_path / "one.geojson", other_code, geometry)))
    assert result.exit_code == 2, result.output
    assert worker["scope_code"] in result.output
    db.rollback()
    assert db.get(Region, worker["scope_code"]) is not None
    assert db.get(Region, other_code) is None


def test_production_without_a_secret_refuses_to_start_with_a_message(monkeypatch):
    monkeypatch.setenv("CIVICGRID_ENVIRONMENT", "production")
    monkeypatch.delenv("CIVICGRID_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = run("migrate")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "CIVICGRID_SECRET_KEY" in result.output


def test_production_without_registry_keys_refuses_to_serve_with_a_message(
    monkeypatch, cli_env: Path
):
    monkeypatch.setenv("CIVICGRID_ENVIRONMENT", "production")
    monkeypatch.setenv("CIVICGRID_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("CIVICGRID_REGISTRY_KEYS", raising=False)
    monkeypatch.delenv("CIVICGRID_REGISTRY_KEY_FILE", raising=False)
    get_settings.cache_clear()
    try:
        result = run("serve", "--port", "1")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert translate("error.registry_key_missing", "zh-CN") in result.output
