"""Archive writing: events/s from a live database into the Parquet archive.

Two ways over the same rows of one database (the demo city's, on SQLite or PostgreSQL),
in the same run, each `--repeat` times with the archive folder emptied in between:

* the archive writer itself (`civicgrid.archive.service.append`, what `civicgrid analysis
  archive` and the worker run): batches past the watermarks, the rows' facts as Python
  objects, one file per batch and partition written atomically and fsynced, the watermark
  committed per batch; the watermarks are reset before each run;
* the bare alternative: one plain SELECT per source of the same columns, straight into
  Arrow columns, the local month computed in Arrow, and `pyarrow.dataset` writing the
  month/district partitions (no batches, no watermark, no fsync, no personal-data rule).

    .venv/bin/python bench/archive_write.py --url DATABASE_URL --out FOLDER [--repeat 3]

It deletes the database's archive watermarks before each writer run: give it a copy.
"""

import argparse
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Alarm
from civicgrid.archive.models import ArchiveWatermark
from civicgrid.archive.service import append
from civicgrid.cases.models import Case, CaseAction
from civicgrid.db import create_db_engine
from civicgrid.disputes.models import Dispute
from civicgrid.sources.models import ExternalRecord, ExternalSource
from civicgrid.timeutil import utcnow

SELECTS: dict[str, Any] = {
    "case": select(
        Case.id,
        Case.created_at,
        Case.region_code,
        Case.grid_code,
        Case.category_code,
        Case.channel,
        Case.status,
    ),
    "dispute": select(
        Dispute.id, Dispute.created_at, Dispute.region_code, Dispute.kind, Dispute.status
    ),
    "external": select(
        ExternalRecord.id,
        ExternalRecord.occurred_at,
        ExternalRecord.region_code,
        ExternalRecord.grid_code,
        ExternalRecord.risk_class,
        ExternalSource.kind,
        ExternalRecord.status,
    ).join(ExternalSource, ExternalSource.id == ExternalRecord.source_id),
    "case_action": select(
        CaseAction.id,
        CaseAction.created_at,
        Case.region_code,
        Case.grid_code,
        Case.category_code,
        CaseAction.from_status,
        CaseAction.to_status,
    ).join(Case, Case.id == CaseAction.case_id),
    "alarm": select(
        Alarm.id, Alarm.occurred_at, Alarm.region_code, Alarm.alarm_type, Alarm.outcome
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = create_db_engine(args.url)
    writer, bare = [], []
    for _ in range(args.repeat):
        with Session(engine) as db:
            writer.append(_writer(db, args.out / "writer"))
        with Session(engine) as db:
            bare.append(_bare(db, args.out / "bare"))
    engine.dispose()
    best_writer = min(writer, key=lambda run: run[1])
    best_bare = min(bare, key=lambda run: run[1])
    name = args.url.split(":", 1)[0]
    print(f"## {name}: best of {args.repeat}, load {os.getloadavg()[0]:.1f}")
    print("| path | events | seconds | events/s | files |\n|---|---:|---:|---:|---:|")
    for label, (events, seconds, files) in (("writer", best_writer), ("bare", best_bare)):
        print(f"| {label} | {events:,} | {seconds:.2f} | {events / seconds:,.0f} | {files} |")
    print(f"writer / bare time ratio: {best_writer[1] / best_bare[1]:.1f}")


def _writer(db: Session, root: Path) -> tuple[int, float, int]:
    shutil.rmtree(root, ignore_errors=True)
    db.execute(delete(ArchiveWatermark))
    db.commit()
    started = time.perf_counter()
    done = append(db, root=root, now=utcnow() + timedelta(days=1))
    seconds = time.perf_counter() - started
    _say("writer", done.total, seconds)
    return done.total, seconds, done.files


def _bare(db: Session, root: Path) -> tuple[int, float, int]:
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    total = files = 0
    for source, query in SELECTS.items():
        rows = db.execute(query).all()
        if not rows:
            continue
        columns = list(zip(*rows, strict=True))
        table = pa.table({f"c{n}": pa.array(column) for n, column in enumerate(columns)})
        when = pc.assume_timezone(table.column("c1"), "UTC") if _naive(table) else table["c1"]
        local = pc.local_timestamp(pc.cast(when, pa.timestamp("us", "Asia/Shanghai")))
        table = table.append_column("month", pc.strftime(local, "%Y-%m"))
        table = table.append_column("district", pc.utf8_slice_codeunits(table["c2"], 0, 6))
        ds.write_dataset(
            table,
            root,
            format="parquet",
            partitioning=["month", "district"],
            partitioning_flavor="hive",
            basename_template=f"{source}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        )
        total += table.num_rows
    files = sum(1 for _ in root.rglob("*.parquet"))
    seconds = time.perf_counter() - started
    _say("bare", total, seconds)
    return total, seconds, files


def _naive(table: pa.Table) -> bool:
    return table.schema.field("c1").type.tz is None


def _say(label: str, events: int, seconds: float) -> None:
    load = os.getloadavg()[0]
    print(f"  {label}: {events:,} events in {seconds:.2f} s, load {load:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
