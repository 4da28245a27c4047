"""The event archive: partitions, no personal data, and exactly once across crashes."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, take_alarm
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.archive import store
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.service import READERS, append
from civicgrid.auth.models import Role
from civicgrid.cases.models import CaseAction
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.disputes.models import DisputeKind, PartyRole, Source
from civicgrid.disputes.schemas import DisputeIn, PartyIn
from civicgrid.disputes.service import create_dispute
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from civicgrid.sources.importer import import_records
from civicgrid.timeutil import utcnow
from tests.factories import (
    CALLER,
    CALLER_PHONE,
    CITY,
    OTHER_GRID,
    OWN_GRID,
    POLICE_HEADINGS,
    City,
    People,
    actor,
    id_number,
    police_row,
    police_source,
    run,
    write_csv,
)

NOVEMBER = datetime.fromisoformat("2026-11-10T02:00:00+00:00")
# 2026-11-30 20:00 UTC is already 1 December in the city: the month is the local one.
LATE_EVENING = datetime.fromisoformat("2026-11-30T20:00:00+00:00")
LATER = datetime.fromisoformat("2026-12-05T00:00:00+00:00")
PHONE = "13912345678"


def _case(db: Session, city: City, grid: str, now: datetime, category: str = "UM-01-01") -> int:
    lng, lat = city.point_in(grid)
    intake = Intake(
        description="小区门口垃圾堆积",
        channel="resident",
        lng=lng,
        lat=lat,
        category_code=category,
        reporter_phone=PHONE,
        reporter_name="王五",
        address="幸福路 8 号",
    )
    case, _ = report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT), now=now)
    return case.id


def _dispute(db: Session, settings: Settings, now: datetime) -> None:
    data = DisputeIn(
        kind=DisputeKind.NEIGHBOUR,
        source=Source.WALK_IN,
        region_code=OWN_GRID,
        description="楼上漏水",
        amount=Decimal(0),
        parties=[
            PartyIn(role=PartyRole.APPLICANT, name="张三", phone=PHONE),
            PartyIn(role=PartyRole.RESPONDENT, name="李四", phone="13700001111"),
        ],
    )
    create_dispute(db, actor(Role.DISPATCHER), settings=settings, data=data, now=now)


def _archived(root: Path) -> list[dict[str, object]]:
    files = sorted(root.glob("month=*/district=*/*.parquet"))
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def _cases(root: Path) -> list[object]:
    return [r["source_id"] for r in _archived(root) if r["source"] == "case"]


def test_cases_and_disputes_land_by_local_month_and_district_without_personal_data(
    db: Session, city: City, people: People, settings: Settings, tmp_path: Path
):
    seed_builtin(db)
    _case(db, city, OWN_GRID, NOVEMBER)
    _case(db, city, OTHER_GRID, LATE_EVENING)
    _dispute(db, settings, NOVEMBER)
    db.commit()

    done = append(db, root=tmp_path, now=LATER)

    assert (done.events["case"], done.events["dispute"]) == (2, 1)
    folders = sorted(
        p.parent.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*.parquet")
        if p.name.startswith(("case-", "dispute-"))
    )
    assert folders == [
        "month=2026-11/district=530502",
        "month=2026-11/district=530502",
        "month=2026-12/district=530521",
    ]
    rows = _archived(tmp_path)
    assert {
        (r["source"], r["grid_code"], r["risk_class"])
        for r in rows
        if r["source"] in {"case", "dispute"}
    } == {
        ("case", OWN_GRID, "city_appearance"),
        ("case", OTHER_GRID, "city_appearance"),
        ("dispute", OWN_GRID, "neighbour_disputes"),
    }
    written = " ".join(str(value) for row in rows for value in row.values())
    for personal in ("王五", "张三", "李四", PHONE, "幸福路", "垃圾", "漏水"):
        assert personal not in written
    assert pq.read_schema(next(tmp_path.rglob("*.parquet"))).names == SCHEMA.names


def test_a_batch_written_but_not_yet_marked_is_replaced_not_doubled(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = [_case(db, city, OWN_GRID, NOVEMBER + timedelta(minutes=n)) for n in range(5)]
    db.commit()
    # The state a crash between the file rename and the watermark's commit leaves behind:
    # the first three cases on disk, the watermark still at zero.
    interrupted = READERS["case"](db, 0, LATER, 3)
    store.write_batch(tmp_path, "case", interrupted)
    db.rollback()

    done = append(db, root=tmp_path, now=LATER, batch=2)

    assert done.repaired == 1
    assert Counter(r["source_id"] for r in _archived(tmp_path) if r["source"] == "case") == Counter(
        ids
    )


def test_an_archiver_killed_mid_run_loses_and_doubles_nothing(
    db: Session, city: City, people: People, database_url: str, cli_env: Path
):
    seed_builtin(db)
    ids = [_case(db, city, OWN_GRID, NOVEMBER + timedelta(minutes=n)) for n in range(40)]
    db.commit()
    root = cli_env / "archive"
    command = "from civicgrid.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "analysis", "archive", "--batch", "1"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(root.rglob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(_cases(root)) < len(ids), "the kill came after the run had finished"

    result = run("analysis", "archive")

    assert result.exit_code == 0, result.output
    assert "一键报警（SOS）0 条" in result.output  # the SOS source is read, and had none
    assert Counter(_cases(root)) == Counter(ids)
    assert not list(root.rglob("*.tmp"))


def test_imported_records_case_actions_and_alarms_are_archived_once_without_personal_data(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    _case(db, city, OWN_GRID, NOVEMBER)
    lng, lat = city.point_in(OWN_GRID)
    data = DeviceInput(
        code="53050200081346000101",
        kind=DeviceKind.SMOKE_SENSOR,
        name="一号楼烟感",
        spot=Spot(lng, lat),
    )
    device, _ = register_device(db, actor(Role.ADMIN, CITY), grid_index=GridIndex(), data=data)
    alarm = AlarmReport(
        event_id="e1", alarm_type="smoke", occurred_at=NOVEMBER, detail=f"王五 {PHONE}"
    )
    take_alarm(db, GridIndex(), device=device, report=alarm, now=NOVEMBER)
    db.commit()
    source = police_source(db)
    rows = [police_row("JQ1", "2026-11-03 08:00", "盗窃", (lng, lat))]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)
    import_records(db, path, source=source, actor=actor(Role.ADMIN, CITY), grid_index=GridIndex())
    db.commit()
    root = tmp_path / "archive"
    later = utcnow() + timedelta(minutes=10)

    first = append(db, root=root, now=later)
    second = append(db, root=root, now=later)

    actions = db.scalar(select(func.count()).select_from(CaseAction))
    assert (first.events["external"], first.events["alarm"]) == (1, 1)
    assert first.events["case_action"] == actions
    assert second.total == 0
    archived = _archived(root)
    keys = [(r["source"], r["source_id"]) for r in archived]
    assert len(keys) == len(set(keys))
    by_source = {r["source"]: r for r in archived}
    assert (by_source["external"]["risk_class"], by_source["external"]["kind"]) == (
        "theft",
        "police_110",
    )
    assert (by_source["alarm"]["kind"], by_source["alarm"]["grid_code"]) == ("smoke", OWN_GRID)
    assert by_source["case_action"]["risk_class"] is None
    written = " ".join(str(value) for row in archived for value in row.values())
    for personal in ("王五", CALLER, PHONE, CALLER_PHONE, id_number(7), "报警称", "幸福路"):
        assert personal not in written
