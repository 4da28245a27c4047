"""Compacting a closed month's archive folders: same rows once each, one ordered file."""

import os
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from civicgrid.archive import compaction, store
from civicgrid.archive.service import READERS, append, compact_closed
from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import compute
from civicgrid.geo.service import GridIndex
from tests.factories import OTHER_GRID, OWN_GRID, City, People, actor

OCTOBER = datetime.fromisoformat("2026-10-12T02:00:00+00:00")
NOVEMBER = datetime.fromisoformat("2026-11-10T02:00:00+00:00")
IN_DECEMBER = datetime.fromisoformat("2026-12-05T00:00:00+00:00")


def _cases(db: Session, city: City, when: datetime, count: int) -> list[int]:
    ids = []
    for n in range(count):
        lng, lat = city.point_in(OWN_GRID if n % 2 else OTHER_GRID)
        intake = Intake(
            description="小区门口垃圾堆积",
            channel="resident",
            lng=lng,
            lat=lat,
            category_code="UM-01-01" if n % 3 else "UM-01-02",
        )
        case, _ = report_case(
            db,
            GridIndex(),
            intake=intake,
            actor=actor(Role.RESIDENT),
            now=when + timedelta(minutes=n),
        )
        ids.append(case.id)
    db.commit()
    return ids


def _rows(root: Path) -> list[dict[str, object]]:
    files = store.month_files(root, compaction.archived_months(root))
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def _case_ids(root: Path) -> Counter[object]:
    return Counter(row["source_id"] for row in _rows(root) if row["source"] == "case")


def _folders(root: Path, month: str) -> dict[str, list[str]]:
    return {
        folder.name: sorted(path.name for path in folder.iterdir())
        for folder in sorted((root / f"month={month}").iterdir())
    }


def test_a_closed_month_becomes_one_file_per_district_ordered_by_grid_and_class(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 9)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    before = compute(DuckDBEngine(tmp_path), "2026-10", {})

    compacted = compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert compacted
    assert all(names == [compaction.COMPACTED] for names in _folders(tmp_path, "2026-10").values())
    assert _case_ids(tmp_path) == Counter(ids)
    for folder in compacted:
        rows = pq.read_table(folder / compaction.COMPACTED).to_pylist()
        keys = [(r["grid_code"], r["risk_class"]) for r in rows if r["source"] == "case"]
        assert keys == sorted(keys)
    after = compute(DuckDBEngine(tmp_path), "2026-10", {})
    assert after.cells.equals(before.cells)
    assert after.grids.equals(before.grids)


def test_a_compacted_month_is_left_alone_until_a_late_batch_lands_in_it(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    first = _cases(db, city, OCTOBER, 4)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert compact_closed(db, root=tmp_path, now=IN_DECEMBER) == []

    late = _cases(db, city, OCTOBER + timedelta(days=1), 2)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    again = compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert again
    assert all(names == [compaction.COMPACTED] for names in _folders(tmp_path, "2026-10").values())
    assert _case_ids(tmp_path) == Counter(first + late)


def test_the_month_still_open_is_not_compacted(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    _cases(db, city, NOVEMBER, 4)
    append(db, root=tmp_path, now=NOVEMBER + timedelta(days=2), batch=1)
    files_before = _folders(tmp_path, "2026-11")

    assert compact_closed(db, root=tmp_path, now=NOVEMBER + timedelta(days=2)) == []
    assert _folders(tmp_path, "2026-11") == files_before


def test_a_folder_holding_a_batch_past_the_watermark_waits_for_the_writers_repair(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    more = _cases(db, city, OCTOBER + timedelta(hours=1), 2)
    # A crashed batch: its file is in place, the watermark never moved past it.
    store.write_batch(tmp_path, "case", READERS["case"](db, max(ids), IN_DECEMBER, 2))
    db.rollback()

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert _case_ids(tmp_path) == Counter(ids + more)
    assert all(names == [compaction.COMPACTED] for names in _folders(tmp_path, "2026-10").values())


def test_a_compaction_stopped_between_its_renames_is_finished_by_the_next_round(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    live = next((tmp_path / "month=2026-10").glob("district=*"))
    names = sorted(path.name for path in live.iterdir())
    compaction.write_compacted(live, names)
    # The state a crash after the first rename leaves: the live folder gone aside.
    os.replace(live, live.with_name(f".{live.name}.old"))

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert _case_ids(tmp_path) == Counter(ids)
    assert sorted(p.name for p in (tmp_path / "month=2026-10").iterdir() if p.name[0] == ".") == []


def test_a_half_written_compaction_is_dropped_and_done_again(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    live = next((tmp_path / "month=2026-10").glob("district=*"))
    compaction.write_compacted(live, sorted(path.name for path in live.iterdir())[:1])

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert _case_ids(tmp_path) == Counter(ids)
    assert all(names == [compaction.COMPACTED] for names in _folders(tmp_path, "2026-10").values())
