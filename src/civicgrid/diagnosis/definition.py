"""The monthly report's one definition, as SQL written once and transpiled per engine.

It reads counts, not events: each closed month's counts per grid × class are kept in a
rollup when the month is compacted (`archive.rollup`), so a report over 13 months sums
about a million counts a month rather than scanning every event. The events no rollup
counts yet (the open month, a late batch, an older archive) are counted by the same rule
in the same query, so the figures do not depend on which months have rollups.

Why SQL through sqlglot rather than Ibis expressions:

- The report is one grouped count with conditional sums: plain SQL says it in a dozen
  lines that a database administrator can read and run by hand on any of the engines.
- sqlglot is a pure-Python library with no engine drivers of its own; Ibis would add
  pandas and a separate backend package per engine (and pins of each engine's version),
  which an offline government intranet has to carry and keep in step.
- The statistics (the Poisson test, false-discovery control, ranking) run in Python on
  the grouped counts, which are identical across engines; only the heavy part, the
  scan and grouping of millions of events, is pushed into the engine.

The SQL is written in DuckDB's dialect (the embedded default) and transpiled to
PostgreSQL and Spark SQL; a test runs all three on one archive and compares. The grouping
runs on the rollup's integer keys (the month as yyyymm, the grid code as a number, the
class as its position in the archive's class dictionary: `archive.rollup`), the events
no rollup counts keyed alike by the same rule, and the cells come back ordered by those
keys; `engines` turns them back into codes and names.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlglot

from civicgrid.archive.rollup import MONTH_KEY_SQL, counted_sql, keyed_sql
from civicgrid.archive.rollup import classes_sql as rollup_classes_sql
from civicgrid.errors import Invalid

SOURCE_DIALECT = "duckdb"
EVENTS = "events"
ROLLUPS = "rollups"
BASELINE_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The window's counts per month, grid and class, keyed by integers: the closed months'
# rollups as they are, each event no rollup counts yet as a count of 1, keyed by the
# archive's one rule (`rollup.keyed_sql`).
_FROM_ROLLUPS = """
SELECT month_key, grid_key, class_key, events FROM {rollups}
WHERE month_key >= {year_ago} AND month_key <= {month}
"""
_IN_WINDOW = " AND month >= '{year_ago}' AND month <= '{month}'"

_CELLS = """
SELECT
  grid_key,
  class_key,
  CAST(SUM(CASE WHEN month_key = {month} THEN events ELSE 0 END) AS BIGINT) AS events,
  CAST(SUM(CASE WHEN month_key = {previous} THEN events ELSE 0 END) AS BIGINT) AS previous_month,
  CAST(SUM(CASE WHEN month_key = {year_ago} THEN events ELSE 0 END) AS BIGINT) AS year_ago,
  CAST(SUM(CASE WHEN month_key < {month} THEN events ELSE 0 END) AS BIGINT) AS baseline
FROM ({counts}) AS counts
GROUP BY grid_key, class_key
ORDER BY grid_key, class_key
"""

# Which months hold a counted event: no class is needed, so the events are not keyed.
_MONTHS_OF_ROLLUPS = """
SELECT month_key FROM {rollups} WHERE month_key >= {first} AND month_key < {month}
"""
_MONTHS_OF_EVENTS = "SELECT {month_key} AS month_key FROM ({counted}) AS counted"


@dataclass(frozen=True)
class Sources:
    """Where an engine keeps the window's counts: a rollup table and an events table (the
    events no rollup counts), either absent (None) when the window has none of it; and
    the class dictionary, whose positions are the class keys (`Window.classes` plus any
    class the events bring that it lacks: `extended`)."""

    rollups: str | None = ROLLUPS
    events: str | None = EVENTS
    classes: tuple[str, ...] = ()


def parse_month(text: str | None) -> str:
    """A month as YYYY-MM (01–12), or a 4xx error naming the field."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise Invalid("analysis_month_invalid", field="month", value=text or "")
    return text or ""


def shift(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window(month: str) -> list[str]:
    """The report month and the twelve before it: the baseline and the year-ago month."""
    return [shift(month, -offset) for offset in range(BASELINE_MONTHS, -1, -1)]


def month_key(month: str) -> int:
    """A month (YYYY-MM) as the rollup keys it: yyyymm."""
    return int(month[:4]) * 100 + int(month[5:])


def cells_sql(month: str, dialect: str, sources: Sources = Sources()) -> str:
    """Counts per grid × class key: this month, last month, a year ago, the 12 before;
    ordered by grid key, then class key."""
    return _render(
        _CELLS.format(
            month=month_key(parse_month(month)),
            previous=month_key(shift(month, -1)),
            year_ago=month_key(shift(month, -BASELINE_MONTHS)),
            counts=_counts(month, sources),
        ),
        dialect,
    )


def months_sql(month: str, dialect: str, sources: Sources = Sources()) -> str:
    """Which of the 12 baseline months the archive holds any counted event of."""
    first = shift(parse_month(month), -BASELINE_MONTHS)
    parts = []
    if sources.rollups is not None:
        rollups = _checked(sources.rollups)
        parts.append(
            _MONTHS_OF_ROLLUPS.format(
                rollups=rollups, first=month_key(first), month=month_key(month)
            )
        )
    if sources.events is not None:
        where = f" AND month >= '{first}' AND month < '{month}'"
        counted = counted_sql(_checked(sources.events), where)
        parts.append(_MONTHS_OF_EVENTS.format(month_key=_events_month_key(), counted=counted))
    return _render(f"SELECT DISTINCT month_key FROM ({_union(parts)}) AS months", dialect)


def classes_sql(month: str, dialect: str, events: str) -> str:
    """The classes the window's counted events in `events` carry, one row each."""
    bounds = {"year_ago": shift(parse_month(month), -BASELINE_MONTHS), "month": month}
    return _render(rollup_classes_sql(_checked(events), _IN_WINDOW.format(**bounds)), dialect)


def extended(classes: Sequence[str], found: Iterable[str]) -> tuple[str, ...]:
    """The dictionary with the classes the events brought that it lacks at its end (in
    byte order): the rollups' keys keep their meaning, the new classes get keys after."""
    known = set(classes)
    return (*classes, *sorted({name for name in found if name not in known}))


def _counts(month: str, sources: Sources) -> str:
    """The window's counts per month, grid and class key, from whichever sources there are."""
    bounds = {"year_ago": shift(month, -BASELINE_MONTHS), "month": month}
    parts = []
    if sources.rollups is not None:
        parts.append(
            _FROM_ROLLUPS.format(
                rollups=_checked(sources.rollups),
                year_ago=month_key(bounds["year_ago"]),
                month=month_key(month),
            )
        )
    if sources.events is not None:
        table = _checked(sources.events)
        parts.append(keyed_sql(table, sources.classes, _IN_WINDOW.format(**bounds)))
    return _union(parts)


def _union(parts: list[str]) -> str:
    if not parts:
        raise ValueError("a report needs a rollup table, an events table or both")
    return "\nUNION ALL\n".join(parts)


def _events_month_key() -> str:
    return MONTH_KEY_SQL.format(month="counted.month")


def _checked(table: str) -> str:
    if not _TABLE.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def _render(sql: str, dialect: str) -> str:
    return sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect, pretty=True)[0]
