"""A long registry file handed to a reading process: the same report as read in the import's
own process, row for row, and no reading process left behind however the import ends."""

import os
import signal
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from multiprocessing import active_children
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.geo.service import GridIndex
from civicgrid.registry.importing import service as importing_service
from civicgrid.registry.importing.files import open_rows
from civicgrid.registry.importing.pipeline import CHUNK_ROWS, ReadingFailed, prepared_chunks
from civicgrid.registry.importing.preparing import Recipe, key_sources
from civicgrid.registry.importing.report import ImportKind, ImportReport
from civicgrid.registry.importing.rows import Row
from civicgrid.registry.importing.service import import_file, registry_importer
from civicgrid.registry.models import Resident
from civicgrid.settings import Settings
from tests.factories import (
    CONSOLE,
    OWN_COMMUNITY,
    RESIDENT_HEADINGS,
    City,
    id_number,
    resident,
    write_csv,
)

READER = "civicgrid-import-reader"
UNKNOWN_GRID = f"{OWN_COMMUNITY}099"
# A row of spaces reads as a blank row; enough of them push what follows past the first
# mebibyte, which decides the file's encoding, and past what the import reads itself.
BLANK_LINE = " " * 1000
PAST_THE_SNIFF = 1100


def _readers() -> list[BaseProcess]:
    """The import readers still running in this process (other tests may start other kinds)."""
    return [child for child in active_children() if child.name == READER]


def _import(db: Session, settings: Settings, path: Path, **options: bool) -> ImportReport:
    report = import_file(
        db,
        path,
        kind=ImportKind.RESIDENTS,
        actor=CONSOLE,
        settings=settings,
        grid_index=GridIndex(),
        **options,
    )
    db.commit()
    return report


def _seen(report: ImportReport) -> tuple[object, ...]:
    """All a clerk is told: counts, and each problem with its row, column, code and params."""
    return (
        report.rows_read,
        report.imported,
        report.skipped,
        report.error_count,
        [(error.row, error.column, error.code, dict(error.params)) for error in report.errors],
    )


def _deep_file(path: Path) -> Path:
    """Three good rows, a chunk's worth of blank rows, then bad rows among good ones: the bad
    ones in the second chunk, one of them repeating an ID number of the first."""
    wrong_check = id_number(4)[:-1] + ("0" if id_number(4)[-1] != "0" else "1")
    rows: list[list[object]] = [resident(serial, name=f"甲{serial}") for serial in (1, 2, 3)]
    rows += [[]] * CHUNK_ROWS
    rows += [
        resident(4, name="乙四", number=wrong_check),
        resident(5, name="乙五", number=id_number(2)),
        resident(6, name="乙六", grid=UNKNOWN_GRID),
        resident(7, name="乙七"),
    ]
    return write_csv(path, rows)


def test_bad_rows_deep_in_a_handed_over_file_are_reported_as_when_read_in_process(
    db: Session, settings: Settings, handed_over_settings: Settings, city: City, tmp_path: Path
):
    path = _deep_file(tmp_path / "deep.csv")
    own = _import(db, settings, path)
    handed = _import(db, handed_over_settings, path)
    assert _seen(handed) == _seen(own)
    assert [(error.row, error.code) for error in own.errors] == [
        (5005, "id_number_checksum"),
        (5006, "registry_import_repeated"),
        (5007, "registry_import_area_unknown"),
    ]
    assert own.errors[1].params == {"row": 3}

    stored = _import(db, handed_over_settings, path, skip_bad_rows=True)
    assert (stored.imported, stored.skipped) == (4, 3)
    assert db.scalar(select(func.count()).select_from(Resident)) == 4
    assert _readers() == []


def test_a_file_unreadable_past_what_the_import_read_itself_is_refused_whole_either_way(
    db: Session, settings: Settings, handed_over_settings: Settings, city: City, tmp_path: Path
):
    path = write_csv(tmp_path / "torn.csv", [resident(1), resident(2)])
    with path.open("ab") as handle:
        handle.write(f"{BLANK_LINE}\n".encode() * PAST_THE_SNIFF)
        handle.write(b"\xff\xfe\xfd,\xff\n")
    own = _import(db, settings, path)
    handed = _import(db, handed_over_settings, path)
    assert (
        _seen(handed) == _seen(own) == (0, 0, 0, 1, [(0, "", "registry_import_unreadable_csv", {})])
    )
    assert _readers() == []
    assert db.scalar(select(func.count()).select_from(Resident)) == 0


def test_a_handed_over_workbook_is_read_from_the_same_row_as_in_process(
    db: Session, settings: Settings, handed_over_settings: Settings, city: City, tmp_path: Path
):
    """An .xlsx with a title line above its headings: the reader opens it again and starts
    where the import stopped, so row numbers and refusals match."""
    path = tmp_path / "office.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["保山市实有人口登记表"])
    sheet.append(list(RESIDENT_HEADINGS))
    for row in (resident(1), resident(2, number="53050219800101002"), resident(3)):
        sheet.append(row)
    workbook.save(path)
    own = _import(db, settings, path, dry_run=True)
    handed = _import(db, handed_over_settings, path, dry_run=True)
    assert _seen(handed) == _seen(own)
    assert [(error.row, error.code) for error in own.errors] == [(4, "id_number_format")]
    assert _readers() == []


def _junk_file(path: Path, chunks: int) -> Path:
    """Rows that each fail on their own: read quickly, and enough to keep a reader busy (a
    prepared chunk is far larger than a pipe holds, so it waits until the import takes it)."""
    return write_csv(path, [["某某"]] * (CHUNK_ROWS * chunks))


def _recipe(tmp_path: Path) -> Recipe:
    """Junk rows need no database and no key: the settings only say where keys would be."""
    settings = Settings(environment="test", data_dir=tmp_path / "var")
    importer = registry_importer(ImportKind.RESIDENTS)
    return Recipe(
        kind=importer.kind,
        columns=importer.columns,
        seal=importer.seal,
        today=date(2026, 12, 7),
        positions={"name": 0},
        keys=key_sources(settings),
        tokens=True,
    )


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _fail_after_the_first_chunk(path: Path, seen: dict[str, Any]) -> None:
    """The import's side takes the first chunk from the reader, then raises."""
    with open_rows(path) as rows:
        next(rows)
        recipe = _recipe(path.parent)
        with closing(prepared_chunks(recipe, rows, path, hand_over_after=0)) as chunks:
            seen["first"] = next(chunks)
            seen["readers"] = [reader.pid for reader in _readers()]
            raise RuntimeError("storing failed")


def test_a_reader_still_at_work_ends_when_the_import_fails_on_its_own_side(tmp_path: Path):
    path = _junk_file(tmp_path / "long.csv", chunks=2)
    seen: dict[str, Any] = {}
    with pytest.raises(RuntimeError, match="storing failed"):
        _fail_after_the_first_chunk(path, seen)
    [pid] = seen["readers"]
    assert [row.number for row in seen["first"][:2]] == [2, 3]
    assert _readers() == []
    assert _gone(pid)


def test_a_reader_that_dies_is_raised_at_once_and_leaves_nothing_behind(tmp_path: Path):
    path = _junk_file(tmp_path / "long.csv", chunks=2)
    with open_rows(path) as rows:
        next(rows)
        chunks = prepared_chunks(_recipe(tmp_path), rows, path, hand_over_after=0)
        with closing(chunks):
            next(chunks)
            (reader,) = _readers()
            assert reader.pid is not None
            os.kill(reader.pid, signal.SIGKILL)
            with pytest.raises(ReadingFailed) as failed:
                for _ in chunks:
                    pass
    assert failed.value.params == {"exit_code": -signal.SIGKILL}
    assert _readers() == []


def test_an_import_whose_reader_is_killed_stores_nothing_and_says_to_import_again(
    db: Session,
    handed_over_settings: Settings,
    city: City,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """The reader killed (out of memory, say) while the import stores the first chunk it sent.

    Two full chunks and a row: the reader is still at work on the second when it is killed,
    since a prepared chunk does not fit in the pipe."""
    path = write_csv(
        tmp_path / "long.csv", [_numbered(serial) for serial in range(2 * CHUNK_ROWS + 1)]
    )

    def killed_after_the_first(*args: Any, **kwargs: Any) -> Iterator[list[Row]]:
        with closing(prepared_chunks(*args, **kwargs)) as chunks:
            for number, chunk in enumerate(chunks):
                if number == 0:
                    (reader,) = _readers()
                    assert reader.pid is not None
                    os.kill(reader.pid, signal.SIGKILL)
                yield chunk

    monkeypatch.setattr(importing_service, "prepared_chunks", killed_after_the_first)
    report = _import(db, handed_over_settings, path)

    assert report.refused
    assert [(error.row, error.code) for error in report.errors] == [
        (0, "registry_import_reading_failed")
    ]
    assert "没有保存任何数据" in report.errors[0].line("zh-CN")
    assert db.scalar(select(func.count()).select_from(Resident)) == 0
    assert _readers() == []


def _numbered(serial: int) -> list[object]:
    """A resident with an ID number of its own for any serial (a thousand a birth day)."""
    born = date(1950, 1, 1) + timedelta(days=serial // 1000)
    return resident(serial, number=id_number(serial % 1000, birth=f"{born:%Y%m%d}"))
