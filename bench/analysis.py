"""One month's 微智理 report over a generated event archive: DuckDB, PostgreSQL and Spark.

A synthetic archive in the archive's own layout and schema (Parquet by month and
district, `civicgrid.archive.events.SCHEMA`): `--events` events over `--months` months,
`--grids` grids in five districts and the 29 risk classes. Grids differ in how busy
they are (gamma-distributed weights) and classes in how common (Dirichlet weights);
one grid × class is tripled in the report month as a planted anomaly. Then, for the
last month, the full report (`civicgrid.diagnosis.report.compute`: counts per grid ×
class, last month, a year ago, the Poisson test of every cell against its own last 12
months, Benjamini–Hochberg, the street-peer test, per-grid totals and ranking) on

* DuckDB over the report month's digest (`civicgrid.diagnosis.digest`, written as the
  worker writes it once the 13 months have closed and been compacted), best of
  `--repeat`; then with the digest hidden, over the closed months' rollups
  (`civicgrid.archive.rollup`, built on demand the first time, as the compaction builds
  them for an archive without them); then the same with the report month read from its
  events (a month not yet compacted), and with every event read (no rollup);
* PostgreSQL over the window's events in a table with an index on (month, grid, class),
  loaded by COPY and ANALYZEd, and over the same rollups in a table with the same index
  (plus a table of the events no rollup counts), best of `--repeat` each; and the time
  PostgreSQL takes only to hand over the digest's rows from a table of them, in order
  (what a PostgreSQL site keeping digests would pay before the report's Python);
* Spark `local[2]` over the same rollups (first run reported apart: JVM warm-up).

Every report is compared cell by cell with the first, and the planted cell must be
flagged. Each row gives the best wall time, that run's CPU time of this process (DuckDB
runs in it; PostgreSQL and Spark do not) and the load average.

    .venv/bin/python bench/analysis.py [--events 10000000] [--grids 48000] [--months 24]
        [--pg-url URL] [--no-spark] [--no-postgres] [--repeat 3] [--seed 11]

Without `--pg-url` a throwaway cluster is started with scripts/pg.sh under
var/pg-bench-analysis (port 54338); with it, a database civicgrid_bench_analysis is
dropped and created there. The archive is kept under var/bench-analysis and reused when
its size, grids, months and seed match. Figures go to stdout as markdown.
"""

import argparse
import datetime
import io
import os
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, text

from civicgrid.archive.compaction import compact_month
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.rollup import window_parts
from civicgrid.archive.store import ROLLUP, month_files, partition_dir
from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis import digest
from civicgrid.diagnosis.definition import shift, window
from civicgrid.diagnosis.engines import (
    DuckDBEngine,
    PostgresEngine,
    ReportEngine,
    SparkEngine,
    load_postgres,
    load_rollups,
    spark_session,
)
from civicgrid.diagnosis.production import refresh_digests
from civicgrid.diagnosis.report import MonthlyFigures, compute

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import BenchPlace, fresh_database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-analysis"
PLACE = BenchPlace("civicgrid_bench_analysis", WORK, ROOT / "var" / "pg-bench-analysis", "54338")
DISTRICTS = ("360102", "360103", "360104", "360105", "360111")
LAST_MONTH = "2026-11"


Row = tuple[str, float, float, float]  # what, best wall seconds, its CPU seconds, load


def main() -> None:
    args = _arguments()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    root, planted = _archive(args)
    generated = time.perf_counter() - started
    print(f"archive ready in {generated:.1f} s", file=sys.stderr)
    rolled = _rollups(root, args.months)
    started = time.perf_counter()
    digested = refresh_digests(DuckDBEngine(root), _all_months(args.months))
    digesting = time.perf_counter() - started
    print(f"{len(digested)} digests written in {digesting:.1f} s", file=sys.stderr)
    if args.generate_only:
        return
    if args.split:
        _split_then_compact(root, args.split, args.repeat)
        return
    rows: list[Row] = []
    reports: dict[str, MonthlyFigures] = {}

    duck = DuckDBEngine(root)
    what = f"DuckDB, the month's digest (best of {args.repeat})"
    rows.append(_best(what, args.repeat, duck, reports))
    digested_cells = pq.read_table(digest.path_of(root, LAST_MONTH))
    with _hidden([digest.path_of(root, LAST_MONTH)]):
        _grouped(args, root, rows, reports, digested_cells)
    _print(args, rows, reports, planted, root, (generated, rolled, digesting))


def _grouped(
    args: argparse.Namespace,
    root: Path,
    rows: list[Row],
    reports: dict[str, MonthlyFigures],
    digested_cells: pa.Table,
) -> None:
    """Every engine grouping the window itself (no digest)."""
    duck = DuckDBEngine(root)
    rows.append(_best(f"DuckDB, rollups (best of {args.repeat})", args.repeat, duck, reports))
    with _hidden(_rollups_of(root, [LAST_MONTH])):
        what = f"DuckDB, report month from its events (best of {args.repeat})"
        rows.append(_best(what, args.repeat, duck, reports))
    with _hidden(_rollups_of(root, window(LAST_MONTH))):
        what = f"DuckDB, every event, no rollup (best of {args.repeat})"
        rows.append(_best(what, args.repeat, duck, reports))

    if not args.no_postgres:
        _postgres(args, root, rows, reports)
        rows.append(_digest_rows(args, digested_cells))

    if not args.no_spark:
        session = spark_session("local[2]", partitions=4)
        spark = SparkEngine(session, root)
        rows.append(_best("Spark local[2], rollups, first run (JVM warm-up)", 1, spark, {}))
        what = f"Spark local[2], rollups (best of {args.repeat} after it)"
        rows.append(_best(what, args.repeat, spark, reports))
        session.stop()


def _postgres(
    args: argparse.Namespace, root: Path, rows: list[Row], reports: dict[str, MonthlyFigures]
) -> None:
    """PostgreSQL over the window's raw events with their index, and over the same
    rollups as DuckDB (plus the events no rollup counts), in one database."""
    with fresh_database("postgresql", args.pg_url, PLACE) as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        started = time.perf_counter()
        loaded = load_postgres(engine, month_files(root, window(LAST_MONTH)))
        raw_load = time.perf_counter() - started
        parts = window_parts(root, window(LAST_MONTH))
        started = time.perf_counter()
        counted = load_rollups(engine, parts.rollups)
        load_postgres(engine, parts.events, table="archive_open_events")
        rollup_load = time.perf_counter() - started
        print(f"postgres: {loaded:,} events, {counted:,} rollup rows", file=sys.stderr)
        raw = PostgresEngine(engine)
        what = f"PostgreSQL, every event, table + index (best of {args.repeat})"
        rows.append(_best(what, args.repeat, raw, reports))
        rolled = PostgresEngine(engine, "archive_open_events", rollup_table="archive_rollups")
        what = f"PostgreSQL, the same rollups in a table + index (best of {args.repeat})"
        rows.append(_best(what, args.repeat, rolled, reports))
        rows.append((f"(PostgreSQL: COPY + index + ANALYZE of {loaded:,} events)", raw_load, 0, 0))
        rows.append((f"(PostgreSQL: the same of {counted:,} rollup rows)", rollup_load, 0, 0))
        engine.dispose()


def _digest_rows(args: argparse.Namespace, table: pa.Table) -> Row:
    """PostgreSQL handing over the month's digest rows in order, from a table of them."""
    with fresh_database("postgresql", args.pg_url, PLACE) as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        return _read_back(engine, table.replace_schema_metadata(None), args.repeat)


def _read_back(engine: SqlEngine, table: pa.Table, repeat: int) -> Row:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    columns = ", ".join(f"{name} bigint" for name in table.column_names)
    copying = "COPY archive_digest FROM STDIN (FORMAT csv)"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE archive_digest ({columns})"))
        with connection.connection.cursor().copy(copying) as copy:
            copy.write(buffer.getvalue())
        connection.execute(text("CREATE INDEX ON archive_digest (grid_key, class_key)"))
        connection.execute(text("ANALYZE archive_digest"))
    query = text("SELECT * FROM archive_digest ORDER BY grid_key, class_key")
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        with engine.connect() as connection:
            fetched = connection.execute(query).all()
        timings.append(time.perf_counter() - started)
    what = f"(PostgreSQL: only reading the digest's {len(fetched):,} rows in order, best of"
    what += f" {repeat})"
    engine.dispose()
    return what, min(timings), 0, os.getloadavg()[0]


def _rollups(root: Path, months: int) -> float:
    """Give every month its rollups as the compaction does when a month closes (built on
    demand for an archive without them or with rollups of an earlier format); seconds
    taken, about 0 when they were there."""
    started = time.perf_counter()
    for month in _all_months(months):
        compact_month(root, month, {"dispute": 10**12})
    seconds = time.perf_counter() - started
    print(f"rollups built in {seconds:.1f} s", file=sys.stderr)
    return seconds


def _rollups_of(root: Path, months: list[str]) -> list[Path]:
    return [path for month in months for path in root.glob(f"month={month}/district=*/{ROLLUP}")]


@contextmanager
def _hidden(paths: list[Path]) -> Iterator[None]:
    """Files hidden for a while: without its rollups a report reads those months' events,
    without its digest it groups the window."""
    hidden = []
    for path in paths:
        aside = path.with_name(f".{path.name}.aside")
        path.rename(aside)
        hidden.append((aside, path))
    try:
        yield
    finally:
        for aside, path in hidden:
            aside.rename(path)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--grids", type=int, default=48_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, default=WORK, help="where archives are kept")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--split",
        type=int,
        default=0,
        help="DuckDB only: the window cut into files of this many rows (as the writer's "
        "batches leave a month), then compacted by the archive's compaction, timed before "
        "and after",
    )
    return parser.parse_args()


def _all_months(count: int) -> list[str]:
    return [shift(LAST_MONTH, -offset) for offset in range(count - 1, -1, -1)]


def _grid_codes(count: int) -> np.ndarray:
    """Codes shaped like the real ones: district, street, community, grid (15 digits).

    Made district by district in code order, so a grid's index orders like its code."""
    per_district = -(-count // len(DISTRICTS))
    codes = []
    for district in DISTRICTS:
        for n in range(per_district):
            street, rest = divmod(n, 1000)
            community, grid = divmod(rest, 50)
            codes.append(f"{district}{street + 1:03d}{community + 1:03d}{grid + 1:03d}")
    return np.array(codes[:count])


def _archive(args: argparse.Namespace) -> tuple[Path, tuple[str, str]]:
    """Write the archive (or reuse the one of the same shape); returns the planted cell.

    One month at a time in arrays (memory stays at one month's events), in the layout a
    compacted month has: one file per district, rows ordered by grid and class."""
    root = args.data / f"archive-{args.events}-{args.grids}-{args.months}-{args.seed}"
    rng = np.random.default_rng(args.seed)
    grids = _grid_codes(args.grids)
    classes = np.array([risk.code for risk in risk_classes()])
    planted = (str(grids[7]), "neighbour_disputes")
    if (root / "done").exists():
        return root, planted
    shutil.rmtree(root, ignore_errors=True)
    grid_weights = rng.gamma(1.5, 1.0, len(grids))
    grid_weights /= grid_weights.sum()
    class_weights = rng.dirichlet(np.full(len(classes), 2.0))
    months = _all_months(args.months)
    per_month = args.events // len(months)
    next_id = 1
    for month in months:
        grid_index = rng.choice(len(grids), per_month, p=grid_weights)
        class_index = rng.choice(len(classes), per_month, p=class_weights)
        if month == LAST_MONTH:
            grid_index, class_index = _plant(grid_index, class_index, 7, classes, planted[1])
        next_id = _write_month(root, month, grids, classes, grid_index, class_index, next_id)
    (root / "done").touch()
    return root, planted


def _plant(
    grid_index: np.ndarray, class_index: np.ndarray, grid: int, classes: np.ndarray, risk: str
) -> tuple[np.ndarray, np.ndarray]:
    """Add twice the cell's own count again: the month's count triples."""
    wanted = int(np.flatnonzero(classes == risk)[0])
    own = int(np.sum((grid_index == grid) & (class_index == wanted)))
    extra = max(2 * own, 20)
    return (
        np.concatenate([grid_index, np.full(extra, grid)]),
        np.concatenate([class_index, np.full(extra, wanted)]),
    )


def _constant(value: str, count: int) -> pa.Array:
    return pc.take(pa.array([value]), pa.array(np.zeros(count, np.int32)))


def _write_month(  # noqa: PLR0917 - one month's arrays
    root: Path,
    month: str,
    grids: np.ndarray,
    classes: np.ndarray,
    grid_index: np.ndarray,
    class_index: np.ndarray,
    first: int,
) -> int:
    """One month's events, one file per district, ordered by grid then class."""
    key = np.sort(grid_index.astype(np.int64) * len(classes) + class_index)
    grid_index, class_index = np.divmod(key, len(classes))
    count = len(key)
    grid_codes = pc.take(pa.array(grids), pa.array(grid_index))
    day = np.datetime64(f"{month}-10T02:00:00", "us")
    table = pa.table(
        {
            "source": _constant("dispute", count),
            "source_id": pa.array(np.arange(first, first + count, dtype=np.int64)),
            "occurred_at": pa.array(np.full(count, day)).cast(pa.timestamp("us", tz="UTC")),
            "month": _constant(month, count),
            "district": pc.utf8_slice_codeunits(grid_codes, 0, 6),
            "region_code": grid_codes,
            "grid_code": grid_codes,
            "risk_class": pc.take(pa.array(classes), pa.array(class_index)),
            "category_code": pa.nulls(count, pa.string()),
            "kind": _constant("neighbour", count),
            "status": _constant("closed", count),
            # Disputes carry no point: no H3 cell, no compound.
            "h3_cell": pa.nulls(count, pa.string()),
            "compound_id": pa.nulls(count, pa.int64()),
        },
        schema=SCHEMA,
    )
    per_district = -(-len(grids) // len(DISTRICTS))
    bounds = np.searchsorted(grid_index, np.arange(len(DISTRICTS) + 1) * per_district)
    for number, district in enumerate(DISTRICTS):
        start, stop = int(bounds[number]), int(bounds[number + 1])
        folder = partition_dir(root, month, district)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"dispute-{first + start:012d}-{first + stop - 1:012d}.parquet"
        pq.write_table(table.slice(start, stop - start), folder / name, compression="zstd")
    return first + count


def _split_then_compact(root: Path, rows: int, repeat: int) -> None:
    """The report month's window as the writer leaves it (a file per batch), then compacted."""
    split = root.with_name(f"{root.name}-split-{rows}")
    shutil.rmtree(split, ignore_errors=True)
    for path in month_files(root, window(LAST_MONTH)):
        table = pq.read_table(path)
        folder = split / path.parent.relative_to(root)
        folder.mkdir(parents=True, exist_ok=True)
        ids = table.column("source_id").to_numpy()
        for start in range(0, table.num_rows, rows):
            part = table.slice(start, rows)
            last = int(ids[min(start + rows, table.num_rows) - 1])
            name = f"dispute-{int(ids[start]):012d}-{last:012d}.parquet"
            pq.write_table(part, folder / name, compression="zstd")
    files = len(month_files(split, window(LAST_MONTH)))
    duck = DuckDBEngine(split)
    before = _best("batches", repeat, duck, {})[1]
    started = time.perf_counter()
    for month in window(LAST_MONTH):
        compact_month(split, month, {"dispute": 10**12})
    compacting = time.perf_counter() - started
    after = _best("compacted", repeat, duck, {})[1]
    events = sum(pq.read_metadata(p).num_rows for p in month_files(split, window(LAST_MONTH)))
    print(f"| window as batches of {rows:,} rows ({files:,} files) | {before:.3f} |")
    print(f"| the same compacted (65 files) | {after:.3f} |")
    print(f"compaction of 13 months: {events:,} events in {compacting:.1f} s")
    shutil.rmtree(split)


def _timed(engine: ReportEngine) -> tuple[float, float, float, MonthlyFigures]:
    started, cpu = time.perf_counter(), time.process_time()
    result = compute(engine, LAST_MONTH, {})
    seconds, used = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0]
    print(f"  {engine.name} {seconds:.3f} s, CPU {used:.3f} s, load {load:.1f}", file=sys.stderr)
    return seconds, used, load, result


def _best(what: str, repeat: int, engine: ReportEngine, reports: dict[str, MonthlyFigures]) -> Row:
    """The fastest of `repeat` runs with its CPU time (this process: DuckDB runs in it) and
    load; the report is kept for the comparison under `what`."""
    timings = [_timed(engine) for _ in range(repeat)]
    seconds, used, load, result = min(timings, key=lambda timing: timing[0])
    reports[what] = result
    print(f"{what}: {seconds:.3f} s", file=sys.stderr)
    return what, seconds, used, load


def _print(  # noqa: PLR0917 - one call, every figure of the run
    args: argparse.Namespace,
    rows: list[Row],
    reports: dict[str, MonthlyFigures],
    planted: tuple[str, str],
    root: Path,
    prepared: tuple[float, float, float],
) -> None:
    files = month_files(root, window(LAST_MONTH))
    first = next(iter(reports.values()))
    cells = first.cells.to_pylist()
    flagged = {(row["grid_code"], row["risk_class"]) for row in cells if row["anomaly"]}
    same = all(
        report.cells.equals(first.cells) and report.grids.equals(first.grids)
        for report in reports.values()
    )
    size = sum(path.stat().st_size for path in files)
    rollups = window_parts(root, window(LAST_MONTH)).rollups
    rolled_rows = sum(pq.read_metadata(path).num_rows for path in rollups)
    rolled_size = sum(path.stat().st_size for path in rollups)
    print(f"## Result ({datetime.date.today()}, {os.cpu_count()} cores)\n")
    print(f"{args.events:,} events, {args.grids:,} grids, 29 classes, {args.months} months; ")
    print(
        f"report month {LAST_MONTH}, its 13-month window: {len(files)} event files, "
        f"{size / 1e6:.0f} MB; {len(rollups)} rollups, {rolled_rows:,} rows, "
        f"{rolled_size / 1e6:.0f} MB.\n"
    )
    print("| engine | wall s | CPU s of this process | load |")
    print("|---|---:|---:|---:|")
    for what, seconds, used, load in rows:
        print(f"| {what} | {seconds:.3f} | {used:.3f} | {load:.1f} |")
    print()
    print(f"- cells tested (grid × class with an event in the window): {first.cells.num_rows:,}")
    print(f"- grids ranked: {first.grids.num_rows:,}; anomalies flagged: {len(flagged)}")
    print(f"- planted cell {planted} flagged: {planted in flagged}")
    print(f"- every report identical: {same}")
    print(f"- archive generation (not timed above): {prepared[0]:.1f} s")
    print(f"- rollups built on demand for every month (0: already there): {prepared[1]:.1f} s")
    print(f"- digests written for each month whose window closed (0: current): {prepared[2]:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"- peak RSS of this process (DuckDB runs in it): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
