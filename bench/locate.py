"""Point → grid location: the civicgrid locator against PostGIS ST_Contains, in one run.

The scaled demo city (Baoshan, 530500) is planned with 48,000 grids; 1,000,000 seeded
random points are drawn uniformly over the city's bounding box (so some fall outside
every grid). The civicgrid locator is built and timed, then ``locate_many`` over all
points (best of a few runs). The same grid polygons go into PostGIS, as
geometry(MultiPolygon, 4326) with a GiST index, and a sample of the same points is
located there with ``ST_Contains`` (lowest code first, as the locator breaks ties), in
batches sent as arrays, on one connection and on one connection per core. Both answers
are compared on the sample. The results are printed as markdown.

    .venv/bin/python bench/locate.py [--grids N] [--points N] [--pg-sample N] [--pg-url URL]

Without ``--pg-url`` a throwaway cluster is started with scripts/pg.sh (under
var/pg-bench, port 54339 unless CIVICGRID_PG_DIR / CIVICGRID_PG_PORT say otherwise) and
stopped at the end. PostGIS must be installed (``scripts/system-deps.sh --bench``).
"""

import argparse
import datetime
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from civicgrid.demo.city import plan_city
from civicgrid.divisions import Level
from civicgrid.geo.locator import Locator

ROOT = Path(__file__).resolve().parents[1]
PG_DIR = ROOT / "var" / "pg-bench"
PG_PORT = "54339"
CITY = "530500"
# Points per round trip to PostgreSQL.
PG_BATCH = 10_000
# Timed runs over the sample per number of connections; the best counts.
PG_REPEATS = 3
# A point this close (in degrees, about 0.1 mm) to a grid's outline is a boundary tie.
TIE_DISTANCE = 1e-9

Grids = list[tuple[str, BaseGeometry]]
Floats = NDArray[np.float64]
Ints = NDArray[np.int32]


@dataclass(frozen=True)
class CivicgridResult:
    grids: int
    points: int
    located: int
    plan_seconds: float
    build_seconds: float
    build_peak_mb: float
    index_mb: float
    query_seconds: float
    query_peak_mb: float
    rss_after_plan_mb: float
    rss_peak_mb: float

    @property
    def points_per_second(self) -> float:
        return self.points / self.query_seconds


@dataclass(frozen=True)
class PostgisRun:
    connections: int
    seconds: float
    points: int

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds


@dataclass(frozen=True)
class PostgisResult:
    version: str
    load_seconds: float
    runs: list[PostgisRun]
    located: int
    mismatches: int
    boundary_ties: int

    @property
    def best(self) -> PostgisRun:
        return max(self.runs, key=lambda run: run.points_per_second)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def city_grids(grid_count: int, seed: int) -> tuple[Grids, tuple[float, ...], float]:
    """The demo city's grids, the city's bounds and the seconds planning took."""
    started = time.perf_counter()
    plan = plan_city(CITY, grid_count=grid_count, seed=seed)
    seconds = time.perf_counter() - started
    grids = [
        (region.code, region.geometry)
        for region in plan.regions
        if region.level is Level.GRID and region.geometry is not None
    ]
    city = next(r for r in plan.regions if r.level is Level.CITY and r.geometry is not None)
    assert city.geometry is not None
    return grids, tuple(city.geometry.bounds), seconds


def random_points(count: int, bounds: Sequence[float], seed: int) -> tuple[Floats, Floats]:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = bounds
    return rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count)


def bench_civicgrid(
    grids: Grids, lngs: Floats, lats: Floats, repeats: int, plan_seconds: float
) -> tuple[Locator, NDArray[np.int32], CivicgridResult]:
    rss_after_plan = rss_mb()
    # Timed without tracemalloc (which slows allocation), then measured with it.
    build_seconds = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        locator = Locator.build(grids)
        build_seconds = min(build_seconds, time.perf_counter() - started)
    del locator
    tracemalloc.start()
    locator = Locator.build(grids)
    index_bytes, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    found = locator.locate_many(lngs, lats)  # warm-up, and the answers
    query_seconds = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        locator.locate_many(lngs, lats)
        query_seconds = min(query_seconds, time.perf_counter() - started)
    tracemalloc.start()
    locator.locate_many(lngs, lats)
    query_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    result = CivicgridResult(
        grids=len(locator),
        points=lngs.size,
        located=int(np.count_nonzero(found >= 0)),
        plan_seconds=plan_seconds,
        build_seconds=build_seconds,
        build_peak_mb=build_peak / 2**20,
        index_mb=index_bytes / 2**20,
        query_seconds=query_seconds,
        query_peak_mb=query_peak / 2**20,
        rss_after_plan_mb=rss_after_plan,
        rss_peak_mb=rss_mb(),
    )
    return locator, found, result


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The given URL, or a throwaway cluster started with scripts/pg.sh and stopped after."""
    if url:
        yield url
        return
    env = dict(os.environ)
    env.setdefault("CIVICGRID_PG_DIR", str(PG_DIR))
    env.setdefault("CIVICGRID_PG_PORT", PG_PORT)
    script = str(ROOT / "scripts" / "pg.sh")
    log(f"starting a throwaway PostgreSQL under {env['CIVICGRID_PG_DIR']}")
    started = subprocess.run([script, "start"], env=env, check=True, capture_output=True, text=True)
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop"], env=env, check=False)


def load_grids(url: str, grids: Grids) -> tuple[str, float]:
    """Grids into a fresh table with a GiST index; returns the PostGIS version and seconds."""
    started = time.perf_counter()
    multis = [
        geometry if geometry.geom_type == "MultiPolygon" else shapely.MultiPolygon([geometry])
        for _, geometry in grids
    ]
    ewkb = shapely.to_wkb(shapely.set_srid(np.array(multis), 4326), hex=True, include_srid=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("DROP TABLE IF EXISTS bench_grid")
        conn.execute(
            "CREATE TABLE bench_grid (code text PRIMARY KEY,"
            " geom geometry(MultiPolygon, 4326) NOT NULL)"
        )
        with conn.cursor() as cur, cur.copy("COPY bench_grid (code, geom) FROM STDIN") as copy:
            for (code, _), hex_ewkb in zip(grids, ewkb, strict=True):
                copy.write_row((code, hex_ewkb))
        conn.execute("CREATE INDEX bench_grid_geom ON bench_grid USING gist (geom)")
        conn.execute("VACUUM ANALYZE bench_grid")
        row = conn.execute("SELECT postgis_lib_version(), current_setting('server_version')")
        version = row.fetchone()
    assert version is not None
    return f"PostGIS {version[0]} on PostgreSQL {version[1]}", time.perf_counter() - started


# Each point's grid: the lowest code among the grids containing it, as the locator answers.
LOCATE_SQL = """
SELECT g.code
FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)
LEFT JOIN LATERAL (
    SELECT code FROM bench_grid
    WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
    ORDER BY code LIMIT 1
) AS g ON true
ORDER BY p.i
"""


def locate_batches(conn: psycopg.Connection, lngs: Floats, lats: Floats) -> list[str | None]:
    codes: list[str | None] = []
    for start in range(0, lngs.size, PG_BATCH):
        stop = start + PG_BATCH
        rows = conn.execute(LOCATE_SQL, (lngs[start:stop].tolist(), lats[start:stop].tolist()))
        codes.extend(row[0] for row in rows)
    return codes


def postgis_run(
    url: str, lngs: Floats, lats: Floats, connections: int, repeats: int
) -> tuple[PostgisRun, list[str | None]]:
    """Locate the sample split evenly over concurrent connections; best of ``repeats``.

    Each connection is opened and warmed up (catalogue, index pages) before the clock starts.
    """
    parts = np.array_split(np.arange(lngs.size), connections)
    conns = [psycopg.connect(url, autocommit=True) for _ in range(connections)]
    try:
        for conn in conns:
            locate_batches(conn, lngs[:1000], lats[:1000])
        best, answers = float("inf"), []
        with ThreadPoolExecutor(connections) as pool:
            for _ in range(repeats):
                started = time.perf_counter()
                results = list(
                    pool.map(
                        lambda conn, part: locate_batches(conn, lngs[part], lats[part]),
                        conns,
                        parts,
                    )
                )
                best = min(best, time.perf_counter() - started)
                answers = [code for result in results for code in result]
    finally:
        for conn in conns:
            conn.close()
    return PostgisRun(connections, best, lngs.size), answers


def bench_postgis(
    url: str, grids: Grids, locator: Locator, points: tuple[Floats, Floats], found: Ints
) -> PostgisResult:
    lngs, lats = points
    version, load_seconds = load_grids(url, grids)
    log(f"{version}: {len(grids):,} grids loaded and indexed in {load_seconds:.1f} s")
    runs = []
    answers: list[str | None] = []
    for connections in sorted({1, os.cpu_count() or 1}):
        run, answers = postgis_run(url, lngs, lats, connections, PG_REPEATS)
        log(f"PostGIS, {connections} connection(s): {run.points_per_second:,.0f} points/s")
        runs.append(run)

    ours = locator.codes_for(found)
    differing = [i for i, (a, b) in enumerate(zip(ours, answers, strict=True)) if a != b]
    geometry = dict(grids)
    ties = 0
    for i in differing:
        point = shapely.Point(lngs[i], lats[i])
        claimed = [code for code in (ours[i], answers[i]) if code is not None]
        if any(geometry[code].boundary.distance(point) < TIE_DISTANCE for code in claimed):
            ties += 1
    return PostgisResult(
        version=version,
        load_seconds=load_seconds,
        runs=runs,
        located=sum(code is not None for code in answers),
        mismatches=len(differing) - ties,
        boundary_ties=ties,
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def report(ours: CivicgridResult, pg: PostgisResult | None, sample: int, seed: int) -> str:
    lines = [
        "## Locator benchmark",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores (nproc), {cpu_model()}, {platform.platform()}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string})",
        f"- PostGIS: {pg.version if pg else 'not run'}",
        f"- data: demo city {CITY}, {ours.grids:,} grids (planned in {ours.plan_seconds:.1f} s);"
        f" {ours.points:,} uniform random points over the city's bounding box, seed {seed}",
        "",
        "| | points | seconds | points/s |",
        "|---|---:|---:|---:|",
        f"| civicgrid `locate_many` (1 thread, best run) | {ours.points:,} | "
        f"{ours.query_seconds:.3f} | {ours.points_per_second:,.0f} |",
    ]
    if pg:
        for run in pg.runs:
            plural = "connection" if run.connections == 1 else "connections"
            lines.append(
                f"| PostGIS `ST_Contains` + GiST, {run.connections} {plural} | {run.points:,} | "
                f"{run.seconds:.3f} | {run.points_per_second:,.0f} |"
            )
        ratio = ours.points_per_second / pg.best.points_per_second
        lines += [
            "",
            f"**civicgrid / PostGIS (best PostGIS run): {ratio:,.0f}×**",
        ]
    lines += [
        "",
        "| civicgrid | |",
        "|---|---:|",
        f"| located | {ours.located:,} of {ours.points:,} |",
        f"| index build | {ours.build_seconds:.2f} s |",
        f"| index size (traced, retained after build) | {ours.index_mb:.0f} MB |",
        f"| build peak (traced) | {ours.build_peak_mb:.0f} MB |",
        f"| `locate_many` peak over 1 call (traced) | {ours.query_peak_mb:.0f} MB |",
        f"| process RSS peak after planning the city | {ours.rss_after_plan_mb:.0f} MB |",
        f"| process RSS peak after building and querying | {ours.rss_peak_mb:.0f} MB |",
    ]
    if pg:
        lines += [
            "",
            f"PostGIS sample: the first {sample:,} of the same points, in batches of "
            f"{PG_BATCH:,} sent as arrays; grids loaded and indexed in {pg.load_seconds:.1f} s.",
            f"On the sample PostGIS located {pg.located:,}; answers differing from civicgrid: "
            f"**{pg.mismatches}** (plus {pg.boundary_ties} boundary ties, points within "
            f"{TIE_DISTANCE:g}° of a grid outline, where ST_Contains says no).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--grids", type=int, default=48_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--pg-sample", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None, help="default: a throwaway cluster")
    parser.add_argument("--no-postgis", action="store_true", help="civicgrid figures only")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    log(f"planning demo city {CITY} with {args.grids:,} grids")
    grids, bounds, plan_seconds = city_grids(args.grids, args.seed)
    lngs, lats = random_points(args.points, bounds, args.seed)
    log("building and timing the civicgrid locator")
    locator, found, ours = bench_civicgrid(grids, lngs, lats, args.repeats, plan_seconds)
    log(f"civicgrid: {ours.points_per_second:,.0f} points/s")

    pg = None
    sample = min(args.pg_sample, args.points)
    if not args.no_postgis:
        with postgres(args.pg_url) as url:
            log(f"PostGIS on a sample of {sample:,} points")
            pg = bench_postgis(url, grids, locator, (lngs[:sample], lats[:sample]), found[:sample])
    print(report(ours, pg, sample, args.seed))


if __name__ == "__main__":
    main()
