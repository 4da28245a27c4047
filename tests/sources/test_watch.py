"""The watched folder: a finished drop is imported and filed away, a half-written one waits."""

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.geo.service import GridIndex
from civicgrid.settings import get_settings
from civicgrid.sources.models import ExternalRecord
from civicgrid.sources.watch import take_drops
from tests.factories import (
    OWN_GRID,
    POLICE_HEADINGS,
    City,
    police_row,
    police_source,
    run,
    write_csv,
)

SETTLE = 60.0


def _drop(folder: Path, name: str, rows: list[list[object]], *, age: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_csv(folder / name, rows, POLICE_HEADINGS)
    moment = time.time() - age
    os.utime(path, (moment, moment))
    return path


def _records(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(ExternalRecord)) or 0)


def test_a_settled_drop_is_imported_and_a_half_written_one_waits(
    db: Session, city: City, tmp_path: Path
):
    police_source(db, name="110-city")
    point = city.point_in(OWN_GRID)
    inbox = tmp_path / "drops" / "110-city"
    finished = _drop(
        inbox, "day1.csv", [police_row("JQ1", "2026-11-03 08:00", "盗窃", point)], age=120
    )
    writing = _drop(
        inbox, "day2.csv", [police_row("JQ2", "2026-11-03 09:00", "盗窃", point)], age=1
    )
    partial = _drop(
        inbox, "day3.csv.part", [police_row("JQ3", "2026-11-03 09:00", "盗窃", point)], age=120
    )
    sessions = sessionmaker(bind=db.get_bind(), expire_on_commit=False)

    taken = take_drops(sessions, root=tmp_path / "drops", grid_index=GridIndex(), settle=SETTLE)

    assert [(t.file.name, t.imported, t.refused) for t in taken] == [("day1.csv", 1, False)]
    assert not finished.exists()
    assert (inbox / "done" / "day1.csv").exists()
    report = (inbox / "done" / "day1.csv.report.txt").read_text("utf-8")
    assert "导入 1 行" in report
    assert writing.exists()
    assert partial.exists()
    assert _records(db) == 1


def test_a_bad_drop_goes_to_failed_with_its_report_and_a_later_copy_keeps_both(
    db: Session, city: City, tmp_path: Path
):
    police_source(db, name="110-city")
    inbox = tmp_path / "drops" / "110-city"
    bad = [police_row("JQ1", "2026-11-03 08:00", "未知", city.point_in(OWN_GRID))]
    sessions = sessionmaker(bind=db.get_bind(), expire_on_commit=False)
    unknown = _drop(tmp_path / "drops" / "no-such-source", "x.csv", bad, age=120)

    _drop(inbox, "day1.csv", bad, age=120)
    take_drops(sessions, root=tmp_path / "drops", grid_index=GridIndex(), settle=SETTLE)
    _drop(inbox, "day1.csv", bad, age=120)
    take_drops(sessions, root=tmp_path / "drops", grid_index=GridIndex(), settle=SETTLE)

    failed = sorted(path.name for path in (inbox / "failed").iterdir())
    assert failed == ["day1-1.csv", "day1-1.csv.report.txt", "day1.csv", "day1.csv.report.txt"]
    assert "类别“未知”尚未对应到风险类别" in (inbox / "failed" / "day1.csv.report.txt").read_text()
    assert not unknown.exists()
    assert "没有名为“no-such-source”的数据来源" in (
        unknown.parent / "failed" / "x.csv.report.txt"
    ).read_text("utf-8")
    assert _records(db) == 0


def test_the_watch_command_takes_the_folder_once_and_refuses_when_no_folder_is_set(
    cli_env: Path, city: City, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    police_source(db, name="110-city")
    rows = [police_row("JQ1", "2026-11-03 08:00", "盗窃", city.point_in(OWN_GRID))]
    _drop(tmp_path / "drops" / "110-city", "day1.csv", rows, age=120)

    unset = run("sources", "watch")
    monkeypatch.setenv("CIVICGRID_SOURCES_WATCH_DIR", str(tmp_path / "drops"))
    get_settings.cache_clear()
    taken = run("sources", "watch")

    assert unset.exit_code != 0
    assert "未设置监视目录" in unset.output
    assert taken.exit_code == 0, taken.output
    assert "处理文件 1 个，导入记录 1 条，失败文件 0 个" in taken.output
    assert _records(db) == 1
