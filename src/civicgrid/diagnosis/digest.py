"""A closed month's digest: each grid × class cell's counts over the month's report window.

A report groups 13 months of rollups into about a million cells (`definition.cells_sql`);
at 100 million events that grouping is most of a report's second. Once the 13 months
have closed and been compacted, their rollups no longer change, and neither does the
grouping: the worker then writes it once (`production.refresh_digests`), and a report of
that month reads it as it is, in the order the engines give it, with no grouping at all.

`digests/month=YYYY-MM.parquet` at the archive's root holds the grouped cells (their
class keys are positions in the digest's own class list), the number of baseline months
holding an event, and the ids of the rollups it was computed from. A digest is trusted
only while the month's window is exactly those rollups and no event file beside them
(`rollup.window_parts`): a batch archived late into any of the 13 months, a rollup
written again, a district folder appearing, and the report is grouped from the rollups
and events again until the next round writes the digest anew. So the figures never
depend on whether a digest was read.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from civicgrid.archive.rollup import Window
from civicgrid.durable import write_parquet

FOLDER = "digests"
_OF = b"civicgrid.digest_of"
_CLASSES = b"civicgrid.classes"
_BASELINE_MONTHS = b"civicgrid.baseline_months"


@dataclass(frozen=True)
class Digest:
    """The grouped cells as an engine gave them (grid key, class key, the four counts;
    ordered by grid, then class), the class names the keys index, the baseline months."""

    table: pa.Table
    classes: tuple[str, ...]
    baseline_months: int


@dataclass(frozen=True)
class Current:
    """A stored digest found current: its figures are read only when asked for."""

    path: Path
    baseline_months: int

    def read(self) -> Digest:
        table = pq.read_table(self.path)
        classes = json.loads((table.schema.metadata or {})[_CLASSES])
        return Digest(table.replace_schema_metadata(None), tuple(classes), self.baseline_months)


def path_of(root: Path, month: str) -> Path:
    return root / FOLDER / f"month={month}.parquet"


def current(root: Path, month: str, parts: Window) -> Current | None:
    """The month's digest when it counts exactly the window `parts` (its rollups by id, no
    event beside them), else None; only its footer is read."""
    path = path_of(root, month)
    if parts.events or not parts.ids or not path.exists():
        return None
    metadata = pq.read_schema(path).metadata or {}
    if metadata.get(_OF) is None or json.loads(metadata[_OF]) != sorted(parts.ids):
        return None
    return Current(path, int(metadata[_BASELINE_MONTHS]))


def write(root: Path, month: str, parts: Window, digest: Digest) -> Path:
    """Store the digest of the window `parts` for `month`, whole or not at all: written
    under a hidden name, flushed, renamed into place (a leftover of a crash is deleted
    before the next write)."""
    target = path_of(root, month)
    target.parent.mkdir(exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink()
    table = digest.table.replace_schema_metadata(
        {
            _OF: json.dumps(sorted(parts.ids)).encode(),
            _CLASSES: json.dumps(list(digest.classes), ensure_ascii=False).encode(),
            _BASELINE_MONTHS: str(digest.baseline_months).encode(),
        }
    )
    return write_parquet(target, table)
