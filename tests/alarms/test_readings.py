"""Sensor readings into the Parquet store, threshold rules over them, and their retention."""

from collections import Counter
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.intake import device_for_code
from civicgrid.alarms.models import Alarm
from civicgrid.alarms.reading_schemas import ReadingBatchIn
from civicgrid.alarms.reading_store import readings_root
from civicgrid.alarms.readings import ReadingPipeline, Sensor
from civicgrid.alarms.thresholds import ThresholdInput, create_threshold
from civicgrid.audit.models import AdminChange
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from civicgrid.timeutil import utcnow
from civicgrid.worker import expire_readings
from tests.alarms.conftest import Registered
from tests.factories import CITY, OTHER_GRID, OWN_GRID, People, actor, auth

CITY_ADMIN = actor(Role.ADMIN, CITY)
# Noon on 7 December in the city.
NOON = datetime.fromisoformat("2026-12-07T04:00:00+00:00")

WATER = ThresholdInput(
    device_kind="water_level_sensor",
    measure="water_level",
    comparison=">",
    limit=3.5,
    duration_seconds=600,
    alarm_type="water_level_high",
)
WATER_RULE = asdict(WATER)


def reading(measure: str, at: datetime, value: float) -> dict[str, object]:
    return {"measure": measure, "at": at.isoformat(), "value": value}


def post(client: TestClient, device: Registered, *readings: dict[str, object]):
    return client.post(
        "/api/v1/alarms/readings", json={"readings": list(readings)}, headers=device.headers
    )


def stored_rows(root: Path) -> list[tuple[Path, dict[str, object]]]:
    files = sorted(root.glob("day=*/district=*/*.parquet"))
    return [(path, row) for path in files for row in pq.read_table(path).to_pylist()]


def minutes_ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)


def test_readings_land_in_the_partition_of_their_local_day_and_district_once(
    client: TestClient, settings: Settings, smoke_sensor: Registered, far_sensor: Registered
):
    now = utcnow()
    # 16:00 UTC is midnight in the city: the two readings fall on two local days.
    midnight = (now - timedelta(days=1)).replace(hour=16, minute=0, second=0, microsecond=0)
    before, after = midnight - timedelta(seconds=1), midnight + timedelta(seconds=1)
    first = post(client, smoke_sensor, reading("smoke_density", before, 0.1))
    second = post(client, far_sensor, reading("water_level", after, 1.2))
    again = post(
        client,
        far_sensor,
        reading("water_level", after, 1.2),
        reading("water_level", after + timedelta(seconds=1), 1.3),
    )

    assert first.json() == {"accepted": 1, "repeated": 0}
    assert second.json() == {"accepted": 1, "repeated": 0}
    assert again.json() == {"accepted": 1, "repeated": 1}
    root = readings_root(settings.effective_archive_dir)
    rows = stored_rows(root)
    folders = Counter(path.parent.relative_to(root).as_posix() for path, _ in rows)
    local_day = (midnight + timedelta(hours=8)).date()
    assert folders == {
        f"day={local_day - timedelta(days=1)}/district=530502": 1,
        f"day={local_day}/district=530521": 2,
    }
    assert {(row["device_code"], row["region_code"]) for _, row in rows} == {
        (smoke_sensor.code, OWN_GRID),
        (far_sensor.code, OTHER_GRID),
    }


def test_bad_readings_are_refused_with_a_reason_in_chinese(
    client: TestClient, settings: Settings, far_sensor: Registered
):
    now = utcnow()
    unknown = post(client, far_sensor, reading("radiation", now, 1.0))
    future = post(client, far_sensor, reading("water_level", now + timedelta(hours=1), 1.0))
    old = post(client, far_sensor, reading("water_level", now - timedelta(days=3), 1.0))
    huge = post(client, far_sensor, *[reading("water_level", now, 1.0)] * 1001)
    nan = client.post(
        "/api/v1/alarms/readings",
        content=f'{{"readings": [{{"measure": "water_level", "at": "{now.isoformat()}", '
        '"value": NaN}]}',
        headers={**far_sensor.headers, "Content-Type": "application/json"},
    )

    assert unknown.status_code == 422
    assert "未知的测量项" in unknown.json()["error"]["message"]
    assert future.status_code == 422
    assert "校准设备时钟" in future.json()["error"]["message"]
    assert old.status_code == 422
    assert huge.status_code == 422
    assert nan.status_code == 422
    assert stored_rows(readings_root(settings.effective_archive_dir)) == []


def test_a_water_level_over_the_limit_for_the_duration_raises_one_alarm_and_case(
    client: TestClient, db: Session, people: People, far_sensor: Registered
):
    create_threshold(db, CITY_ADMIN, WATER)
    db.commit()
    now = utcnow()
    spike = [reading("water_level", minutes_ago(now, 40 - n), v) for n, v in enumerate([3, 4, 3])]
    # Over the limit from 30 minutes ago to now: one excursion, one alarm when it reaches 10.
    flood = [reading("water_level", minutes_ago(now, 30 - n), 3.6 + n / 100) for n in range(31)]

    assert post(client, far_sensor, *spike).status_code == 200
    assert db.scalar(select(func.count()).select_from(Alarm)) == 0
    for chunk in (flood[:5], flood[5:20], flood[20:]):
        assert post(client, far_sensor, *chunk).status_code == 200

    alarms = list(db.scalars(select(Alarm)))
    assert len(alarms) == 1
    [alarm] = alarms
    assert alarm.alarm_type == "water_level_high"
    assert alarm.outcome == "opened_case"
    assert alarm.attributes["threshold_rule"]["limit"] == 3.5
    assert alarm.attributes["excursion_readings"] == 11
    assert [r["value"] for r in alarm.attributes["readings"]][:2] == [3.6, 3.61]
    assert "水位>3.5m持续 10.0 分钟" in alarm.detail
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_a_restarted_pipeline_knows_its_newest_flush_and_stores_a_redelivery_once(
    db: Session, people: People, far_sensor: Registered, tmp_path: Path
):
    """The state a listener killed between a file's rename and the acknowledgement leaves:
    the broker sends the message again to a pipeline that has just started."""
    create_threshold(db, CITY_ADMIN, WATER)
    db.commit()
    sensor = Sensor.of(device_for_code(db, far_sensor.code))
    now = utcnow()
    batch = ReadingBatchIn.model_validate(
        {"readings": [reading("water_level", minutes_ago(now, 15 - n), 4.0) for n in range(16)]}
    )
    first = ReadingPipeline(tmp_path)
    first.accept(sensor, batch, now)
    first.write(now)  # killed here: written, never judged, never acknowledged

    restarted = ReadingPipeline(tmp_path)
    raised = restarted.recover(db, GridIndex(), now)
    again = restarted.accept(sensor, batch, now)

    assert (raised, again.accepted, again.repeated) == (1, 0, 16)
    assert restarted.recover(db, GridIndex(), now) == 0  # the excursion's alarm is stored once
    assert len(stored_rows(tmp_path)) == 16
    assert db.scalar(select(func.count()).select_from(Alarm)) == 1


def test_retention_deletes_whole_day_partitions_older_than_it(
    settings: Settings, db: Session, far_sensor: Registered
):
    archive = settings.effective_archive_dir
    pipeline = ReadingPipeline(readings_root(archive))
    sensor = Sensor.of(device_for_code(db, far_sensor.code))
    for hours in (47, 25, 0):
        at = NOON - timedelta(hours=hours)
        batch = ReadingBatchIn.model_validate({"readings": [reading("water_level", at, 1.0)]})
        pipeline.accept(sensor, batch, NOON)
        pipeline.write(NOON)
    root = readings_root(archive)
    assert len(list(root.glob("day=*"))) == 3

    removed = expire_readings(archive, today=date(2026, 12, 8), keep_days=3)

    assert removed == [date(2026, 12, 5)]
    assert sorted(path.name for path in root.glob("day=*")) == ["day=2026-12-06", "day=2026-12-07"]
    assert len(stored_rows(root)) == 2


def test_city_administrators_keep_threshold_rules_and_every_change_is_logged(
    client: TestClient, db: Session, people: People, far_sensor: Registered
):
    city = auth(client, people.admin)
    made = client.post("/api/v1/alarms/thresholds", json=WATER_RULE, headers=city)
    assert made.status_code == 201, made.text
    rule_id = made.json()["id"]
    changed = client.put(
        f"/api/v1/alarms/thresholds/{rule_id}",
        json={**WATER_RULE, "device_kind": None, "device_code": far_sensor.code, "limit": 4.0},
        headers=city,
    )
    listed = client.get("/api/v1/alarms/thresholds", headers=city)
    removed = client.delete(f"/api/v1/alarms/thresholds/{rule_id}", headers=city)

    assert changed.status_code == 200
    assert changed.json()["limit"] == 4.0
    assert [rule["device_code"] for rule in listed.json()] == [far_sensor.code]
    assert removed.status_code == 204
    assert client.get("/api/v1/alarms/thresholds", headers=city).json() == []
    logged = db.scalars(select(AdminChange.action).where(AdminChange.kind == "threshold_rule"))
    assert list(logged) == ["create", "update", "delete"]


def test_bad_threshold_rules_are_refused_with_a_chinese_message(
    client: TestClient, people: People, far_sensor: Registered
):
    city = auth(client, people.admin)
    cases = {
        "threshold_target_required": {**WATER_RULE, "device_code": far_sensor.code},
        "threshold_kind_unknown": {**WATER_RULE, "device_kind": "toaster"},
        "threshold_device_unknown": {
            **WATER_RULE,
            "device_kind": None,
            "device_code": "53050200081346999999",
        },
        "reading_measure_unknown": {**WATER_RULE, "measure": "radiation"},
        "threshold_comparison_unknown": {**WATER_RULE, "comparison": "=="},
        "threshold_duration_range": {**WATER_RULE, "duration_seconds": 90_000},
        "alarm_type_unknown": {**WATER_RULE, "alarm_type": "ufo"},
    }
    for code, body in cases.items():
        refused = client.post("/api/v1/alarms/thresholds", json=body, headers=city)
        assert refused.status_code == 422, (code, refused.text)
        assert refused.json()["error"]["code"] == code
        assert any("\u4e00" <= char <= "\u9fff" for char in refused.json()["error"]["message"])
    street_admin = client.get("/api/v1/alarms/thresholds", headers=auth(client, people.owner))
    assert street_admin.status_code == 403


def test_a_batch_is_taken_in_time_order_with_one_value_a_moment_and_nothing_older(
    tmp_path: Path,
):
    pipeline = ReadingPipeline(tmp_path)
    sensor = Sensor(code="53050200081346000009", kind="water_level_sensor", region_code=OWN_GRID)
    hour_ago = NOON - timedelta(hours=1)
    shuffled = [
        reading("water_level", hour_ago + timedelta(seconds=2), 5.0),
        reading("water_level", hour_ago, 1.0),
        reading("water_level", hour_ago, 1.5),
    ]
    late = [reading("water_level", hour_ago + timedelta(seconds=1), 3.0)]

    first = pipeline.accept(sensor, ReadingBatchIn.model_validate({"readings": shuffled}), NOON)
    second = pipeline.accept(sensor, ReadingBatchIn.model_validate({"readings": late}), NOON)
    pipeline.write(NOON)

    assert (first.accepted, first.repeated) == (2, 1)
    assert (second.accepted, second.repeated) == (0, 1)
    assert [row["value"] for _, row in stored_rows(tmp_path)] == [1.0, 5.0]
