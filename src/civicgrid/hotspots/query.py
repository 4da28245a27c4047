"""The hotspot counts, run on DuckDB over the Parquet archive (the embedded default).

Two grouped counts over the window's month partitions: events per H3 hexagon, and per
local day of the week × hour. Both count only events with a risk class of the asked ones
whose region lies inside every prefix given (the caller's jurisdiction and the asked
region), so a caller's figures are computed from their own area's events alone.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicgrid.archive.store import month_files
from civicgrid.hotspots.window import Window

DAYS = 7
HOURS = 24
_UTC_OFFSET_SECONDS = 8 * 3600  # Asia/Shanghai: no daylight saving since 1991

_WHERE = """
occurred_at >= ? AND occurred_at < ?
AND risk_class IS NOT NULL AND list_contains(?, risk_class)
AND starts_with(region_code, ?) AND starts_with(region_code, ?)
"""

_CELLS = f"""
SELECT h3_cell, COUNT(*) AS events FROM events
WHERE h3_cell IS NOT NULL AND {_WHERE}
GROUP BY h3_cell
"""

# 1970-01-01 was a Thursday: with Monday as 0, day d since the epoch is weekday (d + 3) % 7.
_HOURS = f"""
SELECT
  CAST((floor((epoch(occurred_at) + {_UTC_OFFSET_SECONDS}) / 86400) + 3) % 7 AS INTEGER) AS day,
  CAST(floor((epoch(occurred_at) + {_UTC_OFFSET_SECONDS}) / 3600) % 24 AS INTEGER) AS hour,
  COUNT(*) AS events
FROM events
WHERE {_WHERE}
GROUP BY 1, 2
"""


@dataclass(frozen=True)
class Question:
    window: Window
    classes: tuple[str, ...]
    scope_prefix: str
    region_prefix: str

    def parameters(self) -> list[Any]:
        return [
            self.window.start,
            self.window.end,
            list(self.classes),
            self.scope_prefix,
            self.region_prefix,
        ]


@contextmanager
def _events(root: Path, window: Window) -> Iterator[tuple[Any, set[str]] | None]:
    """A DuckDB connection with the window's files as the view `events` (by column name, so
    files from before `h3_cell` read it as null), and the columns the files have."""
    import duckdb  # noqa: PLC0415 - loaded by the first question, not at server start

    files = [str(path) for path in month_files(root, window.months())]
    if not files:
        yield None
        return
    with duckdb.connect() as connection:
        relation = connection.read_parquet(files, union_by_name=True)
        relation.create_view("events")
        yield connection, set(relation.columns)


def cell_counts(root: Path, question: Question) -> dict[str, int]:
    """Events per H3 hexagon."""
    with _events(root, question.window) as found:
        if found is None or "h3_cell" not in found[1]:
            return {}
        rows = found[0].execute(_CELLS, question.parameters()).fetchall()
    return {cell: int(events) for cell, events in rows}


def hour_counts(root: Path, question: Question) -> list[list[int]]:
    """Events per local weekday (Monday first) × hour (0–23), located or not."""
    matrix = [[0] * HOURS for _ in range(DAYS)]
    with _events(root, question.window) as found:
        if found is None:
            return matrix
        for day, hour, events in found[0].execute(_HOURS, question.parameters()).fetchall():
            matrix[day][hour] = int(events)
    return matrix
