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
from sqlalchemy.orm import Session

from civicgrid.archive import store
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.service import READERS, append
from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.disputes.models import DisputeKind, PartyRole, Source
from civicgrid.disputes.schemas import DisputeIn, PartyIn
from civicgrid.disputes.service import create_dispute
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.factories import OTHER_GRID, OWN_GRID, City, People, actor, run

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


def test_cases_and_disputes_land_by_local_month_and_district_without_personal_data(
    db: Session, city: City, people: People, settings: Settings, tmp_path: Path
):
    seed_builtin(db)
    _case(db, city, OWN_GRID, NOVEMBER)
    _case(db, city, OTHER_GRID, LATE_EVENING)
    _dispute(db, settings, NOVEMBER)
    db.commit()

    done = append(db, root=tmp_path, now=LATER)

    assert done.events == {"case": 2, "dispute": 1}
    folders = sorted(p.parent.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert folders == [
        "month=2026-11/district=530502",
        "month=2026-11/district=530502",
        "month=2026-12/district=530521",
    ]
    rows = _archived(tmp_path)
    assert {(r["source"], r["grid_code"], r["risk_class"]) for r in rows} == {
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
    assert Counter(r["source_id"] for r in _archived(tmp_path)) == Counter(ids)


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
    assert len(_archived(root)) < len(ids), "the kill came after the run had finished"

    result = run("analysis", "archive")

    assert result.exit_code == 0, result.output
    assert Counter(r["source_id"] for r in _archived(root)) == Counter(ids)
    assert not list(root.rglob("*.tmp"))
