"""Per-month counts per grid × risk class: what a monthly report reads instead of events.

A report over 13 months would otherwise scan every event of them (54 M at 100 M archived)
to count a million grid × class cells. Once a month has closed, its counts no longer
change, so the compaction writes them next to the compacted events, in the same folder
and the same crash-safe swap (`compaction`): `rollup.parquet`, one row per month, grid
and class with an event, ordered by grid and class, recording in its metadata which of
the folder's event files it counts.

The rollup's keys are integers, so an engine groups a million cells on numbers rather
than on text: the month as yyyymm, the grid as its code read as a number (a grid code is
15 digits of a division code, which never starts with 0, so the number gives the code
back), the class as its position in the archive's class dictionary (`classes.json` at the
archive's root). The dictionary only grows, at its end, and is stored before any rollup
uses a new position; each rollup records the dictionary it was written with, and is
trusted only while that is the start of the stored one. Each rollup carries an id of its
own, new each time it is written, so that what was computed from a set of rollups (a
month's digest, `diagnosis.digest`) can tell whether they are still the ones in place.

The rule of what is counted under which class lives here once (`COUNTED_SQL`, keyed by
`keyed_sql`): the compaction runs it on a folder's events, and every report engine runs
the same SQL (`diagnosis.definition`) on the events no rollup counts yet (the open month,
a batch archived late into a closed month, an archive written before rollups), so a
report gives the same figures whichever way a month is read.

A rollup is trusted only while every file it names is in its folder and it is of this
format: a folder whose files changed in a way no rollup records, or whose rollup was
written in an earlier format (text keys, or no id of its own), is read from its events until
the compaction's next round writes its rollup again.
"""

import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from civicgrid.archive.store import ROLLUP
from civicgrid.durable import replace_atomically, write_parquet

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

# A month as the rollup keys it (yyyymm), from the archive's text (YYYY-MM).
MONTH_KEY_SQL = "CAST(REPLACE({month}, '-', '') AS INTEGER)"

# The counted events with the rollup's integer keys; `{classes}` is the dictionary as
# (name, position) rows. Only a class in it is counted: the caller gives every class the
# counted events carry (`classes_sql`).
_KEYED_SQL = """
SELECT
  {month_key} AS month_key,
  CAST(counted.grid_code AS BIGINT) AS grid_key,
  classes.class_key,
  counted.events
FROM ({counted}) AS counted
JOIN (VALUES {classes}) AS classes(risk_class, class_key)
  ON counted.risk_class = classes.risk_class
"""

_CLASSES_SQL = "SELECT DISTINCT risk_class FROM ({counted}) AS counted"

ROLLUP_SCHEMA = pa.schema(
    [
        ("month_key", pa.int32()),
        ("grid_key", pa.int64()),
        ("class_key", pa.int32()),
        ("events", pa.int64()),
    ]
)
CLASSES = "classes.json"
_COUNTS_OF = b"civicgrid.counts_of"
_FORMAT = b"civicgrid.rollup_format"
_CLASSES = b"civicgrid.classes"
_ID = b"civicgrid.rollup_id"
# 2: integer keys; 3: each rollup has its own id.
FORMAT = b"3"


class Window(NamedTuple):
    """What a report reads for some months: the rollups to trust, the event files none of
    them counts, the class dictionary the rollups' class keys are positions in, and each
    rollup's id (in the rollups' order)."""

    rollups: list[Path]
    events: list[Path]
    classes: list[str]
    ids: list[str]


class _Trusted(NamedTuple):
    counts_of: list[str]
    id: str


def counted_sql(table: str, where: str = "") -> str:
    """The counting rule over `table`, with an extra condition (`AND …`) when given."""
    return COUNTED_SQL.format(device_alarms=DEVICE_ALARMS, table=table, where=where)


def classes_sql(table: str, where: str = "") -> str:
    """The classes the counted events of `table` carry (one row each)."""
    return _CLASSES_SQL.format(counted=counted_sql(table, where))


def keyed_sql(table: str, classes: Sequence[str], where: str = "") -> str:
    """The counted events of `table` keyed as the rollup keys them; `classes` must hold
    every class they carry (a class key is its position there)."""
    if not classes:
        raise ValueError("keying counted events needs a class dictionary")
    rows = ", ".join(
        f"('{name.replace(chr(39), chr(39) * 2)}', {key})" for key, name in enumerate(classes)
    )
    return _KEYED_SQL.format(
        month_key=MONTH_KEY_SQL.format(month="counted.month"),
        counted=counted_sql(table, where),
        classes=rows,
    )


def stored_classes(root: Path) -> list[str]:
    """The archive's class dictionary (empty before its first rollup)."""
    path = root / CLASSES
    if not path.exists():
        return []
    return list(json.loads(path.read_text("utf-8"))["classes"])


def extend_classes(root: Path, names: Iterable[str]) -> list[str]:
    """The class dictionary with the names it lacks added at its end (in byte order),
    stored (flushed, renamed into place) before it is returned: a rollup written with a
    position is never seen before the position is."""
    known = stored_classes(root)
    new = sorted(set(names) - set(known))
    if not new:
        return known
    known = [*known, *new]
    text = json.dumps({"classes": known}, ensure_ascii=False)
    replace_atomically(root / CLASSES, lambda path: path.write_text(text, "utf-8"))
    return known


def count(events: pa.Table, root: Path) -> tuple[pa.Table, list[str]]:
    """A folder's events as counts per month, grid and class, ordered by grid and class,
    keyed by the archive's class dictionary (extended with the classes they bring)."""
    import duckdb  # noqa: PLC0415 - loaded by the compaction only

    with duckdb.connect(config={"threads": 1}) as connection:
        connection.from_arrow(events).create_view("folder_events")
        found = [row[0] for row in connection.execute(classes_sql("folder_events")).fetchall()]
        classes = extend_classes(root, found)
        if not found:
            return ROLLUP_SCHEMA.empty_table(), classes
        grouped = (
            f"SELECT month_key, grid_key, class_key, CAST(SUM(events) AS BIGINT) AS events "
            f"FROM ({keyed_sql('folder_events', classes)}) AS keyed "
            f"GROUP BY month_key, grid_key, class_key ORDER BY grid_key, class_key, month_key"
        )
        counted = connection.execute(grouped).to_arrow_table()
    return counted.cast(ROLLUP_SCHEMA), classes


def write(folder: Path, names: list[str], events: pa.Table) -> Path:
    """The rollup of `events` (the rows of the files `names`) into `folder`, flushed.

    Written under a hidden name and renamed: a reader sees the whole rollup or none."""
    counted, classes = count(events, _archive_root(folder))
    table = counted.replace_schema_metadata(
        {
            _COUNTS_OF: json.dumps(names).encode(),
            _FORMAT: FORMAT,
            _CLASSES: json.dumps(classes, ensure_ascii=False).encode(),
            _ID: uuid.uuid4().hex.encode(),
        }
    )
    return write_parquet(folder / ROLLUP, table)


def counted_files(folder: Path) -> list[str] | None:
    """The event files the folder's rollup counts, or None when it has none to trust
    (none at all, or one of an earlier format or dictionary)."""
    trusted = _trusted(folder, stored_classes(_archive_root(folder)))
    return None if trusted is None else trusted.counts_of


def rollup_classes(path: Path) -> list[str]:
    """The class dictionary a rollup was written with."""
    return list(json.loads(pq.read_schema(path).metadata[_CLASSES]))


def _trusted(folder: Path, classes: Sequence[str]) -> _Trusted | None:
    path = folder / ROLLUP
    if not path.exists():
        return None
    metadata = pq.read_schema(path).metadata or {}
    if metadata.get(_FORMAT) != FORMAT:
        return None
    own = json.loads(metadata[_CLASSES])
    if own != list(classes[: len(own)]):
        return None
    return _Trusted(list(json.loads(metadata[_COUNTS_OF])), metadata[_ID].decode())


def _archive_root(folder: Path) -> Path:
    """The archive a month's district folder (or its hidden compaction twin) is in."""
    return folder.parent.parent


def drop_leftovers(folder: Path) -> None:
    """Delete a rollup (in a district folder) or a class dictionary (at the archive's
    root) a crash left half-written under its hidden name."""
    for pattern in (f".{ROLLUP}.*.tmp", f".{CLASSES}.*.tmp"):
        for path in folder.glob(pattern):
            path.unlink()


def window_parts(root: Path, months: Iterable[str]) -> Window:
    """What a report reads for `months`: the rollups to trust, the event files none of
    them counts (every file of a folder without a trusted rollup), and the dictionary."""
    classes = stored_classes(root)
    parts = Window([], [], classes, [])
    for month in months:
        for folder in sorted(root.glob(f"month={month}/district=*")):
            files = sorted(p for p in folder.glob("*.parquet") if p.name != ROLLUP)
            trusted = _trusted(folder, classes)
            present = {path.name for path in files}
            if trusted is not None and set(trusted.counts_of) <= present:
                parts.rollups.append(folder / ROLLUP)
                parts.ids.append(trusted.id)
                parts.events.extend(path for path in files if path.name not in trusted.counts_of)
            else:
                parts.events.extend(files)
    return parts


def joined(windows: Iterable[Window]) -> Window:
    """One window of several (`window_parts` of single months, read once and joined for
    each report window they fall in); the dictionary only grows, so the longest read holds
    every other at its start."""
    parts = Window([], [], [], [])
    for part in windows:
        parts.rollups.extend(part.rollups)
        parts.events.extend(part.events)
        parts.ids.extend(part.ids)
        parts = parts._replace(classes=max(parts.classes, part.classes, key=len))
    return parts
