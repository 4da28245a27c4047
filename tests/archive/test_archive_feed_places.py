"""Alarms, SOS calls and imported records enter the archive with their place's H3 cell and
compound, as cases do, and never with the point, a name, a phone or an ID number."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import h3
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, take_alarm
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.alarms.sos import Press, press_from_worker
from civicgrid.archive.service import append
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.categories.seeds import seed_builtin
from civicgrid.geo.service import GridIndex
from civicgrid.hexcells import CELL_RESOLUTION
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.registry.models import Address, AddressLevel
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import ExternalRecord
from civicgrid.timeutil import utcnow
from tests.factories import (
    CALLER,
    CALLER_PHONE,
    CITY,
    OTHER_GRID,
    OWN_GRID,
    POLICE_HEADINGS,
    City,
    actor,
    police_row,
    police_source,
    write_csv,
)

COMPOUND = "正阳北路12号"
NUMBER_HEADINGS = ("警情编号", "报警时间", "警情类别", "处置状态", "报警人", "联系电话", "地址")


def _compound(db: Session, point: tuple[float, float]) -> int:
    ensure_addresses(
        db, [AddressInput(f"{COMPOUND}3栋", lng=point[0], lat=point[1])], grid_index=GridIndex()
    )
    query = select(Address.id).where(Address.level == AddressLevel.HOUSE_NUMBER)
    return db.scalars(query).one()


def _cell(point: tuple[float, float]) -> str:
    return h3.latlng_to_cell(point[1], point[0], CELL_RESOLUTION)


def _archived(db: Session, root: Path, source: str) -> list[dict[str, Any]]:
    db.commit()
    append(db, root=root, now=utcnow() + timedelta(hours=1))
    rows = [row for path in root.rglob("*.parquet") for row in pq.read_table(path).to_pylist()]
    return sorted((row for row in rows if row["source"] == source), key=lambda r: r["source_id"])


def _holds_no_point(rows: list[dict[str, Any]], *points: tuple[float, float]) -> None:
    written = " ".join(str(value) for row in rows for value in row.values())
    for lng, lat in points:
        assert f"{lng:.4f}" not in written
        assert f"{lat:.4f}" not in written


def test_an_alarm_is_archived_with_its_devices_hexagon_and_compound(
    db: Session, city: City, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    compound = _compound(db, (lng, lat))
    admin = actor(Role.ADMIN, CITY)
    for code, point in (
        ("53050200081346000001", (lng + 0.0001, lat)),
        ("53052100081346000003", city.point_in(OTHER_GRID)),
    ):
        data = DeviceInput(
            code=code, kind=DeviceKind.SMOKE_SENSOR, name="3栋烟感", spot=Spot(*point)
        )
        device, _ = register_device(db, admin, grid_index=GridIndex(), data=data)
        report = AlarmReport(event_id=f"e-{code}", alarm_type="low_battery")
        take_alarm(db, GridIndex(), device=device, report=report)

    alarms = _archived(db, tmp_path, "alarm")

    assert [(row["h3_cell"], row["compound_id"]) for row in alarms] == [
        (_cell((lng + 0.0001, lat)), compound),
        (_cell(city.point_in(OTHER_GRID)), None),
    ]
    _holds_no_point(alarms, (lng + 0.0001, lat))
    assert "3栋烟感" not in str(alarms)


def test_an_sos_call_is_archived_with_its_hexagon_and_compound_but_not_who_pressed(
    db: Session, city: City, tmp_path: Path
):
    seed_builtin(db)
    lng, lat = city.point_in(OWN_GRID)
    compound = _compound(db, (lng, lat))
    worker = auth_service.create_user(
        db,
        username="wang.worker",
        password="correct-horse-42",
        role=Role.GRID_WORKER,
        scope_code=OWN_GRID,
    )
    pressing = auth_service.actor_for_user(worker)
    press = Press(lng=lng + 0.0001, lat=lat, place="正阳北路12号3栋 13800138000")
    press_from_worker(db, GridIndex(), pressing, key="p-1", press=press, now=utcnow())
    without_point = Press(place="不知道在哪")
    press_from_worker(db, GridIndex(), pressing, key="p-2", press=without_point, now=utcnow())

    calls = _archived(db, tmp_path, "sos")

    assert [(row["kind"], row["h3_cell"], row["compound_id"]) for row in calls] == [
        ("worker", _cell((lng + 0.0001, lat)), compound),
        ("worker", None, None),
    ]
    assert {row["risk_class"] for row in calls} == {None}  # its case is the one counted
    _holds_no_point(calls, (lng + 0.0001, lat))
    written = str(calls)
    for private in ("wang.worker", "13800138000", "正阳"):
        assert private not in written


def test_an_imported_record_keeps_its_hexagon_and_compound_from_its_point(
    db: Session, city: City, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    compound = _compound(db, (lng, lat))
    source = police_source(db)
    rows = [
        police_row("J-1", "2026-11-12 08:00:00", "盗窃", (lng + 0.0001, lat)),
        police_row("J-2", "2026-11-12 09:00:00", "纠纷", city.point_in(OTHER_GRID)),
    ]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)
    report = import_records(
        db, path, source=source, actor=actor(Role.ADMIN, CITY), grid_index=GridIndex()
    )
    assert report.imported == 2, report.errors

    stored = db.scalars(select(ExternalRecord).order_by(ExternalRecord.id)).all()
    records = _archived(db, tmp_path / "archive", "external")

    expected = [(_cell((lng + 0.0001, lat)), compound), (_cell(city.point_in(OTHER_GRID)), None)]
    assert [(record.h3_cell, record.compound_id) for record in stored] == expected
    assert [(row["h3_cell"], row["compound_id"]) for row in records] == expected
    _holds_no_point(records, (lng + 0.0001, lat))
    written = str(records)
    assert CALLER not in written
    assert CALLER_PHONE not in written


def test_an_imported_record_placed_by_its_address_keeps_the_found_places_hexagon(
    db: Session, city: City, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    compound = _compound(db, (lng, lat))
    columns = {
        "record_id": "警情编号",
        "occurred_at": "报警时间",
        "type": "警情类别",
        "status": "处置状态",
        "address": "地址",
    }
    source = police_source(db, name="110-address", columns=columns)
    rows = [["J-9", "2026-11-12 08:00:00", "盗窃", "已处置", CALLER, CALLER_PHONE, COMPOUND]]
    path = write_csv(tmp_path / "110.csv", rows, NUMBER_HEADINGS)
    report = import_records(
        db, path, source=source, actor=actor(Role.ADMIN, CITY), grid_index=GridIndex()
    )
    assert report.imported == 1, report.errors

    records = _archived(db, tmp_path / "archive", "external")

    assert [(row["h3_cell"], row["compound_id"]) for row in records] == [
        (_cell((lng, lat)), compound)
    ]
    assert COMPOUND not in str(records)
