"""The sources' routes and command: administrators save a mapping and import; others may not."""

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.app import create_app
from civicgrid.audit.models import AdminChange
from civicgrid.auth.models import Role
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.settings import Settings
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import ExternalRecord
from tests.factories import (
    CITY,
    OWN_GRID,
    POLICE_HEADINGS,
    POLICE_MAPPING,
    City,
    People,
    actor,
    auth,
    police_row,
    police_source,
    run,
    write_csv,
)

BODY = {"kind": "police_110", "mapping": POLICE_MAPPING}


def test_an_administrator_saves_a_mapping_once_and_the_change_log_keeps_it(
    client: TestClient, people: People, db: Session
):
    headers = auth(client, people.admin)

    created = client.put("/api/v1/analysis/sources/110-city", json=BODY, headers=headers)
    changed = client.put(
        "/api/v1/analysis/sources/110-city",
        json={**BODY, "mapping": {**POLICE_MAPPING, "default_class": "public_order"}},
        headers=headers,
    )
    listed = client.get("/api/v1/analysis/sources", headers=headers)

    assert created.status_code == 200, created.text
    assert changed.json()["mapping"]["default_class"] == "public_order"
    assert [(s["name"], s["kind"], s["records"]) for s in listed.json()] == [
        ("110-city", "police_110", 0)
    ]
    changes = db.scalars(select(AdminChange).where(AdminChange.kind == "external_source")).all()
    assert [(c.action, c.target, c.actor) for c in changes] == [
        ("create", "110-city", "user:admin"),
        ("update", "110-city", "user:admin"),
    ]
    assert json.loads(changes[1].before or "{}")["mapping"]["default_class"] is None


def test_a_mapping_naming_no_risk_class_or_no_place_is_refused_in_the_callers_language(
    client: TestClient, people: People
):
    headers = auth(client, people.admin)
    wrong_class = {**POLICE_MAPPING, "classes": {"盗窃": "burglary"}}
    no_place = {**POLICE_MAPPING, "columns": {"record_id": "a", "occurred_at": "b", "type": "c"}}

    refused = client.put(
        "/api/v1/analysis/sources/110-city",
        json={**BODY, "mapping": wrong_class},
        headers={**headers, "Accept-Language": "zh-CN"},
    )
    placeless = client.put(
        "/api/v1/analysis/sources/110-city", json={**BODY, "mapping": no_place}, headers=headers
    )

    assert refused.status_code == 422
    assert "“盗窃”对应的风险类别“burglary”不在 29 类之中" in refused.text
    assert placeless.status_code == 422
    assert client.get("/api/v1/analysis/sources/110-city", headers=headers).status_code == 404


def test_an_uploaded_file_is_imported_through_the_saved_mapping_and_only_by_administrators(
    client: TestClient, people: People, city: City, db: Session, tmp_path: Path
):
    police_source(db, name="110-city")
    rows = [police_row("JQ100", "2026-11-03 08:00", "盗窃", city.point_in(OWN_GRID))]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)

    def upload(person):
        with path.open("rb") as handle:
            return client.post(
                "/api/v1/analysis/sources/110-city/imports",
                files={"file": ("110.csv", handle, "text/csv")},
                headers=auth(client, person),
            )

    refused = upload(people.owner)
    stored = upload(people.admin)
    again = upload(people.admin)

    assert refused.status_code == 403
    assert stored.status_code == 200, stored.text
    assert (stored.json()["imported"], stored.json()["error_count"]) == (1, 0)
    assert (again.json()["imported"], again.json()["duplicates"]) == (0, 1)
    assert (
        client.get("/api/v1/analysis/sources/110-city", headers=auth(client, people.admin)).json()[
            "records"
        ]
        == 1
    )


def test_a_file_longer_than_a_request_may_import_is_refused_before_any_row(
    people: People, city: City, db: Session, settings: Settings, tmp_path: Path
):
    police_source(db, name="110-city")
    settings.import_max_rows = 2
    point = city.point_in(OWN_GRID)
    rows = [police_row(f"JQ{n}", "2026-11-03 08:00", "盗窃", point) for n in range(3)]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)

    with TestClient(create_app(settings)) as client, path.open("rb") as handle:
        refused = client.post(
            "/api/v1/analysis/sources/110-city/imports",
            files={"file": ("110.csv", handle, "text/csv")},
            headers=auth(client, people.admin),
        )

    assert refused.status_code == 413
    assert db.scalars(select(ExternalRecord)).all() == []


def test_a_record_without_a_point_is_placed_by_its_address_through_the_place_search(
    db: Session, city: City, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    ensure_addresses(db, [AddressInput("幸福路8号", lng=lng, lat=lat)], grid_index=GridIndex())
    columns = {**POLICE_MAPPING["columns"], "address": "发生地址"}
    source = police_source(db, columns=columns)
    row = police_row("JQ200", "2026-11-03 08:00", "盗窃", ("", ""))
    path = write_csv(tmp_path / "110.csv", [[*row, "幸福路8号"]], (*POLICE_HEADINGS, "发生地址"))

    report = import_records(
        db, path, source=source, actor=actor(Role.ADMIN, CITY), grid_index=GridIndex()
    )

    assert report.error_count == 0, report.lines("en")
    assert db.scalars(select(ExternalRecord.grid_code)).all() == [OWN_GRID]


def test_the_command_line_saves_a_source_and_imports_its_file(
    cli_env: Path, city: City, tmp_path: Path
):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(POLICE_MAPPING, ensure_ascii=False), "utf-8")
    rows = [police_row("JQ300", "2026-11-03 08:00", "噪音扰民", city.point_in(OWN_GRID))]
    bad = [police_row("JQ301", "2026-11-03 08:00", "未知", city.point_in(OWN_GRID))]

    saved = run("sources", "save", "110-cli", "--kind", "police_110", "--mapping", str(mapping))
    good = run(
        "sources", "import", "110-cli", str(write_csv(tmp_path / "a.csv", rows, POLICE_HEADINGS))
    )
    refused = run(
        "sources", "import", "110-cli", str(write_csv(tmp_path / "b.csv", bad, POLICE_HEADINGS))
    )

    assert saved.exit_code == 0, saved.output
    assert "已保存" in saved.output
    assert good.exit_code == 0, good.output
    assert "导入 1 行" in good.output
    assert refused.exit_code == 1
    assert "第 2 行“类别”列：类别“未知”尚未对应到风险类别" in refused.output
