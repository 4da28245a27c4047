"""Per-month counts per grid × risk class: what a monthly report reads instead of events.

A report over 13 months would otherwise scan every event of them (54 M at 100 M archived)
to count a million grid × class cells. Once a month has closed, its counts no longer
change, so the compaction writes them next to the compacted events, in the same folder
and the same crash-safe swap (`compaction`): `rollup.parquet`, one row per month, grid
and class with an event, ordered by grid and class, recording in its metadata which of
the folder's event files it counts.

The rule of what is counted under which class lives here once (`COUNTED_SQL`): the
compaction runs it on a folder's events, and every report engine runs the same SQL
(`diagnosis.definition`) on the events no rollup counts yet (the open month, a batch
archived late into a closed month, an archive written before rollups), so a report
gives the same figures whichever way a month is read.

A rollup is trusted only while every file it names is in its folder: a folder whose
files changed in a way no rollup records is read from its events.
"""

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from civicgrid.archive.store import ROLLUP, fsync_dir

# Device alarms (sensor readings' threshold crossings among them) as a class of their own:
# an archived alarm has no risk class (the case it opens is counted in its class), so it
# is counted here under this name and the report keeps it out of each grid's total.
DEVICE_ALARMS = "device_alarms"

# In DuckDB's dialect; `diagnosis.definition` transpiles it for the other engines. One row
# per counted event (its count, 1): a report sums these beside the rollups without grouping
# them twice, and the compaction groups them into the rollup.
COUNTED_SQL = """
SELECT
  month,
  grid_code,
  COALESCE(risk_class, '{device_alarms}') AS risk_class,
  1 AS events
FROM {table}
WHERE grid_code IS NOT NULL AND (risk_class IS NOT NULL OR source = 'alarm'){where}
"""

ROLLUP_SCHEMA = pa.schema(
    [
        ("month", pa.string()),
        ("grid_code", pa.string()),
        ("risk_class", pa.string()),
        ("events", pa.int64()),
    ]
)
_COUNTS_OF = b"civicgrid.counts_of"


def counted_sql(table: str, where: str = "") -> str:
    """The counting rule over `table`, with an extra condition (`AND …`) when given."""
    return COUNTED_SQL.format(device_alarms=DEVICE_ALARMS, table=table, where=where)


def count(events: pa.Table) -> pa.Table:
    """A folder's events as counts per month, grid and class, ordered by grid and class."""
    import duckdb  # noqa: PLC0415 - loaded by the compaction only

    grouped = (
        f"SELECT month, grid_code, risk_class, SUM(events) AS events "
        f"FROM ({counted_sql('folder_events')}) AS counted "
        f"GROUP BY month, grid_code, risk_class ORDER BY grid_code, risk_class, month"
    )
    with duckdb.connect(config={"threads": 1}) as connection:
        connection.from_arrow(events).create_view("folder_events")
        counted = connection.execute(grouped).to_arrow_table()
    return counted.cast(ROLLUP_SCHEMA)


def write(folder: Path, names: list[str], events: pa.Table) -> Path:
    """The rollup of `events` (the rows of the files `names`) into `folder`, flushed.

    Written under a hidden name and renamed: a reader sees the whole rollup or none."""
    table = count(events).replace_schema_metadata({_COUNTS_OF: json.dumps(names).encode()})
    target = folder / ROLLUP
    temporary = folder / f".{ROLLUP}.{os.getpid()}.tmp"
    pq.write_table(table, temporary, compression="zstd")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    fsync_dir(folder)
    return target


def counted_files(folder: Path) -> list[str] | None:
    """The event files the folder's rollup counts, or None when it has none."""
    path = folder / ROLLUP
    if not path.exists():
        return None
    return list(json.loads(pq.read_schema(path).metadata[_COUNTS_OF]))


def drop_leftovers(folder: Path) -> None:
    """Delete a rollup a crash left half-written under its hidden name."""
    for path in folder.glob(f".{ROLLUP}.*.tmp"):
        path.unlink()


def window_parts(root: Path, months: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """What a report reads for `months`: the rollups to trust, and the event files none of
    them counts (every file of a folder without a trusted rollup)."""
    rollups: list[Path] = []
    events: list[Path] = []
    for month in months:
        for folder in sorted(root.glob(f"month={month}/district=*")):
            files = sorted(p for p in folder.glob("*.parquet") if p.name != ROLLUP)
            counted = counted_files(folder)
            present = {path.name for path in files}
            if counted is not None and set(counted) <= present:
                rollups.append(folder / ROLLUP)
                events.extend(path for path in files if path.name not in counted)
            else:
                events.extend(files)
    return rollups, events
