"""The base registry at city scale: import, exact look-up by ID number, name search, size.

For each engine (SQLite, PostgreSQL) a fresh database gets the reference city's
regions (the demo city at 48,000 grids), then:

* import: the generated residents CSV (bench/registry_city.py: `--residents`
  rows, about three a household, Chinese headers) goes through the registry
  importer, `import_file`, with every check, address resolution, household
  creation, AES-GCM sealing and blind indexing, in a fresh process whose peak
  resident memory is read from /proc, with the CPU of that process and of the
  reading process it hands a long file's rows to;
* the obvious alternative: the same CSV read with the csv module and written
  as plain text columns, without any check or encryption, into a bare table
  with the same two indexes (unique ID number; area and name), by COPY on
  PostgreSQL and executemany on SQLite, also in a fresh process;
* the floor under any importer: the rows this import stored, written again by the
  engine alone into an empty registry of the same schema (every index, unique
  constraint and foreign key) in one transaction, with no Python per row: on
  SQLite by INSERT … SELECT from the import's file attached, on PostgreSQL by
  COPY FROM of the tables first copied out to files (only the loading is timed);
* look-ups: `--lookups` ID numbers from the file through `residents_by_document`
  (blind index), and `--lookups` names within their community through
  `residents_by_name`, each against the same query on the bare table's plain
  columns; latencies per call, in this process, after one warm-up each, each
  kind stopping after `--lookup-seconds`;
* sizes: the database, the registry tables and the bare table.

    .venv/bin/python bench/registry.py [--residents 4300000] [--engine sqlite|postgresql|both]
        [--lookups 1000] [--lookup-seconds 30] [--grids 48000] [--pg-url URL] [--seed 7]

Without `--pg-url` a throwaway cluster is started with scripts/pg.sh under
var/pg-bench-registry (port 54337) and stopped at the end; with it, a database
named civicgrid_bench_registry is dropped and created on that server. The CSV is
kept under var/bench-registry and reused when size, grids and seed match.
Figures go to stdout as markdown, progress to stderr.
"""

import argparse
import csv
import datetime
import os
import platform
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.demo.city import CityPlan
from civicgrid.divisions import Level
from civicgrid.geo.service import GridIndex, save_regions
from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.importing.service import import_file
from civicgrid.registry.residents import residents_by_document, residents_by_name
from civicgrid.settings import Environment, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import BenchPlace, fresh_database
from registry_city import CITY, grid_spots, reference_plan, write_residents

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-registry"
PG_DIR = ROOT / "var" / "pg-bench-registry"
PG_PORT = "54337"
DATABASE = "civicgrid_bench_registry"
BARE_TABLE = "bench_bare_residents"
BARE_COLUMNS = (
    "name",
    "id_number",
    "phone",
    "residence_kind",
    "household_number",
    "relation_to_head",
    "address",
    "grid_code",
    "lng",
    "lat",
    "moved_in_on",
    "care_groups",
)
BARE_BATCH = 10_000
REGISTRY_TABLES = (
    "registry_residents",
    "registry_households",
    "registry_addresses",
    "registry_care_memberships",
)
# The same tables in an order their foreign keys accept.
STORING_ORDER = (
    "registry_addresses",
    "registry_households",
    "registry_residents",
    "registry_care_memberships",
)
# Column positions in the generated CSV (see registry_city.HEADERS).
NAME, ID_NUMBER, GRID_CODE = 0, 1, 7


@dataclass(frozen=True)
class Latencies:
    """Milliseconds per call and how many rows the calls found in all."""

    ms: list[float]
    found: int

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.ms, q))


@dataclass(frozen=True)
class Sample:
    """Rows picked from the file to look up: ID numbers, and names with their community."""

    id_numbers: list[str]
    names: list[tuple[str, str]]


@dataclass(frozen=True)
class EngineResult:
    engine: str
    regions_seconds: float
    imported: dict[str, Any]
    bare: dict[str, Any]
    stored_again: float
    by_document: Latencies
    bare_by_document: Latencies
    by_name: Latencies
    bare_by_name: Latencies
    sizes: dict[str, int]
    counts: dict[str, int]


def main() -> None:
    args = _arguments()
    WORK.mkdir(parents=True, exist_ok=True)
    plan = reference_plan(args.grids)
    csv_path = _population(plan, args)
    sample = _sample(csv_path, args.lookups, args.seed)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results = []
    for engine in engines:
        place = BenchPlace(args.database, WORK, PG_DIR, PG_PORT)
        with fresh_database(engine, args.pg_url, place) as url:
            results.append(
                _run_engine(
                    engine,
                    url,
                    plan=plan,
                    csv_path=csv_path,
                    sample=sample,
                    budget=args.lookup_seconds,
                )
            )
    _print_report(results, args, csv_path)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=4_300_000)
    parser.add_argument(
        "--engine", choices=("sqlite", "postgresql", "both"), default="both", help="default both"
    )
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument(
        "--lookup-seconds", type=float, default=30.0, help="time limit per kind of look-up"
    )
    parser.add_argument("--grids", type=int, default=48_000)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database", default=DATABASE, help="database (and SQLite file) name, for parallel runs"
    )
    return parser.parse_args()


def _progress(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _population(plan: CityPlan, args: argparse.Namespace) -> Path:
    """The residents CSV for this size, grid count and seed, written once and then reused."""
    path = WORK / f"residents-{args.residents}-g{args.grids}-s{args.seed}.csv"
    if path.is_file():
        _progress(f"reusing {path.name}")
        return path
    _progress(f"writing {args.residents:,} residents to {path.name}")
    partial = path.with_suffix(".partial")
    began = time.perf_counter()
    population = write_residents(
        partial, grid_spots(plan), residents=args.residents, seed=args.seed
    )
    partial.rename(path)
    _progress(
        f"{population.residents:,} residents in {population.households:,} households"
        f" in {time.perf_counter() - began:.0f} s"
    )
    return path


def _sample(path: Path, count: int, seed: int) -> Sample:
    """`count` rows spread over the file at random (one pass, a fixed seed)."""
    with path.open(encoding="utf-8", newline="") as handle:
        total = sum(1 for _ in handle) - 1
    wanted = set(random.Random(seed).sample(range(total), min(count, total)))
    ids, names = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for position, row in enumerate(reader):
            if position in wanted:
                ids.append(row[ID_NUMBER])
                names.append((row[GRID_CODE][:12], row[NAME]))
    return Sample(ids, names)


def _settings(engine: str, url: str) -> Settings:
    """One key file per engine's run, made on first use (development keyring)."""
    return Settings(
        database_url=url, data_dir=WORK / f"data-{engine}", environment=Environment.DEVELOPMENT
    )


def _run_engine(
    engine: str, url: str, *, plan: CityPlan, csv_path: Path, sample: Sample, budget: float
) -> EngineResult:
    _progress(f"[{engine}] schema and {len(plan.regions):,} regions")
    database = create_db_engine(url)
    upgrade_database(database)
    began = time.perf_counter()
    with Session(database) as db:
        save_regions(db, plan.regions, kind="bench", summary="bench/registry.py")
        db.commit()
    regions_seconds = time.perf_counter() - began
    city = next(region.code for region in plan.regions if region.level is Level.CITY)
    _progress(f"[{engine}] importing {csv_path.name}")
    imported = _in_fresh_process(_import, engine, url, str(csv_path), city)
    _progress(f"[{engine}] imported {imported['imported']:,} rows in {imported['seconds']:.0f} s")
    bare = _in_fresh_process(_bare_import, url, str(csv_path))
    _progress(f"[{engine}] bare insert in {bare['seconds']:.0f} s; the stored rows again")
    stored_again = _stored_again(database, url)
    _progress(f"[{engine}] stored again in {stored_again:.0f} s; look-ups")
    settings = _settings(engine, url)
    result = EngineResult(
        engine=engine,
        regions_seconds=regions_seconds,
        imported=imported,
        bare=bare,
        stored_again=stored_again,
        by_document=_timed(database, _by_document(settings, city), sample.id_numbers, budget),
        bare_by_document=_timed(database, _bare_by_document, sample.id_numbers, budget),
        by_name=_timed(database, _by_name, sample.names, budget),
        bare_by_name=_timed(database, _bare_by_name, sample.names, budget),
        sizes=_sizes(database),
        counts=_counts(database),
    )
    database.dispose()
    return result


def _in_fresh_process(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run in a new interpreter, so its peak memory is its own and not this process's."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _import(engine: str, url: str, csv_path: str, city: str) -> dict[str, Any]:
    """The real importer on the whole file, as an administrator of the city would run it."""
    database = create_db_engine(url)
    actor = Actor(kind="user", role=Role.ADMIN, scope_code=city, username="bench")
    load_before, cpu_before = os.getloadavg()[0], _cpu_seconds()
    reader_before = _cpu_seconds(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    with Session(database) as db:
        report = import_file(
            db,
            Path(csv_path),
            kind=ImportKind.RESIDENTS,
            actor=actor,
            settings=_settings(engine, url),
            grid_index=GridIndex(),
        )
        db.commit()
    seconds = time.perf_counter() - began
    database.dispose()
    return {
        "rows_read": report.rows_read,
        "imported": report.imported,
        "errors": report.error_count,
        "first_errors": [error.line("en") for error in report.errors[:5]],
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu_before,
        "reader_cpu_seconds": _cpu_seconds(resource.RUSAGE_CHILDREN) - reader_before,
        "load": (load_before, os.getloadavg()[0]),
        "peak_mib": _peak_mib(),
    }


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """This process's CPU time (or, with RUSAGE_CHILDREN, that of the processes it started
    and waited for: the import's reading process): on a shared machine, what the work cost
    apart from waiting."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _bare_import(url: str, csv_path: str) -> dict[str, Any]:
    """The same rows as plain text into an indexed table: no check, no sealing, no addresses."""
    database = create_db_engine(url)
    columns = ", ".join(BARE_COLUMNS)
    # SQLite numbers an INTEGER PRIMARY KEY itself; PostgreSQL needs it said.
    identity = " GENERATED ALWAYS AS IDENTITY" if database.dialect.name == "postgresql" else ""
    with database.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {BARE_TABLE}"))
        connection.execute(
            text(
                f"CREATE TABLE {BARE_TABLE} (id INTEGER{identity} PRIMARY KEY,"
                f" {', '.join(f'{column} VARCHAR(400)' for column in BARE_COLUMNS)})"
            )
        )
        connection.execute(text(f"CREATE UNIQUE INDEX ix_bare_id ON {BARE_TABLE} (id_number)"))
        connection.execute(text(f"CREATE INDEX ix_bare_name ON {BARE_TABLE} (grid_code, name)"))
    load_before, cpu_before = os.getloadavg()[0], _cpu_seconds()
    began = time.perf_counter()
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = (tuple(row) for row in reader)
        if database.dialect.name == "postgresql":
            _copy(database, columns, rows)
        else:
            _executemany(database, columns, rows)
    seconds = time.perf_counter() - began
    database.dispose()
    return {
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu_before,
        "load": (load_before, os.getloadavg()[0]),
        "peak_mib": _peak_mib(),
    }


def _copy(database: Engine, columns: str, rows: Iterator[tuple[str, ...]]) -> None:
    connection = database.raw_connection()
    try:
        statement = f"COPY {BARE_TABLE} ({columns}) FROM STDIN"
        cursor = connection.cursor()
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()
    finally:
        connection.close()


def _executemany(database: Engine, columns: str, rows: Iterator[tuple[str, ...]]) -> None:
    connection = database.raw_connection()
    marks = ", ".join("?" * len(BARE_COLUMNS))
    try:
        cursor = connection.cursor()
        while batch := [row for _, row in zip(range(BARE_BATCH), rows, strict=False)]:
            cursor.executemany(f"INSERT INTO {BARE_TABLE} ({columns}) VALUES ({marks})", batch)
        connection.commit()
    finally:
        connection.close()


def _stored_again(database: Engine, url: str) -> float:
    """Seconds the engine alone takes to store the import's rows again in an empty registry."""
    name = f"{Path(make_url(url).database or DATABASE).stem}_again"
    place = BenchPlace(name, WORK, PG_DIR, PG_PORT)
    engine = "postgresql" if database.dialect.name == "postgresql" else "sqlite"
    with fresh_database(engine, url if engine == "postgresql" else None, place) as again_url:
        again = create_db_engine(again_url)
        upgrade_database(again)
        again.dispose()
        if engine == "postgresql":
            return _copied_again(database, again_url)
        return _inserted_again(database, again_url)


def _copied_again(database: Engine, again_url: str) -> float:
    dumps = {table: WORK / f"{table}.copy" for table in STORING_ORDER}
    source = database.raw_connection()
    try:
        cursor = source.cursor()
        for table, dump in dumps.items():
            statement = f"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT (FORMAT binary)"
            with dump.open("wb") as handle, cursor.copy(statement) as copy:
                for block in copy:
                    handle.write(block)
    finally:
        source.close()
    again = create_db_engine(again_url)
    target = again.raw_connection()
    try:
        cursor = target.cursor()
        began = time.perf_counter()
        for table, dump in dumps.items():
            loading = f"COPY {table} FROM STDIN (FORMAT binary)"
            with dump.open("rb") as handle, cursor.copy(loading) as copy:
                while block := handle.read(1 << 20):
                    copy.write(block)
        target.commit()
        return time.perf_counter() - began
    finally:
        target.close()
        again.dispose()
        for dump in dumps.values():
            dump.unlink()


def _inserted_again(database: Engine, again_url: str) -> float:
    """Through the application's engine, so the connection has its pragmas (WAL, foreign keys)."""
    again = create_db_engine(again_url)
    source = make_url(str(database.url)).database
    try:
        with again.connect() as connection:
            connection.exec_driver_sql(f"ATTACH DATABASE '{source}' AS imported")
            connection.commit()
            began = time.perf_counter()
            with connection.begin():
                for table in STORING_ORDER:
                    connection.exec_driver_sql(
                        f"INSERT INTO main.{table} SELECT * FROM imported.{table} ORDER BY id"
                    )
            seconds = time.perf_counter() - began
            connection.exec_driver_sql("DETACH DATABASE imported")
            connection.commit()
            return seconds
    finally:
        again.dispose()


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


Lookup = Callable[[Session, Any], int]


def _timed(database: Engine, lookup: Lookup, keys: list[Any], budget: float) -> Latencies:
    """Each key looked up in its own transaction; the first call warms up and is not counted.

    Stops once `budget` seconds are spent, so a look-up that scans a whole
    table at city scale reports its figures instead of running for hours.
    """
    with Session(database) as db:
        lookup(db, keys[0])
        db.rollback()
        latencies, found = [], 0
        deadline = time.perf_counter() + budget
        for key in keys:
            began = time.perf_counter()
            found += lookup(db, key)
            latencies.append((time.perf_counter() - began) * 1000)
            db.rollback()
            if began > deadline:
                break
    return Latencies(latencies, found)


def _by_document(settings: Settings, city: str) -> Lookup:
    actor = Actor(kind="user", role=Role.ADMIN, scope_code=city, username="bench")

    def lookup(db: Session, number: str) -> int:
        return len(residents_by_document(db, actor, settings=settings, number=number))

    return lookup


def _bare_by_document(db: Session, number: str) -> int:
    query = text(f"SELECT * FROM {BARE_TABLE} WHERE id_number = :number")
    return len(db.execute(query, {"number": number}).all())


def _by_name(db: Session, key: tuple[str, str]) -> int:
    community, name = key
    actor = Actor(kind="user", role=Role.COMMUNITY_STAFF, scope_code=community, username="bench")
    return len(residents_by_name(db, actor, community_code=community, name=name))


def _bare_by_name(db: Session, key: tuple[str, str]) -> int:
    community, name = key
    query = text(
        f"SELECT * FROM {BARE_TABLE} WHERE grid_code LIKE :area AND name LIKE :name LIMIT 50"
    )
    return len(db.execute(query, {"area": f"{community}%", "name": f"{name}%"}).all())


def _sizes(database: Engine) -> dict[str, int]:
    """Bytes on disk: the whole database, each registry table with its indexes, the bare table."""
    tables = (*REGISTRY_TABLES, BARE_TABLE)
    with database.connect() as connection:
        if database.dialect.name == "postgresql":
            total = connection.execute(text("SELECT pg_database_size(current_database())"))
            sizes = {"database": int(total.scalar_one())}
            for table in tables:
                size = connection.execute(text(f"SELECT pg_total_relation_size('{table}')"))
                sizes[table] = int(size.scalar_one())
            return sizes
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        page = int(connection.execute(text("PRAGMA page_size")).scalar_one())
        pages = int(connection.execute(text("PRAGMA page_count")).scalar_one())
        sizes = {"database": page * pages}
        for table in tables:
            size = connection.execute(
                text(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name = :table OR name IN"
                    " (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table)"
                ),
                {"table": table},
            )
            sizes[table] = int(size.scalar_one() or 0)
        return sizes


def _counts(database: Engine) -> dict[str, int]:
    """Rows the import left in each registry table (households and addresses are derived)."""
    with database.connect() as connection:
        return {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in REGISTRY_TABLES
        }


def _print_report(results: list[EngineResult], args: argparse.Namespace, csv_path: Path) -> None:
    print(f"# Registry benchmark, {datetime.date.today()}")
    print()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" city {CITY} at {args.grids:,} grids; {args.residents:,} residents"
        f" ({csv_path.stat().st_size / 2**20:,.0f} MiB of CSV); {args.lookups:,} look-ups each."
    )
    print()
    print(
        "| engine | import rows/s | import s | import peak MiB | bare rows/s | import ÷ bare"
        " | stored again rows/s | import ÷ stored again | by ID p50 ms | by ID p99 ms"
        " | bare by ID p99 ms | by name p50 ms | by name p99 ms"
        " | bare by name p99 ms | database MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        rows = result.imported["rows_read"]
        import_rate = rows / result.imported["seconds"]
        bare_rate = rows / result.bare["seconds"]
        again_rate = result.imported["imported"] / result.stored_again
        print(
            f"| {result.engine} | {import_rate:,.0f} | {result.imported['seconds']:,.0f}"
            f" | {result.imported['peak_mib']:,.0f} | {bare_rate:,.0f}"
            f" | {import_rate / bare_rate:.3f} | {again_rate:,.0f} | {import_rate / again_rate:.3f}"
            f" | {result.by_document.percentile(50):.2f} | {result.by_document.percentile(99):.2f}"
            f" | {result.bare_by_document.percentile(99):.2f}"
            f" | {result.by_name.percentile(50):.2f} | {result.by_name.percentile(99):.2f}"
            f" | {result.bare_by_name.percentile(99):.2f}"
            f" | {result.sizes['database'] / 2**20:,.0f} |"
        )
    print()
    _print_details(results)


def _print_details(results: list[EngineResult]) -> None:
    print("| engine | figure | value |")
    print("|---|---|---:|")
    for result in results:
        details = {
            "regions stored (s)": f"{result.regions_seconds:.1f}",
            "rows read / imported / refused": (
                f"{result.imported['rows_read']:,} / {result.imported['imported']:,}"
                f" / {result.imported['errors']:,}"
            ),
            "bare insert s / peak MiB": (
                f"{result.bare['seconds']:.1f} / {result.bare['peak_mib']:,.0f}"
            ),
            "stored again s": f"{result.stored_again:.1f}",
            "import / bare CPU s (this process)": (
                f"{result.imported['cpu_seconds']:,.1f} / {result.bare['cpu_seconds']:,.1f}"
            ),
            "import's reading process CPU s": f"{result.imported['reader_cpu_seconds']:,.1f}",
            "load average (1 min) at import start, end; bare start, end": (
                "{:.1f}, {:.1f}; {:.1f}, {:.1f}".format(
                    *result.imported["load"], *result.bare["load"]
                )
            ),
            "look-ups timed by ID / bare / by name / bare": " / ".join(
                f"{len(timing.ms):,}"
                for timing in (
                    result.by_document,
                    result.bare_by_document,
                    result.by_name,
                    result.bare_by_name,
                )
            ),
            "rows found by ID / by name": (
                f"{result.by_document.found:,} / {result.by_name.found:,}"
            ),
            "bare by ID p50 ms / by name p50 ms": (
                f"{result.bare_by_document.percentile(50):.2f}"
                f" / {result.bare_by_name.percentile(50):.2f}"
            ),
            **{f"{table} rows": f"{count:,}" for table, count in result.counts.items()},
            **{
                f"{table} MiB": f"{size / 2**20:,.1f}"
                for table, size in result.sizes.items()
                if table != "database"
            },
        }
        for figure, value in details.items():
            print(f"| {result.engine} | {figure} | {value} |")
        for line in result.imported["first_errors"]:
            print(f"| {result.engine} | refused row | {line} |")


if __name__ == "__main__":
    main()
