"""Importing a 110 export through a saved mapping: rows per second, and a second import.

A year of police incidents over the reference city's grids is written as the police
system exports it (CSV with the caller's name and phone, a point per record), then
`sources.importer.import_records` takes it in on each database: the first import
stores every record, the second finds every record already stored and adds nothing.

    PYTHONPATH=src .venv/bin/python bench/sources_import.py --records 100000 \
        --sqlite var/bench-sources.db --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_sources
"""

import argparse
import csv
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.geo.service import GridIndex, save_regions
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import SourceKind
from civicgrid.sources.schemas import SourceIn
from civicgrid.sources.service import save_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry_city import CITY, SURNAMES, GridSpot, grid_spots, reference_plan

HEADINGS = ("警情编号", "接警时间", "警情类别", "处警结果", "报警人", "报警电话", "经度", "纬度")
TYPES = {
    "盗窃": "theft",
    "电信诈骗": "fraud",
    "邻里纠纷": "neighbour_disputes",
    "噪音扰民": "noise",
}
MAPPING = {
    "columns": {
        "record_id": "警情编号",
        "occurred_at": "接警时间",
        "type": "警情类别",
        "status": "处警结果",
        "lng": "经度",
        "lat": "纬度",
    },
    "classes": TYPES,
}
START = datetime(2025, 11, 1)


def write_export(path: Path, spots: list[GridSpot], records: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        for number in range(records):
            spot = rng.choice(spots)
            moment = START + timedelta(seconds=rng.randrange(365 * 86400))
            writer.writerow(
                [
                    f"JQ{number:09d}",
                    f"{moment:%Y-%m-%d %H:%M:%S}",
                    rng.choice(list(TYPES)),
                    "已处警",
                    rng.choice(SURNAMES)[0] + "某",
                    f"139{rng.randrange(10**8):08d}",
                    f"{spot.lng:.6f}",
                    f"{spot.lat:.6f}",
                ]
            )


def run(url: str, grids: int, export: Path) -> None:
    plan = reference_plan(grids)
    database = create_db_engine(url)
    upgrade_database(database)
    admin = Actor(kind="console", role=Role.ADMIN, scope_code=CITY, username="bench")
    with Session(database, expire_on_commit=False) as db:
        save_regions(db, plan.regions, kind="bench", summary="bench/sources_import.py")
        data = SourceIn(kind=SourceKind.POLICE_110, mapping=MAPPING)
        source = save_source(db, actor=admin, name="bench-110", data=data)
        db.commit()
        index = GridIndex()
        for attempt in ("first", "again"):
            started = time.perf_counter()
            report = import_records(db, export, source=source, actor=admin, grid_index=index)
            db.commit()
            seconds = time.perf_counter() - started
            print(
                f"{database.dialect.name:10s} {attempt:5s} read {report.rows_read:7d} "
                f"stored {report.imported:7d} already {report.duplicates:7d} "
                f"errors {report.error_count} {seconds:6.2f} s "
                f"{report.rows_read / seconds:8.0f} rows/s"
            )
    database.dispose()


def fresh_postgres(url: str) -> str:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--sqlite", type=Path, default=Path("var/bench-sources.db"))
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args()
    export = options.sqlite.with_suffix(".csv")
    options.sqlite.parent.mkdir(parents=True, exist_ok=True)
    options.sqlite.unlink(missing_ok=True)
    write_export(export, grid_spots(reference_plan(options.grids)), options.records, options.seed)
    run(f"sqlite:///{options.sqlite.as_posix()}", options.grids, export)
    if options.pg_url:
        run(fresh_postgres(options.pg_url), options.grids, export)


if __name__ == "__main__":
    main()
