"""`civicgrid backup` and `civicgrid restore`: a consistent copy of the database, and back.

SQLite is copied with its online backup API, page by page under SQLite's own
locking, so a server writing meanwhile still yields one consistent moment.
PostgreSQL is dumped by pg_dump in its custom format (one snapshot) and read
back by pg_restore in a single transaction. A restore first checks the file
(format, engine, readable), refuses a database that holds rows unless forced,
then compares every table's row count with the file's and walks the hash
chains, and says what it found.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import Engine, func, inspect, literal, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from civicgrid.console import domain_errors_exit, say
from civicgrid.db import create_db_engine, load_all_models, normalise_url, upgrade_database
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.integrity import check_chains
from civicgrid.settings import get_settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Alembic's bookkeeping is no data: a migrated but empty database may be overwritten.
NOT_DATA = frozenset({"alembic_version"})
# Drop what the dump holds before recreating it, all or nothing, owned by whoever restores.
RESTORE_OPTIONS = (
    "--clean",
    "--if-exists",
    "--no-owner",
    "--no-privileges",
    "--single-transaction",
)
_COPY = re.compile(r"^COPY (?:\"?[\w]+\"?\.)?\"?(\w+)\"? \(.*\) FROM stdin;$")


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    mismatched: list[str]
    cases: int
    admin_changes: int
    chain_problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.chain_problems


def backup_database(url: str, target: Path) -> str:
    """Write the database to `target` (mode 600: it holds personal data); returns the format."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_file(parsed), target)
        return "sqlite"
    _run_pg("pg_dump", ["--format=custom"], parsed, target)
    return "pg_dump"


def _sqlite_file(parsed: URL) -> Path:
    if not parsed.database or parsed.database == ":memory:":
        raise Invalid("backup_sqlite_memory")
    return Path(parsed.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise NotFound("backup_database_missing", path=str(source))
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _private(partial)
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
        # A copy in rollback-journal mode is one self-contained file, readable where it lies.
        copy.execute("PRAGMA journal_mode=DELETE")
    partial.replace(target)


def _private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))


def _run_pg(tool: str, arguments: list[str], parsed: URL, output: Path | None) -> str:
    """Run a PostgreSQL client tool against the database; the password goes by environment,
    never on the command line where `ps` shows it."""
    environment = {**os.environ}
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    target = parsed.set(drivername="postgresql", password=None).render_as_string()
    command = [_pg_tool(tool), *arguments, f"--dbname={target}"]
    if output is None:
        done = subprocess.run(command, env=environment, capture_output=True, check=False)
    else:
        _private(output)
        with output.open("wb") as handle:
            done = subprocess.run(
                command, env=environment, stdout=handle, stderr=subprocess.PIPE, check=False
            )
    if done.returncode != 0:
        raise Invalid("backup_tool_failed", tool=tool, detail=_last_line(done.stderr))
    return done.stdout.decode() if output is None else ""


def _pg_tool(name: str) -> str:
    """Debian's newest client binaries (as scripts/pg.sh finds them), else the PATH's."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
        reverse=True,
    )
    found = next((str(path) for path in installed if os.access(path, os.X_OK)), None)
    found = found or shutil.which(name)
    if found is None:
        raise Invalid("backup_tool_missing", tool=name)
    return found


def _last_line(stderr: bytes | None) -> str:
    lines = (stderr or b"").decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def restore_database(url: str, source: Path, *, force: bool) -> RestoreReport:
    """Put a backup in place of the database, then check counts and chains (the caller reports)."""
    if not source.is_file():
        raise NotFound("restore_file_missing", path=str(source))
    kind = _file_kind(source)
    parsed = make_url(normalise_url(url))
    engine_kind = "sqlite" if parsed.get_backend_name() == "sqlite" else "pg_dump"
    if kind != engine_kind:
        raise Invalid("restore_wrong_engine", file_kind=kind, database_kind=engine_kind)
    expected = _sqlite_counts(source) if kind == "sqlite" else _dump_counts(parsed, source)
    engine = create_db_engine(url)
    try:
        if not force and _holds_rows(engine):
            raise Conflict("restore_target_not_empty")
        engine.dispose()
        if kind == "sqlite":
            _sqlite_restore(source, _sqlite_file(parsed))
        else:
            _run_pg("pg_restore", [*RESTORE_OPTIONS, str(source)], parsed, None)
        return _check(engine, expected)
    finally:
        engine.dispose()


def _file_kind(source: Path) -> str:
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise Invalid("restore_unknown_format", path=str(source))


def _sqlite_counts(source: Path) -> dict[str, int]:
    """Rows per table in a SQLite backup, after SQLite vouches for every page of it."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise Invalid("restore_corrupt", path=str(source), detail=verdict)
            names = [
                row[0]
                for row in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {
                name: int(copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                for name in names
                if name not in NOT_DATA
            }
    except sqlite3.DatabaseError as error:
        raise Invalid("restore_corrupt", path=str(source), detail=str(error)) from None


def _dump_counts(parsed: URL, source: Path) -> dict[str, int]:
    """Rows per table in a custom-format dump: pg_restore reads it back as COPY text, one
    line per row, ended by a backslash-dot line. A damaged file fails here, before anything
    in the database is touched."""
    script = _run_pg_restore_script(source)
    counts: dict[str, int] = {}
    current: str | None = None
    for line in script.split("\n"):
        if current is None:
            match = _COPY.match(line)
            if match:
                current = match.group(1)
                counts[current] = 0
        elif line == "\\.":
            current = None
        else:
            counts[current] += 1
    return {name: count for name, count in counts.items() if name not in NOT_DATA}


def _run_pg_restore_script(source: Path) -> str:
    command = [_pg_tool("pg_restore"), "--data-only", "--file=-", str(source)]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise Invalid("restore_corrupt", path=str(source), detail=_last_line(done.stderr))
    return done.stdout.decode("utf-8", errors="replace")


def _holds_rows(engine: Engine) -> bool:
    load_all_models()
    names = set(inspect(engine).get_table_names()) - NOT_DATA
    with Session(engine) as db:
        return any(
            db.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
            for name in names
        )


def _sqlite_restore(source: Path, target: Path) -> None:
    create_db_engine(f"sqlite:///{target}").dispose()  # makes the file private (600)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy,
        closing(sqlite3.connect(target, timeout=30)) as live,
    ):
        copy.backup(live)
        live.execute("PRAGMA journal_mode=WAL")


def _check(engine: Engine, expected: Mapping[str, int]) -> RestoreReport:
    """Counts first, as restored; then the schema is brought up to date and the chains walked."""
    with Session(engine) as db:
        present = set(inspect(engine).get_table_names())
        found = {
            name: int(db.scalar(select(func.count()).select_from(table(name))) or 0)
            for name in expected
            if name in present
        }
    mismatched = [
        f"{name}: {expected[name]} → {found.get(name, 0)}"
        for name in sorted(expected)
        if found.get(name) != expected[name]
    ]
    upgrade_database(engine)
    with Session(engine) as db:
        chains = check_chains(db)
    return RestoreReport(
        tables=len(expected),
        rows=sum(expected.values()),
        mismatched=mismatched,
        cases=chains.cases,
        admin_changes=chains.admin_changes,
        chain_problems=chains.problems,
    )


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@domain_errors_exit
def backup_command(file: Path) -> None:
    """Copy the database to FILE while the server may run (SQLite file or pg_dump custom)."""
    kind = backup_database(get_settings().effective_database_url, file)
    say("cli.backup_written", path=file, kind=kind, size=file.stat().st_size)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
@domain_errors_exit
def restore_command(file: Path, force: bool) -> None:
    """Put the backup FILE in place of the database (stop the server first), then check
    every table's row count and every hash chain; exit 1 if anything differs."""
    report = restore_database(get_settings().effective_database_url, file, force=force)
    say("cli.restore_counts", tables=report.tables, rows=report.rows)
    for line in report.mismatched:
        say("cli.restore_count_mismatch", detail=line)
    for problem in report.chain_problems:
        click.echo(problem)
    say("cli.restore_chains", cases=report.cases, changes=report.admin_changes)
    if not report.ok:
        say("cli.restore_failed", count=len(report.mismatched) + len(report.chain_problems))
        sys.exit(1)
    say("cli.restore_done")
