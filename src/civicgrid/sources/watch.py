"""The watched folder: scheduled drops from other systems, imported by the worker.

Layout: `<sources_watch_dir>/<source name>/<file>.csv|.xlsx`. A file is taken when it
has not changed for `sources_watch_settle_seconds` (its modification time is that
old), so a file still being copied in (which keeps touching its time) waits; hidden
files and `.part`/`.tmp` names are never taken. Each taken file is imported through
its source's mapping, then moved to `done/` (stored, or nothing new) or `failed/`
(refused, or no such source) in the source's folder, with the report beside it as
`<file>.report.txt`. A name met again gets a numbered suffix, never overwrites.
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.registry.importing.files import CSV_SUFFIXES, XLSX_SUFFIXES
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import ExternalSource

log = logging.getLogger(__name__)

DONE = "done"
FAILED = "failed"
REPORT_SUFFIX = ".report.txt"
_UNFINISHED = (".part", ".tmp", ".crdownload")


@dataclass(frozen=True)
class Taken:
    file: Path
    moved_to: Path
    imported: int
    refused: bool


def ready_files(root: Path, *, settle: float, now: float | None = None) -> list[Path]:
    """Files in the sources' folders unchanged for `settle` seconds, oldest first."""
    moment = time.time() if now is None else now
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in folder.iterdir():
            if _candidate(path) and moment - path.stat().st_mtime >= settle:
                found.append(path)
    return sorted(found, key=lambda path: path.stat().st_mtime)


def _candidate(path: Path) -> bool:
    name = path.name.lower()
    return (
        path.is_file()
        and not name.startswith(".")
        and not name.endswith(_UNFINISHED)
        and not name.endswith(REPORT_SUFFIX)
        and path.suffix in CSV_SUFFIXES | XLSX_SUFFIXES
    )


def take_drops(
    sessions: sessionmaker[Session],
    *,
    root: Path,
    grid_index: GridIndex,
    settle: float,
    now: float | None = None,
) -> list[Taken]:
    """Import every settled file, each in its own transaction, and file it away."""
    if not root.is_dir():
        return []
    return [_take(sessions, path, grid_index) for path in ready_files(root, settle=settle, now=now)]


def _take(sessions: sessionmaker[Session], path: Path, grid_index: GridIndex) -> Taken:
    name = path.parent.name
    with sessions() as db:
        source = db.scalars(select(ExternalSource).where(ExternalSource.name == name)).one_or_none()
        if source is None:
            lines = [translate("error.source_not_found", DEFAULT_LOCALE, name=name)]
            return _file_away(path, FAILED, lines, imported=0)
        report = import_records(
            db, path, source=source, actor=_source_actor(source), grid_index=grid_index
        )
        db.commit()
    log.info("watched folder: %s imported %d records", path, report.imported)
    outcome = FAILED if report.error_count else DONE
    return _file_away(path, outcome, report.lines(DEFAULT_LOCALE), imported=report.imported)


def _source_actor(source: ExternalSource) -> Actor:
    """The worker imports with the rights of the area the source was set up for."""
    return Actor(kind="console", role=Role.ADMIN, scope_code=source.region_code, username="watch")


def _file_away(path: Path, outcome: str, lines: list[str], *, imported: int) -> Taken:
    folder = path.parent / outcome
    folder.mkdir(exist_ok=True)
    target = _free_name(folder / path.name)
    path.replace(target)
    target.with_name(target.name + REPORT_SUFFIX).write_text("\n".join(lines) + "\n", "utf-8")
    return Taken(file=path, moved_to=target, imported=imported, refused=outcome == FAILED)


def _free_name(target: Path) -> Path:
    number = 1
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
        number += 1
    return candidate


@dataclass(frozen=True)
class Run:
    """A file the worker took from a source's folder: where it went and its report."""

    file: str
    outcome: str
    taken_at: float
    report: list[str]


def latest_runs(root: Path | None, name: str, *, limit: int = 20) -> list[Run]:
    """The source's last taken files, newest first, read back from `done/` and `failed/`
    (the folder is the record: the report beside each file is what the worker wrote)."""
    if root is None:
        return []
    reports = [
        path
        for outcome in (DONE, FAILED)
        if (root / name / outcome).is_dir()
        for path in (root / name / outcome).iterdir()
        if path.name.endswith(REPORT_SUFFIX) and path.is_file()
    ]
    reports.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    return [
        Run(
            file=path.name.removesuffix(REPORT_SUFFIX),
            outcome=path.parent.name,
            taken_at=path.stat().st_mtime,
            report=path.read_text("utf-8").splitlines(),
        )
        for path in reports[:limit]
    ]
