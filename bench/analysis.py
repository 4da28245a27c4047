"""One month's 微智理 report over a generated event archive: DuckDB, PostgreSQL and Spark.

A synthetic archive in the archive's own layout and schema (Parquet by month and
district, `civicgrid.archive.events.SCHEMA`): `--events` events over `--months` months,
`--grids` grids in five districts and the 29 risk classes. Grids differ in how busy
they are (gamma-distributed weights) and classes in how common (Dirichlet weights);
one grid × class is tripled in the report month as a planted anomaly. Then, for the
last month, the full report (`civicgrid.diagnosis.report.compute`: counts per grid ×
class, last month, a year ago, the Poisson test of every cell against its own last 12
months, Benjamini–Hochberg, per-grid totals and ranking) on

* DuckDB over the Parquet files (the embedded default), best of `--repeat`;
* PostgreSQL over the same rows in a table with an index on (month, grid, class),
  loaded by COPY and ANALYZEd, best of `--repeat`;
* Spark `local[2]` over the same Parquet files (first run reported apart: JVM warm-up).

The three reports are compared cell by cell, and the planted cell must be flagged.

    .venv/bin/python bench/analysis.py [--events 10000000] [--grids 48000] [--months 24]
        [--pg-url URL] [--no-spark] [--no-postgres] [--repeat 3] [--seed 11]

Without `--pg-url` a throwaway cluster is started with scripts/pg.sh under
var/pg-bench-analysis (port 54338); with it, a database civicgrid_bench_analysis is
dropped and created there. The archive is kept under var/bench-analysis and reused when
its size, grids, months and seed match. Figures go to stdout as markdown.
"""

import argparse
import datetime
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import create_engine

from civicgrid.archive.compaction import compact_month
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.store import month_files, partition_dir
from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis.definition import shift, window
from civicgrid.diagnosis.engines import (
    DuckDBEngine,
    PostgresEngine,
    SparkEngine,
    load_postgres,
    spark_session,
)
from civicgrid.diagnosis.report import MonthlyFigures, compute

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import BenchPlace, fresh_database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-analysis"
PLACE = BenchPlace("civicgrid_bench_analysis", WORK, ROOT / "var" / "pg-bench-analysis", "54338")
DISTRICTS = ("360102", "360103", "360104", "360105", "360111")
LAST_MONTH = "2026-11"


def main() -> None:
    args = _arguments()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    root, planted = _archive(args)
    generated = time.perf_counter() - started
    print(f"archive ready in {generated:.1f} s", file=sys.stderr)
    if args.generate_only:
        return
    if args.split:
        _split_then_compact(root, args.split, args.repeat)
        return
    files = month_files(root, window(LAST_MONTH))
    rows: list[tuple[str, float, str]] = []
    reports: dict[str, MonthlyFigures] = {}

    duck = DuckDBEngine(root)
    best, reports["duckdb"] = _best(args.repeat, lambda: compute(duck, LAST_MONTH, {}))
    rows.append((f"DuckDB over Parquet (best of {args.repeat})", best, ""))
    print(f"duckdb {best:.3f} s", file=sys.stderr)

    if not args.no_postgres:
        with fresh_database("postgresql", args.pg_url, PLACE) as url:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            load_started = time.perf_counter()
            loaded = load_postgres(engine, month_files(root, _all_months(args.months)))
            load_seconds = time.perf_counter() - load_started
            print(f"postgres loaded {loaded:,} rows in {load_seconds:.1f} s", file=sys.stderr)
            postgres = PostgresEngine(engine)
            best, reports["postgresql"] = _best(
                args.repeat, lambda: compute(postgres, LAST_MONTH, {})
            )
            rows.append((f"PostgreSQL table + index (best of {args.repeat})", best, ""))
            rows.append(("(PostgreSQL COPY + index + ANALYZE of all months)", load_seconds, ""))
            engine.dispose()
            print(f"postgres {best:.3f} s", file=sys.stderr)

    if not args.no_spark:
        session = spark_session("local[2]", partitions=4)
        spark = SparkEngine(session, root)
        first, _ = _timed(lambda: compute(spark, LAST_MONTH, {}))
        best, reports["spark"] = _best(args.repeat, lambda: compute(spark, LAST_MONTH, {}))
        rows.append(("Spark local[2] over Parquet, first run (JVM warm-up)", first, ""))
        rows.append((f"Spark local[2] over Parquet (best of {args.repeat} after it)", best, ""))
        session.stop()
        print(f"spark {best:.3f} s", file=sys.stderr)

    _print(args, rows, reports, planted, files, generated)


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
    before, _ = _best(repeat, lambda: compute(duck, LAST_MONTH, {}))
    started = time.perf_counter()
    for month in window(LAST_MONTH):
        compact_month(split, month, {"dispute": 10**12})
    compacting = time.perf_counter() - started
    after, _ = _best(repeat, lambda: compute(duck, LAST_MONTH, {}))
    events = sum(pq.read_metadata(p).num_rows for p in month_files(split, window(LAST_MONTH)))
    print(f"| window as batches of {rows:,} rows ({files:,} files) | {before:.3f} |")
    print(f"| the same compacted (65 files) | {after:.3f} |")
    print(f"compaction of 13 months: {events:,} events in {compacting:.1f} s")
    shutil.rmtree(split)


def _timed(run: Callable[[], MonthlyFigures]) -> tuple[float, MonthlyFigures]:
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds = time.perf_counter() - started
    print(
        f"  run {seconds:.3f} s, this process's CPU {time.process_time() - cpu:.3f} s, "
        f"load {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )
    return seconds, result


def _best(repeat: int, run: Callable[[], MonthlyFigures]) -> tuple[float, MonthlyFigures]:
    timings = [_timed(run) for _ in range(repeat)]
    return min(seconds for seconds, _ in timings), timings[-1][1]


def _print(  # noqa: PLR0917 - one call, every figure of the run
    args: argparse.Namespace,
    rows: list[tuple[str, float, str]],
    reports: dict[str, MonthlyFigures],
    planted: tuple[str, str],
    files: list[Path],
    generated: float,
) -> None:
    duck = reports["duckdb"]
    cells = duck.cells.to_pylist()
    flagged = {(row["grid_code"], row["risk_class"]) for row in cells if row["anomaly"]}
    same = {
        name: report.cells.equals(duck.cells) and report.grids.equals(duck.grids)
        for name, report in reports.items()
    }
    size = sum(path.stat().st_size for path in files)
    load = os.getloadavg()[0]
    print(f"## Result ({datetime.date.today()}, {os.cpu_count()} cores, load {load:.1f})\n")
    print(f"{args.events:,} events, {args.grids:,} grids, 29 classes, {args.months} months; ")
    print(
        f"report month {LAST_MONTH}, its 13-month window {len(files)} files, {size / 1e6:.0f} MB.\n"
    )
    print("| engine | seconds |")
    print("|---|---:|")
    for name, seconds, _ in rows:
        print(f"| {name} | {seconds:.3f} |")
    print()
    print(f"- cells tested (grid × class with an event in the window): {duck.cells.num_rows:,}")
    print(f"- grids ranked: {duck.grids.num_rows:,}; anomalies flagged: {len(flagged)}")
    print(f"- planted cell {planted} flagged: {planted in flagged}")
    print(f"- identical to DuckDB's report: {same}")
    print(f"- archive generation (not timed above): {generated:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"- peak RSS of this process (DuckDB runs in it): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
