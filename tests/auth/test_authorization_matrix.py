"""Every route of the app, asked by every role, about its own area and a foreign one.

The expected answers live in `authorization_matrix.md` beside this module, one
row per route and method, one column per caller: no account, each role of
`auth.models.Role` (the administrator twice: of a street and of the city), an
integration key and a device's own code and key. A cell holds one status, or `own/foreign`
where the path names something that lies in an area (a case, a dispute, a
resident, a region). The rows are checked against the router table both ways:
a route without a row, or a row without a route, fails.

The world is real and shared by the module (`factories.build_access_world`):
cases, disputes and residents in the own street and in another district. A
reply must also not carry what the caller may not read, so "200, but another
area's data" fails too: the foreign area's markers never appear in a reply to
anyone but the city administrator, and a resident, a department handler and a
device key never see the neighbour's report.

Writes are sent with an empty body (or a harmless one, `BODIES`): what they
show is who gets past the door to validation. A DELETE names nothing that
exists, so no cell changes the world another cell reads.
"""

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from civicgrid.app import create_app
from civicgrid.auth.models import Role
from civicgrid.categories.seeds import seed_builtin
from civicgrid.db import Base, create_db_engine, load_all_models
from civicgrid.settings import Settings
from tests.factories import (
    OTHER_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    POLICE_MAPPING,
    AccessWorld,
    build_access_world,
    build_city,
    token_for,
)

TABLE = Path(__file__).with_name("authorization_matrix.md")
ACCOUNT_COLUMNS = [
    "resident",
    "grid_worker",
    "community_staff",
    "dispatcher",
    "leader",
    "department_handler",
    "mediator",
    "admin",
    "city_admin",
]
KEY_COLUMNS = ["integration_key", "device_key"]
COLUMNS = ["anonymous", *ACCOUNT_COLUMNS, *KEY_COLUMNS]
# Whose scope holds the other district: only they may see its markers.
SEES_FOREIGN = frozenset({"city_admin"})
# Who may not read the neighbour's report in their own area.
NOT_THE_NEIGHBOURS = frozenset({"anonymous", "resident", "department_handler", "device_key"})
# The public Open311 feed publishes the city's reports to anyone, masked, by design.
UNCHECKED_BODIES = frozenset({"GET /open311/v2/requests.{fmt}"})
MISSING = "999999"
# Bodies that pass validation, so the cell shows the role and area rules; each one
# either changes nothing a read cell sees (reads run first) or is refused.
INACTIVE_RULE = {
    "name": "矩阵",
    "target_level": "community",
    "region_prefix": OWN_STREET,
    "active": False,
}
# A switched-off scene rule for the own street: keepers create it, and it never fires.
SWITCHED_OFF_SCENE = {
    "name": "矩阵场景",
    "region_code": OWN_STREET,
    "zone": "matrix",
    "alarm_type": "smoke",
    "enabled": False,
}
# A rule no water-level reading of the world ever meets: creating it changes no cell.
THRESHOLD = {
    "device_kind": "water_level_sensor",
    "measure": "water_level",
    "comparison": ">",
    "limit": 1000,
    "duration_seconds": 600,
    "alarm_type": "water_level_high",
}
BODIES: dict[str, Any] = {
    # A move the own case cannot make now: readers get 409, others 404, nobody moves it.
    "POST /api/v1/cases/{number}/transitions": {"to": "closed"},
    "POST /api/v1/disputes/{number}/transitions": {"to": "closed"},
    "POST /api/v1/cases/{number}/callbacks": {"reached": False},
    "POST /api/v1/routing-rules": INACTIVE_RULE,
    "PUT /api/v1/routing-rules/{rule_id}": INACTIVE_RULE,
    "PUT /api/v1/fieldwork/weights": {"weights": {"plan_completion": 1}},
    # The choice in force already (none made yet means all): the world stays as it was.
    "PUT /api/v1/categories/taxonomy-in-force": {"choice": "all"},
    "POST /api/v1/categories/suggest": {"text": "小区路灯不亮"},
    "POST /api/v1/alarms/scene-rules": SWITCHED_OFF_SCENE,
    "PUT /api/v1/alarms/scene-rules/{rule_id}": SWITCHED_OFF_SCENE,
    # The built-in rule of `low_battery` (PLAIN), set again: only its version moves.
    "PUT /api/v1/alarms/rules/{alarm_type}": {
        "priority": "normal",
        "opens_case": False,
        "dedupe_minutes": 0,
    },
    "POST /api/v1/alarms/thresholds": THRESHOLD,
    "PUT /api/v1/alarms/thresholds/{rule_id}": THRESHOLD,
    # A mapping an administrator may save: admins get 200, every other caller 403.
    "PUT /api/v1/analysis/sources/{name}": {"kind": "police_110", "mapping": POLICE_MAPPING},
    # Too short to hint at anything, and a channel the desk does not file: nothing is stored.
    "POST /api/v1/desk/hints": {"description": "路灯"},
    # A preview stores nothing: staff of the own grid's area get 200.
    "POST /api/v1/routing-rules/preview": {"region_code": OWN_GRID, "channel": "resident"},
    "POST /api/v1/desk/cases": {"description": "矩阵", "channel": "resident", "address": "x"},
    "POST /api/v1/disputes": {
        "kind": "neighbour",
        "source": "walk_in",
        "region_code": OWN_GRID,
        "description": "矩阵登记的纠纷",
        "parties": [{"role": "applicant", "name": "钱七"}],
    },
}
# Thousands of sign-ins and reports from one address in a minute: no throttle may answer.
UNTHROTTLED = "100000/minute"


@dataclass(frozen=True)
class Asked:
    """One route and method of the router table, with its path's parameter names."""

    method: str
    path: str
    params: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def router_table(app: FastAPI) -> list[Asked]:
    found: list[Asked] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        names = tuple(param.name for param in route.dependant.path_params)
        found.extend(
            Asked(method, str(context.path), names) for method in sorted(route.methods or ())
        )
    return found


def expected_table() -> dict[str, dict[str, str]]:
    """The rows of the table file: route → column → cell."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " ", ":"}:
            continue
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        if cells[0] == "route":
            header = cells[1:]
            continue
        assert cells[0] not in rows, f"two rows for {cells[0]}"
        rows[cells[0]] = dict(zip(header, cells[1:], strict=True))
    assert header == COLUMNS, f"the table's columns are {header}, expected {COLUMNS}"
    return rows


# --- one world for the module, on each engine ----------------------------------------------


@pytest.fixture(scope="module")
def world_url(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The migrated database for this module alone: a copied SQLite file, or emptied after."""
    if migrated_database.startswith("sqlite"):
        copy = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(make_url(migrated_database).database or "", copy)
        yield f"sqlite:///{copy}"
        return
    yield migrated_database
    load_all_models()
    engine = create_db_engine(migrated_database)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@dataclass(frozen=True)
class Matrix:
    client: TestClient
    world: AccessWorld
    headers: dict[str, dict[str, str]]
    table: list[Asked]


@pytest.fixture(scope="module")
def matrix(world_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    settings = Settings(
        database_url=world_url,
        environment="test",
        data_dir=tmp_path_factory.mktemp("matrix-data"),
        login_limits_per_address=UNTHROTTLED,
        login_limits_per_account=UNTHROTTLED,
        track_limits_per_address=UNTHROTTLED,
        track_limits_per_case=UNTHROTTLED,
        report_limits_per_address=UNTHROTTLED,
    )
    engine = create_db_engine(world_url)
    with Session(bind=engine, expire_on_commit=False) as db:
        city = build_city(db)
        seed_builtin(db)
        world = build_access_world(db, city, settings)
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for column in ACCOUNT_COLUMNS:
            token = token_for(client, f"w.{column}", PASSWORD)
            headers[column] = {"Authorization": f"Bearer {token}"}
        headers["integration_key"] = {"X-API-Key": world.keys["integration"]}
        headers["device_key"] = {
            "X-Device-Code": world.own_device,
            "X-Device-Key": world.own_device_key,
        }
        yield Matrix(client, world, headers, router_table(app))
    app.state.engine.dispose()


# --- what each cell asks -------------------------------------------------------------------


def targets(asked: Asked, world: AccessWorld) -> dict[str, dict[str, str]]:
    """Values for the path's parameters: {"own": …, "foreign": …}, or one set for the route.

    A parameter that names something in an area has an own and a foreign value;
    the others (a format, a category code, an id of nothing) have one.
    """
    area: dict[str, tuple[str, str]] = {}
    single: dict[str, str] = {}
    for name in asked.params:
        value = _area_value(asked, name, world)
        if value is None:
            single[name] = _plain_value(asked, name)
        else:
            area[name] = value
    if asked.method == "DELETE":
        return {"": dict.fromkeys(asked.params, MISSING)}
    if not area:
        return {"": single}
    return {
        "own": {**single, **{name: pair[0] for name, pair in area.items()}},
        "foreign": {**single, **{name: pair[1] for name, pair in area.items()}},
    }


def _area_value(asked: Asked, name: str, world: AccessWorld) -> tuple[str, str] | None:
    """The own and foreign values of a parameter naming something in an area, by path."""
    residents = str(world.own_resident), str(world.foreign_resident)
    by_path = {
        ("number", "/api/v1/disputes"): (world.own_dispute, world.foreign_dispute),
        ("number", "/api/v1/consult/disputes"): (world.own_dispute, world.foreign_dispute),
        ("number", "/"): (world.own_case, world.foreign_case),
        ("resident_id", "/"): residents,
        ("subject_id", "/"): residents,
        ("code", "/api/v1/geo"): (OWN_STREET, OTHER_DISTRICT),
        ("code", "/api/v1/devices"): (world.own_device, world.foreign_device),
        ("alarm_id", "/api/v1/alarms"): (str(world.own_alarm), str(world.foreign_alarm)),
    }
    for (param, prefix), pair in by_path.items():
        if param == name and asked.path.startswith(prefix):
            return pair
    return None


PLAIN = {
    "fmt": "json",
    "code": "UM-01-01",
    "service_code": "UM-01-01",
    "subject": "residents",
    "kind": "residents",
    "rest": "nowhere",
    "token": "nothing",
    "alarm_type": "low_battery",
    "sheet": "dispatch",
    # A tile inside the pyramid: the test platform has no MBTiles file, so it has none.
    "z": "1",
    "x": "0",
    "y": "0",
    "extension": "png",
}


def _plain_value(asked: Asked, name: str) -> str:
    return PLAIN.get(name, MISSING)


def query(asked: Asked, world: AccessWorld) -> str:
    """The query a read needs to get past validation; the searches match both areas' rows."""
    if asked.method != "GET":
        return ""
    return {
        "/api/v1/registry/residents": "?address=居民",
        "/api/v1/registry/addresses": "?q=居民",
        "/api/v1/registry/places": "?q=居民",
        "/api/v1/registry/households": "?number=H0001",
        "/api/v1/registry/organisations": "?name=公司",
        "/api/v1/registry/care-members": "?care_group=lonely_elderly",
        "/api/v1/geo/regions/{code}/features.geojson": "?level=community",
        "/api/v1/geo/locate": "?lng=99.105&lat=25.105",
        "/api/v1/geo/regions": "?q=街道",
        "/api/v1/cases/track": f"?number={world.own_case}",
        "/api/v1/consult/answers": "?q=路灯不亮",
        "/api/v1/analysis/monthly": "?month=2026-11",
        "/api/v1/analysis/monthly.xlsx": "?month=2026-11",
        "/api/v1/analysis/recommendations": "?month=2026-11",
        "/api/v1/analysis/monthly.pdf": "?month=2026-11",
        "/api/v1/analysis/hotspots": "?window=2026-11",
        "/api/v1/analysis/hotspots/hours": "?window=2026-11",
        "/api/v1/analysis/safe-places": "?month=2026-11",
        "/api/v1/analysis/safe-places.xlsx": "?month=2026-11",
        "/api/v1/roster": "?start=2026-12-01&end=2026-12-31",
        "/api/v1/field/cases": "?tab=mine",
        "/api/v1/roster/on-duty": f"?region_code={OWN_GRID}",
        "/api/v1/roster/export.xlsx": "?start=2026-12-01&end=2026-12-31",
    }.get(asked.path, "")


def ask(matrix: Matrix, asked: Asked, column: str, values: dict[str, str]) -> tuple[int, str]:
    url = asked.path.replace("{rest:path}", "{rest}").format(**values)
    url += query(asked, matrix.world)
    headers = matrix.headers[column]
    if asked.key == "GET /api/v1/live/cases":
        return _stream_status(matrix.client, url, headers)
    body = BODIES.get(asked.key, {}) if asked.method in {"POST", "PUT", "PATCH"} else None
    response = matrix.client.request(
        asked.method, url, json=body, headers=headers, follow_redirects=False
    )
    return response.status_code, response.text


def _stream_status(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, str]:
    """The live stream never ends: its status and first lines are enough."""
    with client.stream("GET", url, headers={**headers, "Last-Event-ID": "0"}) as response:
        first = next(response.iter_text(), "") if response.status_code == 200 else response.read()
        return response.status_code, first if isinstance(first, str) else first.decode()


def forbidden_markers(column: str, world: AccessWorld) -> list[str]:
    markers = []
    if column not in SEES_FOREIGN:
        markers += ["外区反映", "外区邻里纠纷", "外区居民赵六", "外区烟感", world.foreign_case]
    if column in NOT_THE_NEIGHBOURS:
        markers += ["邻居反映"]
    return markers


def observe(matrix: Matrix) -> tuple[dict[str, dict[str, str]], list[str], int]:
    """Every cell's answer as the table writes it, the leaks found, and the requests sent."""
    seen: dict[str, dict[str, str]] = {}
    leaks: list[str] = []
    sent = 0
    for asked in sorted(matrix.table, key=lambda item: (item.method == "DELETE", item.key)):
        row: dict[str, str] = {}
        for column in COLUMNS:
            answers = []
            for side, values in targets(asked, matrix.world).items():
                status, body = ask(matrix, asked, column, values)
                sent += 1
                answers.append(str(status))
                if side != "foreign" and asked.key not in UNCHECKED_BODIES:
                    leaks.extend(
                        f"{asked.key} as {column}: {marker}"
                        for marker in forbidden_markers(column, matrix.world)
                        if marker in body
                    )
            row[column] = "/".join(answers)
        seen[asked.key] = row
    return seen, leaks, sent


def as_table(rows: dict[str, dict[str, str]]) -> str:
    lines = [
        "| route | " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    lines += [
        f"| `{key}` | " + " | ".join(row[column] for column in COLUMNS) + " |"
        for key, row in rows.items()
    ]
    return "\n".join(lines)


# --- the tests -----------------------------------------------------------------------------


def test_every_route_has_a_row_and_every_row_a_route(matrix: Matrix):
    routes = {asked.key for asked in matrix.table}
    rows = set(expected_table())
    assert sorted(routes - rows) == [], "routes without a row in authorization_matrix.md"
    assert sorted(rows - routes) == [], "rows of authorization_matrix.md without a route"


def test_every_caller_gets_the_answer_the_matrix_gives_and_no_data_it_may_not_read(
    matrix: Matrix,
):
    started = time.monotonic()
    seen, leaks, sent = observe(matrix)
    expected = expected_table()
    differing = {key: row for key, row in seen.items() if key in expected and row != expected[key]}
    assert leaks == []
    assert differing == {}, "cells that changed (as the table would now read):\n" + as_table(
        differing
    )
    # The figures the closing note of issue 11 reports; kept visible with -rP.
    print(
        f"{len(seen)} routes × {len(COLUMNS)} callers, {sent} requests, "
        f"{time.monotonic() - started:.1f} s"
    )


def test_the_table_has_a_column_for_each_role_of_the_platform():
    assert {role.value for role in Role} - set(COLUMNS) == set()
