"""Alarm rules as data: an administrator's changes, flapping, storms, outages, and reasons."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicgrid import worker
from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.models import Alarm, AlarmCase
from civicgrid.alarms.rules import RuleChange, alarm_rules, change_rule, rules_in_force
from civicgrid.alarms.schemas import MAX_COUNT, MAX_WINDOW_MINUTES, AlarmRuleIn
from civicgrid.alarms.service import DeviceInput, Spot, heard_from, register_device
from civicgrid.audit.log import verify_changes
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from civicgrid.console import console_actor
from civicgrid.db import make_session_factory
from civicgrid.geo.service import GridIndex
from tests.alarms.conftest import Registered
from tests.factories import (
    OWN_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    City,
    People,
    auth,
    token_for,
)

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def grid_index() -> GridIndex:
    return GridIndex()


def set_rule(db: Session, alarm_type: str, **changes: Any) -> None:
    settings = rules_in_force(db)[alarm_type].settings() | changes
    change_rule(db, console_actor(), alarm_type, RuleChange(**settings))
    db.commit()


def send(
    db: Session,
    index: GridIndex,
    device: Registered,
    event_id: str,
    *,
    at: datetime,
    state: str = "on",
) -> Alarm:
    report = AlarmReport(event_id=event_id, alarm_type="smoke", state=state)
    taken = take_alarm(db, index, device=device_for_code(db, device.code), report=report, now=at)
    db.commit()
    return taken.alarm


def gathered(db: Session, case_number: str | None) -> int:
    link = db.get(AlarmCase, case_number)
    assert link is not None
    db.refresh(link)
    return link.alarm_count


def test_a_device_that_keeps_clearing_its_alarm_is_flapping_until_it_calms_down(
    db: Session, grid_index: GridIndex, smoke_sensor: Registered
):
    set_rule(db, "smoke", flap_count=3, flap_minutes=10)
    moments = [AT + timedelta(seconds=10 * step) for step in range(6)]
    for step, moment in enumerate(moments):
        state = "on" if step % 2 else "off"
        send(db, grid_index, smoke_sensor, f"s-{step}", at=moment, state=state)

    flapping = send(db, grid_index, smoke_sensor, "again", at=AT + timedelta(minutes=2))
    calm = send(db, grid_index, smoke_sensor, "calm", at=AT + timedelta(minutes=20))

    assert (flapping.outcome, flapping.case_number) == ("flapping", None)
    assert flapping.reason == {
        "rule_version": 1,
        "flap_count": 3,
        "flap_minutes": 10,
        "cleared_in_window": 3,
    }
    assert calm.outcome == "opened_case"
    assert db.scalar(select(Alarm.outcome).where(Alarm.event_id == "s-0")) == "cleared"


def test_alarms_from_many_devices_of_one_grid_become_one_storm_case_with_a_count(  # noqa: PLR0917
    db: Session,
    grid_index: GridIndex,
    client: TestClient,
    people: People,
    smoke_sensor: Registered,
    neighbour_sensor: Registered,
):
    set_rule(db, "smoke", dedupe_minutes=0, storm_count=3, storm_minutes=10)
    first = send(db, grid_index, smoke_sensor, "a-1", at=AT)
    second = send(db, grid_index, neighbour_sensor, "b-1", at=AT + timedelta(seconds=5))
    storm = [
        send(db, grid_index, device, f"{device.code}-{n}", at=AT + timedelta(seconds=10 + n))
        for n, device in enumerate([smoke_sensor, neighbour_sensor, smoke_sensor])
    ]

    assert [first.outcome, second.outcome] == ["opened_case", "opened_case"]
    assert {alarm.outcome for alarm in storm} == {"storm"}
    assert {alarm.case_number for alarm in storm} == {second.case_number}
    assert storm[0].reason == {
        "rule_version": 1,
        "storm_count": 3,
        "storm_minutes": 10,
        "scope": "grid",
        "alarms_in_window": 3,
    }
    assert gathered(db, second.case_number) == 4
    listed = client.get(
        "/api/v1/alarms", params={"device": smoke_sensor.code}, headers=auth(client, people.owner)
    ).json()
    assert listed[0]["outcome"] == "storm"
    assert listed[0]["case_alarm_count"] == 4
    assert listed[0]["reason"]["scope"] == "grid"


def test_a_steady_alarm_from_one_device_keeps_one_case_and_counts_it(
    db: Session, grid_index: GridIndex, smoke_sensor: Registered
):
    alarms = [
        send(db, grid_index, smoke_sensor, f"e-{n}", at=AT + timedelta(seconds=n)) for n in range(5)
    ]

    assert [alarm.outcome for alarm in alarms] == ["opened_case"] + ["joined_case"] * 4
    assert alarms[1].reason == {"rule_version": 0, "dedupe_minutes": 10}
    assert gathered(db, alarms[0].case_number) == 5


def test_a_cases_alarms_are_listed_by_its_number_inside_the_readers_area_only(
    db: Session, grid_index: GridIndex, client: TestClient, people: People, smoke_sensor: Registered
):
    steady = [
        send(db, grid_index, smoke_sensor, f"c-{n}", at=AT + timedelta(seconds=n)) for n in range(3)
    ]
    later = send(db, grid_index, smoke_sensor, "c-later", at=AT + timedelta(hours=2))
    number = steady[0].case_number
    assert number is not None
    assert later.case_number != number

    def listed(user: Any, case_number: str) -> Any:
        return client.get(
            "/api/v1/alarms", params={"case_number": case_number}, headers=auth(client, user)
        )

    own = listed(people.owner, number)
    assert own.headers["X-Total-Count"] == "3"
    assert [item["event_id"] for item in own.json()] == ["c-2", "c-1", "c-0"]
    assert {item["case_alarm_count"] for item in own.json()} == {3}
    assert own.json()[0]["outcome"] == "joined_case"
    assert own.json()[0]["reason"]["dedupe_minutes"] == 10
    elsewhere = listed(people.outsider, number)
    assert (elsewhere.status_code, elsewhere.json()) == (200, [])
    assert elsewhere.headers["X-Total-Count"] == "0"
    for bad in ["abc", "1' OR 1=1", "9" * 25]:
        refused = listed(people.owner, bad)
        assert refused.status_code == 422
        assert CHINESE.search(refused.json()["error"]["message"])


@pytest.fixture
def owned_sensor(db: Session, sensing: City) -> tuple[Registered, int]:
    """A smoke sensor in the own grid kept by the district's urban-management department."""
    department = auth_service.create_department(
        db, code="D-um", name="城管局", kind="urban_management", region_code=OWN_DISTRICT
    )
    lng, lat = sensing.point_in(OWN_GRID)
    data = DeviceInput(
        code="53050200081346000005",
        kind=DeviceKind.SMOKE_SENSOR,
        name="烟感五号",
        spot=Spot(lng, lat),
        department_code="D-um",
    )
    device, key = register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    return Registered(code=device.code, key=key, grid=OWN_GRID), department.id


def test_a_silent_device_gets_one_maintenance_case_per_outage_for_its_owner_department(
    db: Session, engine: Engine, owned_sensor: tuple[Registered, int]
):
    sensor, department_id = owned_sensor
    sessions = make_session_factory(engine)

    def heartbeat(at: datetime) -> None:
        heard_from(db, device_for_code(db, sensor.code), at)
        db.commit()

    heartbeat(AT)
    worker.run_once(sessions, "w-1", now=AT + timedelta(hours=1))
    worker.run_once(sessions, "w-2", now=AT + timedelta(hours=2))
    heartbeat(AT + timedelta(hours=3))
    worker.run_once(sessions, "w-1", now=AT + timedelta(hours=4))

    db.expire_all()
    outages = list(
        db.scalars(select(Alarm).where(Alarm.alarm_type == "device_offline").order_by(Alarm.id))
    )
    assert [alarm.outcome for alarm in outages] == ["opened_case", "opened_case"]
    assert outages[0].attributes == {
        "last_heartbeat_at": AT.isoformat(),
        "silence_minutes": 15,
    }
    cases = [db.scalar(select(Case).where(Case.number == a.case_number)) for a in outages]
    assert all(case is not None for case in cases)
    assert {case.routed_department_id for case in cases if case} == {department_id}
    assert all("routing.by_alarm_rule" in case.routing_reason for case in cases if case)
    assert {case.category_code for case in cases if case} == {"UM-03-07"}


def test_a_city_administrator_changes_a_rule_and_the_next_alarm_follows_it(
    db: Session, client: TestClient, people: People, smoke_sensor: Registered
):
    admin = auth(client, people.admin)
    listed = client.get("/api/v1/alarms/rules", headers=admin)
    assert listed.status_code == 200, listed.text
    smoke = next(rule for rule in listed.json() if rule["type"] == "smoke")
    assert (smoke["version"], smoke["opens_case"]) == (0, True)
    assert any(rule["type"] == "device_offline" for rule in listed.json())

    body = {key: smoke[key] for key in RuleChange.__dataclass_fields__} | {"opens_case": False}
    changed = client.put("/api/v1/alarms/rules/smoke", json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["opens_case"]) == (1, False)

    sent = client.post(
        "/api/v1/alarms",
        json={"alarms": [{"event_id": "after", "type": "smoke"}]},
        headers=smoke_sensor.headers,
    )
    assert sent.json()[0]["outcome"] == "recorded"
    assert sent.json()[0]["reason"] == {"rule_version": 1, "opens_case": False}
    log = client.get("/api/v1/admin/audit", params={"kind": "alarm_rule"}, headers=admin).json()
    assert [(entry["action"], entry["target"]) for entry in log] == [("update", "smoke")]
    assert (log[0]["before"]["opens_case"], log[0]["after"]["opens_case"]) == (True, False)
    assert verify_changes(db).problems == []


def test_bad_rules_are_refused_with_a_message_in_chinese(
    client: TestClient, people: People, sensing: City
):
    admin = auth(client, people.admin)
    good = {"priority": "urgent", "opens_case": True, "dedupe_minutes": 5}
    refusals = {
        "/api/v1/alarms/rules/ufo": good,
        "/api/v1/alarms/rules/smoke": good | {"dedupe_minutes": -1},
        "/api/v1/alarms/rules/" + "x" * 41: good,
        "/api/v1/alarms/rules/sos": good | {"route_to": "no-such-department"},
        "/api/v1/alarms/rules/tamper": good | {"category": "UM-99"},
        "/api/v1/alarms/rules/intrusion": good | {"surprise": 1},
    }
    statuses = []
    for path, body in refusals.items():
        answer = client.put(path, json=body, headers=admin)
        statuses.append(answer.status_code)
        assert CHINESE.search(answer.json()["error"]["message"]), answer.text
    assert statuses == [404, 422, 422, 422, 422, 422]

    pair = client.put("/api/v1/alarms/rules/smoke", json=good | {"storm_count": 3}, headers=admin)
    assert (pair.status_code, pair.json()["error"]["code"]) == (422, "alarm_rule_window_pair")
    huge = client.put(
        "/api/v1/alarms/rules/smoke",
        json=good | {"category": "x" * 3_000_000},
        headers=admin,
    )
    assert huge.status_code == 413
    assert CHINESE.search(huge.json()["error"]["message"])


def test_only_a_city_administrator_changes_rules_and_only_administrators_read_them(
    db: Session, client: TestClient, people: People, sensing: City
):
    auth_service.create_user(
        db, username="street-admin", password=PASSWORD, role=Role.ADMIN, scope_code=OWN_STREET
    )
    db.commit()
    street_admin = {"Authorization": f"Bearer {token_for(client, 'street-admin')}"}
    body = {"priority": "normal", "opens_case": False, "dedupe_minutes": 0}
    put = "/api/v1/alarms/rules/smoke"

    assert client.put(put, json=body, headers=street_admin).status_code == 403
    assert client.put(put, json=body, headers=auth(client, people.owner)).status_code == 403
    assert client.get("/api/v1/alarms/rules", headers=auth(client, people.owner)).status_code == 403
    assert client.get("/api/v1/alarms/rules", headers=street_admin).status_code == 200
    assert rules_in_force(db)["smoke"].version == 0


def test_a_type_without_a_row_of_its_own_follows_the_built_in_file(db: Session, sensing: City):
    set_rule(db, "smoke", storm_count=5, storm_minutes=5)

    in_force = rules_in_force(db)

    assert in_force["sos"] == alarm_rules()["sos"]
    assert (in_force["smoke"].storm_count, in_force["smoke"].version) == (5, 1)
    assert set(in_force) == set(alarm_rules())


NUMBER_FIELDS = ("dedupe_minutes", "flap_count", "flap_minutes", "storm_count", "storm_minutes")


@given(
    field=st.sampled_from(NUMBER_FIELDS),
    number=st.integers(min_value=-(2**40), max_value=2**40),
)
def test_the_rule_body_takes_whole_numbers_from_zero_to_their_limit_and_nothing_else(
    field: str, number: int
):
    body = {"priority": "normal", "opens_case": True, "dedupe_minutes": 0, field: number}
    limit = MAX_COUNT if field.endswith("_count") else MAX_WINDOW_MINUTES
    if 0 <= number <= limit:
        assert getattr(AlarmRuleIn.model_validate(body).change(), field) == number
    else:
        with pytest.raises(ValidationError):
            AlarmRuleIn.model_validate(body)
