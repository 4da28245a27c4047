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
PostgreSQL and Spark SQL; a test runs all three on one archive and compares. The cells
come back ordered by grid and class in byte order on every engine (PostgreSQL is told
`COLLATE "C"`, since its default order follows the server's locale), so the report needs
no sort of its own.
"""

import re
from dataclasses import dataclass
from datetime import date

import sqlglot

from civicgrid.archive.rollup import counted_sql
from civicgrid.errors import Invalid

SOURCE_DIALECT = "duckdb"
EVENTS = "events"
ROLLUPS = "rollups"
BASELINE_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The window's counts per month, grid and class: the closed months' rollups as they are,
# each event no rollup counts yet as a count of 1, by the archive's one rule
# (`rollup.COUNTED_SQL`).
_FROM_ROLLUPS = """
SELECT month, grid_code, risk_class, events FROM {rollups}
WHERE month >= '{year_ago}' AND month <= '{month}'
"""
_IN_WINDOW = " AND month >= '{year_ago}' AND month <= '{month}'"

_CELLS = """
SELECT
  grid_code,
  risk_class,
  SUM(CASE WHEN month = '{month}' THEN events ELSE 0 END) AS events,
  SUM(CASE WHEN month = '{previous}' THEN events ELSE 0 END) AS previous_month,
  SUM(CASE WHEN month = '{year_ago}' THEN events ELSE 0 END) AS year_ago,
  SUM(CASE WHEN month < '{month}' THEN events ELSE 0 END) AS baseline
FROM ({counts}) AS counts
GROUP BY grid_code, risk_class
"""

_ORDER = "ORDER BY grid_code, risk_class"
_BYTE_ORDER = {"postgres": 'ORDER BY grid_code COLLATE "C", risk_class COLLATE "C"'}

_MONTHS = """
SELECT DISTINCT month FROM ({counts}) AS counts WHERE month >= '{first}' AND month < '{month}'
"""


@dataclass(frozen=True)
class Sources:
    """Where an engine keeps the window's counts: a rollup table and an events table (the
    events no rollup counts), either absent (None) when the window has none of it."""

    rollups: str | None = ROLLUPS
    events: str | None = EVENTS


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


def cells_sql(month: str, dialect: str, sources: Sources = Sources()) -> str:
    """Counts per grid × risk class: this month, last month, a year ago, the 12 before;
    ordered by grid code, then class, in byte order."""
    grouped = _render(
        _CELLS.format(
            month=parse_month(month),
            previous=shift(month, -1),
            year_ago=shift(month, -BASELINE_MONTHS),
            counts=_counts(month, sources),
        ),
        dialect,
    )
    # Ordered outside the grouping: PostgreSQL reads `risk_class COLLATE "C"` in an ORDER BY
    # as the table's column, not the grouped column named after it.
    return f"SELECT * FROM (\n{grouped}\n) AS cells\n{_BYTE_ORDER.get(dialect, _ORDER)}"


def months_sql(month: str, dialect: str, sources: Sources = Sources()) -> str:
    """Which of the 12 baseline months the archive holds any counted event of."""
    first = shift(parse_month(month), -BASELINE_MONTHS)
    return _render(
        _MONTHS.format(first=first, month=month, counts=_counts(month, sources)), dialect
    )


def _counts(month: str, sources: Sources) -> str:
    """The window's counts per month, grid and class, from whichever sources there are."""
    bounds = {"year_ago": shift(month, -BASELINE_MONTHS), "month": month}
    parts = []
    if sources.rollups is not None:
        parts.append(_FROM_ROLLUPS.format(rollups=_checked(sources.rollups), **bounds))
    if sources.events is not None:
        parts.append(counted_sql(_checked(sources.events), _IN_WINDOW.format(**bounds)))
    if not parts:
        raise ValueError("a report needs a rollup table, an events table or both")
    return "\nUNION ALL\n".join(parts)


def _checked(table: str) -> str:
    if not _TABLE.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def _render(sql: str, dialect: str) -> str:
    return sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect, pretty=True)[0]
