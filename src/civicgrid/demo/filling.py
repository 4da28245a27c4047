"""The demo's year of cases, filled after the city is built.

`civicgrid demo` fills it in the foreground. `make demo` (`--serve`) fills it in a
process of its own beside the server, so the first page answers within seconds while
the year keeps filling; staff pages show how far it has come (`fill_progress`). Either
way every case goes through intake and the workflow door (`demo.cases`), and the
`DemoFill` row moves in the same transaction as each batch, so a demo stopped mid-fill
resumes after its last stored case.
"""

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.process import BaseProcess
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.console import say
from civicgrid.db import create_db_engine, make_session_factory
from civicgrid.demo.cases import GenerationReport, generate_cases
from civicgrid.demo.external import import_external
from civicgrid.demo.models import DemoFill
from civicgrid.geo.service import GridIndex
from civicgrid.settings import get_settings
from civicgrid.timeutil import utcnow


@dataclass(frozen=True)
class FillProgress:
    done: int
    total: int
    finished: bool


@dataclass(frozen=True)
class FillResult:
    cases: GenerationReport
    # Records imported per external source (110, 12345), about one for every two cases.
    external: dict[str, int]


def plan_fill(db: Session, *, total: int, seed: int, start: datetime, end: datetime) -> DemoFill:
    """The year to fill, stored with the city so that whoever fills it finds it."""
    fill = DemoFill(seed=seed, total=total, done=0, starts_at=start, ends_at=end)
    db.add(fill)
    db.flush()
    return fill


def current_fill(db: Session) -> DemoFill | None:
    return db.scalar(select(DemoFill).order_by(DemoFill.id.desc()).limit(1))


def fill_progress(db: Session) -> FillProgress | None:
    """How far the year has come; None when there is no demo year in this database."""
    fill = current_fill(db)
    if fill is None:
        return None
    return FillProgress(fill.done, fill.total, fill.finished_at is not None)


def fill_cases(
    db: Session,
    index: GridIndex,
    *,
    messages_path: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> FillResult | None:
    """Store the cases the fill still lacks, then the year's external records; None when
    there is nothing left to fill.

    The external import is idempotent (the same seed gives the same record ids), so a
    fill stopped during it simply runs it again; the fill is finished only after it.
    """
    fill = current_fill(db)
    if fill is None or fill.finished_at is not None:
        return None
    total, seed = fill.total, fill.seed
    start, end = fill.starts_at, fill.ends_at

    def checkpoint(number: int) -> None:
        fill.done = number
        fill.updated_at = utcnow()
        if progress is not None:
            progress(number, total)

    report = generate_cases(
        db,
        index,
        count=total,
        seed=seed,
        start=start,
        end=end,
        messages_path=messages_path,
        skip=fill.done,
        checkpoint=checkpoint,
    )
    external = import_external(db, index, count=total // 2, seed=seed, start=start, end=end)
    fill.finished_at = utcnow()
    db.commit()
    return FillResult(report, external)


def progress_printer(every: int = 10) -> Callable[[int, int], None]:
    """Tell the operator how far the year has come, about every `every`-th part of it."""
    shown = 0

    def report(done: int, total: int) -> None:
        nonlocal shown
        if done - shown >= max(total // every, 1) or done == total:
            shown = done
            say("cli.demo_cases_progress", done=done, total=total)

    return report


def start_filling(messages_path: Path | None) -> BaseProcess:
    """The fill in a process of its own (spawned: the server's threads are not copied),
    so the pages never wait for its Python; the caller stops it with the server."""
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=fill_in_background, args=(messages_path,), name="civicgrid-demo-fill", daemon=True
    )
    process.start()
    return process


def stop_filling(process: BaseProcess) -> None:
    """Stop the fill with the server: the batch in hand rolls back, the next start resumes."""
    if process.is_alive():
        process.terminate()
    process.join(10)


def fill_in_background(messages_path: Path | None) -> None:
    """The fill process: the database from the settings, progress every tenth."""
    engine = create_db_engine(get_settings().effective_database_url)
    try:
        with make_session_factory(engine)() as db:
            result = fill_cases(
                db, GridIndex(), messages_path=messages_path, progress=progress_printer()
            )
        if result is not None:
            say(
                "demo_fill.finished",
                cases=result.cases.cases,
                seconds=f"{result.cases.seconds:.0f}",
            )
    except KeyboardInterrupt:
        # Ctrl-C in the terminal reaches this process too; the batch in hand rolls back.
        return
    finally:
        engine.dispose()
