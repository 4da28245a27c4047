"""The monthly report's one definition, as SQL written once and transpiled per engine.

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
from datetime import date

import sqlglot

from civicgrid.errors import Invalid

SOURCE_DIALECT = "duckdb"
EVENTS = "events"
BASELINE_MONTHS = 12
# Device alarms (sensor readings' threshold crossings among them) as a class of their own:
# an archived alarm has no risk class (the case it opens is counted in its class), so it
# is counted here under this name and the report keeps it out of each grid's total.
DEVICE_ALARMS = "device_alarms"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_CELLS = """
SELECT
  grid_code,
  COALESCE(risk_class, '{device_alarms}') AS risk_class,
  SUM(CASE WHEN month = '{month}' THEN 1 ELSE 0 END) AS events,
  SUM(CASE WHEN month = '{previous}' THEN 1 ELSE 0 END) AS previous_month,
  SUM(CASE WHEN month = '{year_ago}' THEN 1 ELSE 0 END) AS year_ago,
  SUM(CASE WHEN month < '{month}' THEN 1 ELSE 0 END) AS baseline
FROM {table}
WHERE month >= '{year_ago}' AND month <= '{month}'
  AND grid_code IS NOT NULL AND (risk_class IS NOT NULL OR source = 'alarm')
GROUP BY grid_code, COALESCE(risk_class, '{device_alarms}')
"""

_ORDER = "ORDER BY grid_code, risk_class"
_BYTE_ORDER = {"postgres": 'ORDER BY grid_code COLLATE "C", risk_class COLLATE "C"'}

_MONTHS = """
SELECT DISTINCT month FROM {table} WHERE month >= '{first}' AND month < '{month}'
"""


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


def cells_sql(month: str, dialect: str, table: str = EVENTS) -> str:
    """Counts per grid × risk class: this month, last month, a year ago, the 12 before;
    ordered by grid code, then class, in byte order."""
    grouped = _render(
        _CELLS.format(
            month=parse_month(month),
            previous=shift(month, -1),
            year_ago=shift(month, -BASELINE_MONTHS),
            table=_checked(table),
            device_alarms=DEVICE_ALARMS,
        ),
        dialect,
    )
    # Ordered outside the grouping: PostgreSQL reads `risk_class COLLATE "C"` in an ORDER BY
    # as the table's column, not the grouped COALESCE named after it.
    return f"SELECT * FROM (\n{grouped}\n) AS cells\n{_BYTE_ORDER.get(dialect, _ORDER)}"


def months_sql(month: str, dialect: str, table: str = EVENTS) -> str:
    """Which of the 12 baseline months the archive holds any event of."""
    first = shift(parse_month(month), -BASELINE_MONTHS)
    return _render(_MONTHS.format(first=first, month=month, table=_checked(table)), dialect)


def _checked(table: str) -> str:
    if not _TABLE.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def _render(sql: str, dialect: str) -> str:
    return sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect, pretty=True)[0]
