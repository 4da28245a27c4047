"""The Parquet files on disk: atomic writes, and the repair that makes a rerun exactly-once.

Layout: `<root>/month=YYYY-MM/district=DDDDDD/<source>-<first id>-<last id>.parquet`, one
file per partition a batch touches, all named after the batch's id range. A file appears
only whole (written under a hidden temporary name, flushed, then renamed), and the
watermark moves only after every file of its batch is in place. So after a crash the
files past the watermark are exactly those of the unfinished batch: `repair` deletes
them and the batch is written again, from the same rows, under the watermark's rule.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from civicgrid.archive.events import ArchiveEvent, to_table
from civicgrid.durable import write_parquet

FILE_NAME = re.compile(r"^(?P<source>[a-z_]+)-(?P<first>\d{12})-(?P<last>\d{12})\.parquet$")
# A closed month's counts per grid × class, beside its events (`archive.rollup`).
ROLLUP = "rollup.parquet"


def partition_dir(root: Path, month: str, district: str) -> Path:
    return root / f"month={month}" / f"district={district}"


def write_batch(root: Path, source: str, events: list[ArchiveEvent]) -> list[Path]:
    """Write one batch of a source's events, one file per (month, district), each atomically."""
    first, last = events[0].source_id, events[-1].source_id
    table = to_table(events)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    months, districts = table.column("month").to_pylist(), table.column("district").to_pylist()
    for row, key in enumerate(zip(months, districts, strict=True)):
        groups[key].append(row)
    written = []
    for (month, district), rows in sorted(groups.items()):
        folder = partition_dir(root, month, district)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{source}-{first:012d}-{last:012d}.parquet"
        write_parquet(target, table.take(rows))
        written.append(target)
    return written


def repair(root: Path, source: str, watermark: int) -> int:
    """Delete what an interrupted run left: temporary files and files past the watermark."""
    removed = 0
    if not root.exists():
        return removed
    for path in root.glob("month=*/district=*/*"):
        match = FILE_NAME.match(path.name)
        leftover = path.name.startswith(f".{source}-") and path.name.endswith(".tmp")
        if leftover or (match and match["source"] == source and int(match["first"]) > watermark):
            path.unlink()
            removed += 1
    return removed


def month_files(root: Path, months: Iterable[str]) -> list[Path]:
    """Every event file of the given months (the partition folders make this a listing)."""
    files: list[Path] = []
    for month in months:
        found = root.glob(f"month={month}/district=*/*.parquet")
        files.extend(sorted(path for path in found if path.name != ROLLUP))
    return files
