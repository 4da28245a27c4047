"""Compacting a closed month's archive folders: same rows once each, one ordered file,
and the month's counts per grid × class beside it for the reports."""

import os
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from civicgrid.archive import compaction, rollup, store
from civicgrid.archive.service import READERS, append, compact_closed
from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import MonthlyFigures, compute
from civicgrid.geo.service import GridIndex
from tests.factories import OTHER_GRID, OWN_GRID, City, People, actor

OCTOBER = datetime.fromisoformat("2026-10-12T02:00:00+00:00")
NOVEMBER = datetime.fromisoformat("2026-11-10T02:00:00+00:00")
IN_DECEMBER = datetime.fromisoformat("2026-12-05T00:00:00+00:00")
COMPACTED_WITH_ROLLUP = [compaction.COMPACTED, store.ROLLUP]


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


def _from_events_only(root: Path, copy: Path) -> MonthlyFigures:
    """October's report from a copy of the archive without its rollups: every event read."""
    shutil.copytree(root, copy)
    for path in copy.glob(f"month=*/district=*/{store.ROLLUP}"):
        path.unlink()
    return compute(DuckDBEngine(copy), "2026-10", {})


def _same(one: MonthlyFigures, other: MonthlyFigures) -> bool:
    return one.cells.equals(other.cells) and one.grids.equals(other.grids)


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
    assert all(names == COMPACTED_WITH_ROLLUP for names in _folders(tmp_path, "2026-10").values())
    assert _case_ids(tmp_path) == Counter(ids)
    for folder in compacted:
        rows = pq.read_table(folder / compaction.COMPACTED).to_pylist()
        keys = [(r["grid_code"], r["risk_class"]) for r in rows if r["source"] == "case"]
        assert keys == sorted(keys)
    rollups, unread, _, _ = rollup.window_parts(tmp_path, ["2026-10"])
    assert (len(rollups), unread) == (len(compacted), [])
    after = compute(DuckDBEngine(tmp_path), "2026-10", {})
    assert after.cells.equals(before.cells)
    assert after.grids.equals(before.grids)
    assert sum(after.cells.column("events").to_pylist()) == len(ids)


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
    # Before the next round: the late batch is read as events beside the rollups.
    with_late = compute(DuckDBEngine(tmp_path), "2026-10", {})
    assert _same(
        with_late, _from_events_only(tmp_path, tmp_path.with_name(f"{tmp_path.name}-events"))
    )
    assert sum(with_late.cells.column("events").to_pylist()) == len(first + late)
    again = compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert again
    assert all(names == COMPACTED_WITH_ROLLUP for names in _folders(tmp_path, "2026-10").values())
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
    assert all(names == COMPACTED_WITH_ROLLUP for names in _folders(tmp_path, "2026-10").values())


def test_a_compaction_stopped_between_its_renames_is_finished_by_the_next_round(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    live = next((tmp_path / "month=2026-10").glob("district=*"))
    names = sorted(path.name for path in live.iterdir())
    before = compute(DuckDBEngine(tmp_path), "2026-10", {})
    compaction.write_compacted(live, names)
    # The state a crash after the first rename leaves: the live folder gone aside.
    os.replace(live, live.with_name(f".{live.name}.old"))

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert _case_ids(tmp_path) == Counter(ids)
    assert sorted(p.name for p in (tmp_path / "month=2026-10").iterdir() if p.name[0] == ".") == []
    assert sorted(path.name for path in live.iterdir()) == COMPACTED_WITH_ROLLUP
    assert rollup.counted_files(live) == [compaction.COMPACTED]
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), before)


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
    assert all(names == COMPACTED_WITH_ROLLUP for names in _folders(tmp_path, "2026-10").values())


def test_a_compacted_file_moved_in_without_its_rollup_is_read_as_events_until_recovered(
    db: Session, city: City, people: People, tmp_path: Path
):
    """A crash inside the fallback swap (the writer had made the folder anew): the new
    compacted file is in the live folder, its rollup still in the hidden one."""
    seed_builtin(db)
    ids = _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    before = compute(DuckDBEngine(tmp_path), "2026-10", {})
    live = next((tmp_path / "month=2026-10").glob("district=*"))
    fresh = compaction.write_compacted(live, sorted(path.name for path in live.iterdir()))
    os.replace(live, live.with_name(f".{live.name}.old"))
    live.mkdir()
    os.replace(fresh / compaction.COMPACTED, live / compaction.COMPACTED)

    assert rollup.window_parts(tmp_path, ["2026-10"])[1] != []
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), before)

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert _case_ids(tmp_path) == Counter(ids)
    assert sorted(path.name for path in live.iterdir()) == COMPACTED_WITH_ROLLUP
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), before)


def test_an_archive_compacted_before_rollups_still_reports_and_gets_them_on_the_next_round(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    compact_closed(db, root=tmp_path, now=IN_DECEMBER)
    with_rollups = compute(DuckDBEngine(tmp_path), "2026-10", {})
    for path in tmp_path.glob(f"month=*/district=*/{store.ROLLUP}"):
        path.unlink()

    assert rollup.window_parts(tmp_path, ["2026-10"])[0] == []
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), with_rollups)

    built = compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert built
    assert all(names == COMPACTED_WITH_ROLLUP for names in _folders(tmp_path, "2026-10").values())
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), with_rollups)


def test_a_rollup_left_half_written_is_dropped_and_written_again(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    _cases(db, city, OCTOBER, 6)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    compact_closed(db, root=tmp_path, now=IN_DECEMBER)
    expected = compute(DuckDBEngine(tmp_path), "2026-10", {})
    live = next((tmp_path / "month=2026-10").glob("district=*"))
    (live / store.ROLLUP).unlink()
    (live / f".{store.ROLLUP}.4242.tmp").write_bytes(b"PAR1 cut short")

    compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert sorted(path.name for path in live.iterdir()) == COMPACTED_WITH_ROLLUP
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), expected)


def _as_text_keyed(root: Path) -> None:
    """Every rollup as the code before integer keys wrote it (month, grid and class as
    text; no format mark, no dictionary in it), and no class dictionary at the root."""
    for path in root.glob(f"month=*/district=*/{store.ROLLUP}"):
        keyed = pq.read_table(path)
        classes = rollup.rollup_classes(path)
        counts_of = pq.read_schema(path).metadata[b"civicgrid.counts_of"]
        months = keyed.column("month_key").to_pylist()
        text_keyed = pa.table(
            {
                "month": [f"{key // 100:04d}-{key % 100:02d}" for key in months],
                "grid_code": [str(key) for key in keyed.column("grid_key").to_pylist()],
                "risk_class": [classes[key] for key in keyed.column("class_key").to_pylist()],
                "events": keyed.column("events"),
            }
        )
        pq.write_table(
            text_keyed.replace_schema_metadata({b"civicgrid.counts_of": counts_of}), path
        )
    (root / rollup.CLASSES).unlink()


def test_an_archive_with_text_keyed_rollups_reports_the_same_and_is_rekeyed_on_the_next_round(
    db: Session, city: City, people: People, tmp_path: Path
):
    seed_builtin(db)
    _cases(db, city, OCTOBER, 9)
    append(db, root=tmp_path, now=IN_DECEMBER, batch=2)
    compact_closed(db, root=tmp_path, now=IN_DECEMBER)
    expected = compute(DuckDBEngine(tmp_path), "2026-10", {})
    _as_text_keyed(tmp_path)

    assert rollup.window_parts(tmp_path, ["2026-10"]).rollups == []
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), expected)

    rekeyed = compact_closed(db, root=tmp_path, now=IN_DECEMBER)

    assert rekeyed
    rollups, unread, classes, _ = rollup.window_parts(tmp_path, ["2026-10"])
    assert (len(rollups), unread) == (len(rekeyed), [])
    assert set(classes) == set(expected.cells.column("risk_class").to_pylist())
    assert _same(compute(DuckDBEngine(tmp_path), "2026-10", {}), expected)
