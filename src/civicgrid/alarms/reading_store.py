"""Sensor readings on disk: append-only Parquet files by local day and district.

Layout: `<archive dir>/readings/day=YYYY-MM-DD/district=DDDDDD/r-<flush ms>-<writer>.parquet`.
Each flush of the readings pipeline writes one file per (day, district) it touches, all
named after the flush's moment (milliseconds since the epoch, UTC) and its writer. A
file appears only whole: written under a hidden temporary name, synced, renamed, and
its folder synced. The flush moment in the name is how a restarted listener finds the
newest files again (`recent_files`) without opening the rest.

The day is the city's (Asia/Shanghai), like the event archive's month, and the
retention deletes whole day folders (`expire`).
"""

import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from civicgrid.durable import write_parquet
from civicgrid.timeutil import DISPLAY_ZONE

SUBFOLDER = "readings"
_FILE = re.compile(r"^r-(?P<flushed>\d{13})-(?P<writer>[A-Za-z0-9_]+)\.parquet$")
_DAY = re.compile(r"^day=(?P<day>\d{4}-\d{2}-\d{2})$")

SCHEMA = pa.schema(
    [
        ("device_code", pa.string()),
        ("device_kind", pa.string()),
        ("measure", pa.string()),
        ("measured_at", pa.timestamp("us", tz="UTC")),
        ("value", pa.float64()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("region_code", pa.string()),
        ("district", pa.string()),
        ("day", pa.string()),
    ]
)
"""The readings' columns. `day` (local) and `district` (six digits) are also the partition
folders, kept inside the files too so every engine reads them as plain columns."""


@dataclass
class Columns:
    """Readings gathered column by column, the way Arrow takes them without a row object each."""

    device_code: list[str]
    device_kind: list[str]
    measure: list[str]
    measured_at: list[datetime]
    value: list[float]
    received_at: list[datetime]
    region_code: list[str]

    @classmethod
    def empty(cls) -> "Columns":
        return cls([], [], [], [], [], [], [])

    def __len__(self) -> int:
        return len(self.value)

    def table(self) -> pa.Table:
        """The readings with their local day and district worked out by Arrow, not per row."""
        measured = pa.array(self.measured_at, type=pa.timestamp("us", tz="UTC"))
        regions = pa.array(self.region_code, type=pa.string())
        return pa.Table.from_arrays(
            [
                pa.array(self.device_code, type=pa.string()),
                pa.array(self.device_kind, type=pa.string()),
                pa.array(self.measure, type=pa.string()),
                measured,
                pa.array(self.value, type=pa.float64()),
                pa.array(self.received_at, type=pa.timestamp("us", tz="UTC")),
                regions,
                pc.utf8_slice_codeunits(regions, 0, 6),
                local_days(measured),
            ],
            schema=SCHEMA,
        )


def local_days(measured: pa.Array) -> pa.Array:
    """YYYY-MM-DD in the city for each UTC time, by arithmetic: the city's zone keeps one
    offset all year (no summer time since 1991), and Arrow's strftime costs four times as much."""
    offset = DISPLAY_ZONE.utcoffset(datetime(2026, 1, 1)) or timedelta(0)
    assert offset == DISPLAY_ZONE.utcoffset(datetime(2026, 7, 1)), "a zone with summer time"
    local = pc.add(measured.cast(pa.int64()), offset // timedelta(microseconds=1))
    days = pc.floor(pc.divide(local.cast(pa.float64()), DAY_MICROSECONDS))
    return days.cast(pa.int32()).cast(pa.date32()).cast(pa.string())


DAY_MICROSECONDS = 86_400_000_000


def readings_root(archive_dir: Path) -> Path:
    return archive_dir / SUBFOLDER


def partition_dir(root: Path, day: str, district: str) -> Path:
    return root / f"day={day}" / f"district={district}"


def write_flush(root: Path, table: pa.Table, *, flushed_at: datetime, writer: str) -> list[Path]:
    """One file per (day, district) of the table, each renamed into place whole."""
    stamp = int(flushed_at.timestamp() * 1000)
    keys = pc.binary_join_element_wise(table["day"], table["district"], "/")
    written = []
    for key in sorted(pc.unique(keys).to_pylist()):
        day, district = key.split("/")
        folder = partition_dir(root, day, district)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"r-{stamp:013d}-{writer}.parquet"
        write_parquet(target, table.filter(pc.equal(keys, key)))
        written.append(target)
    return written


def day_folders(root: Path) -> list[tuple[date, Path]]:
    found = []
    for folder in root.glob("day=*") if root.exists() else ():
        match = _DAY.match(folder.name)
        if match:
            found.append((date.fromisoformat(match["day"]), folder))
    return sorted(found)


def recent_files(root: Path, *, horizon: timedelta, days: int) -> list[Path]:
    """The files flushed within `horizon` of the newest flush, in the last `days` day folders.

    What a listener wrote and had not yet acknowledged when it died is in its newest
    flush; the horizon also brings back enough readings for the threshold rules.
    """
    folders = day_folders(root)[-days:]
    stamped = [
        (int(match["flushed"]), path)
        for _, folder in folders
        for path in folder.glob("district=*/r-*.parquet")
        if (match := _FILE.match(path.name))
    ]
    if not stamped:
        return []
    newest = max(stamp for stamp, _ in stamped)
    since = newest - int(horizon.total_seconds() * 1000)
    return [path for stamp, path in sorted(stamped) if stamp >= since]


def read_files(paths: Sequence[Path]) -> pa.Table:
    if not paths:
        return SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(path, schema=SCHEMA) for path in paths)


def all_files(root: Path) -> list[Path]:
    return sorted(root.glob("day=*/district=*/r-*.parquet")) if root.exists() else []


def expire(root: Path, *, today: date, keep_days: int) -> list[date]:
    """Delete the day folders older than `keep_days` local days before `today`; returns them.

    Whole folders go, so a reader never sees half a day.
    """
    oldest_kept = today - timedelta(days=keep_days - 1)
    removed = []
    for day, folder in day_folders(root):
        if day < oldest_kept:
            shutil.rmtree(folder)
            removed.append(day)
    return removed


def leftovers(root: Path) -> Iterable[Path]:
    """Temporary files a writer killed mid-write left behind (never read: hidden names)."""
    return root.glob("day=*/district=*/.r-*.tmp") if root.exists() else ()
