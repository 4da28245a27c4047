"""The engines one report definition runs on: DuckDB, PostgreSQL and Apache Spark.

Each engine answers the same two queries from `definition` (transpiled to its dialect)
over two relations, the closed months' rollups and the events no rollup counts yet, and
hands back the grouped counts as an Arrow table, so everything after the grouping is
the same Python for all three.
"""

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import text

from civicgrid.archive.events import SCHEMA
from civicgrid.archive.rollup import ROLLUP_SCHEMA, window_parts
from civicgrid.diagnosis.definition import EVENTS, ROLLUPS, Sources, cells_sql, months_sql, window

CELL_COLUMNS = ("grid_code", "risk_class", "events", "previous_month", "year_ago", "baseline")


def _window_files(root: Path, month: str) -> tuple[list[str], list[str]]:
    """The window's rollup files and the event files none of them counts."""
    rollups, events = window_parts(root, window(month))
    return [str(path) for path in rollups], [str(path) for path in events]


def _sources(rollups: list[str], events: list[str]) -> Sources:
    return Sources(rollups=ROLLUPS if rollups else None, events=EVENTS if events else None)


class ReportEngine(Protocol):
    name: str

    def cells(self, month: str) -> pa.Table:
        """Counts per grid × risk class over the month's window (`definition.cells_sql`),
        ordered by grid code, then class (byte order)."""

    def baseline_months(self, month: str) -> int:
        """How many of the 12 months before `month` hold any archived event."""


def _normalised(table: pa.Table) -> pa.Table:
    """Same column types from every engine (Spark and PostgreSQL sum to decimals or bigints)."""
    return pa.table(
        {
            "grid_code": table.column("grid_code").cast(pa.string()),
            "risk_class": table.column("risk_class").cast(pa.string()),
            **{name: table.column(name).cast(pa.int64()) for name in CELL_COLUMNS[2:]},
        }
    )


@dataclass
class DuckDBEngine:
    """The embedded default: DuckDB reads the window's rollups and uncounted event files.

    Only the window's 13 month folders are listed (`rollup.window_parts`), so the other
    months are never opened. DuckDB gets every core and a memory cap (`memory_limit`,
    DuckDB's own syntax such as "4GB"; past it the grouping spills to disk instead of
    taking the worker down).
    """

    root: Path
    name: str = "duckdb"
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    memory_limit: str = "4GB"

    def _connection(self, rollups: list[str], events: list[str]) -> Any:
        import duckdb  # noqa: PLC0415 - only the engine that runs loads its driver

        connection = duckdb.connect(
            config={"threads": self.threads, "memory_limit": self.memory_limit}
        )
        if rollups:
            connection.read_parquet(rollups).create_view(ROLLUPS)
        if events:
            # By name: files older than a column lack it, and read it as null.
            connection.read_parquet(events, union_by_name=True).create_view(EVENTS)
        return connection

    def cells(self, month: str) -> pa.Table:
        rollups, events = _window_files(self.root, month)
        if not rollups and not events:
            return _empty_cells()
        with self._connection(rollups, events) as connection:
            sql = cells_sql(month, "duckdb", _sources(rollups, events))
            return _normalised(connection.execute(sql).to_arrow_table())

    def baseline_months(self, month: str) -> int:
        rollups, events = _window_files(self.root, month)
        if not rollups and not events:
            return 0
        with self._connection(rollups, events) as connection:
            sql = months_sql(month, "duckdb", _sources(rollups, events))
            return len(connection.execute(sql).fetchall())


@dataclass
class PostgresEngine:
    """PostgreSQL for small sites: the same report over an archive table in the database,
    and a table of rollups beside it when the site keeps one (`load_rollups`; the events
    table then holds only the events those rollups do not count)."""

    engine: SqlEngine
    table: str = "archive_events"
    rollup_table: str | None = None
    name: str = "postgresql"

    def cells(self, month: str) -> pa.Table:
        sources = Sources(rollups=self.rollup_table, events=self.table)
        with self.engine.connect() as connection:
            result = connection.execute(text(cells_sql(month, "postgres", sources)))
            rows = result.all()
        columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 6
        return _normalised(
            pa.table(
                {
                    name: pa.array(values, pa.string() if index < 2 else pa.int64())
                    for index, (name, values) in enumerate(zip(CELL_COLUMNS, columns, strict=True))
                }
            )
        )

    def baseline_months(self, month: str) -> int:
        sources = Sources(rollups=self.rollup_table, events=self.table)
        with self.engine.connect() as connection:
            return len(connection.execute(text(months_sql(month, "postgres", sources))).all())


def load_postgres(engine: SqlEngine, files: Iterable[Path], table: str = "archive_events") -> int:
    """Copy archive files into a PostgreSQL table of the archive's columns (made if missing).

    The table has the indexes a monthly report needs (month, then grid and class), so a
    comparison with DuckDB is between equals.
    """
    return _copy(engine, files, table, SCHEMA)


def load_rollups(engine: SqlEngine, files: Iterable[Path], table: str = "archive_rollups") -> int:
    """Copy rollup files into a PostgreSQL table of the rollup's columns, indexed alike."""
    return _copy(engine, files, table, ROLLUP_SCHEMA)


def _copy(engine: SqlEngine, files: Iterable[Path], table: str, schema: pa.Schema) -> int:
    types = {pa.string(): "text", pa.int64(): "bigint"}
    columns = ", ".join(f"{f.name} {types.get(f.type, 'timestamptz')}" for f in schema)
    loaded = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        for path in files:
            data = pq.read_table(path, schema=schema)
            buffer = io.BytesIO()
            pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
            with cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            loaded += data.num_rows
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_month_grid "
            f"ON {table} (month, grid_code, risk_class)"
        )
        cursor.execute(f"ANALYZE {table}")
        raw.commit()
    finally:
        raw.close()
    return loaded


@dataclass
class SparkEngine:
    """Apache Spark: `local[*]` here, a `spark://` or Spark Connect session in production."""

    session: Any
    root: Path
    name: str = "spark"

    def _views(self, month: str) -> Sources | None:
        rollups, events = _window_files(self.root, month)
        if not rollups and not events:
            return None
        if rollups:
            self.session.read.parquet(*rollups).createOrReplaceTempView(ROLLUPS)
        if events:
            self.session.read.parquet(*events).createOrReplaceTempView(EVENTS)
        return _sources(rollups, events)

    def cells(self, month: str) -> pa.Table:
        sources = self._views(month)
        if sources is None:
            return _empty_cells()
        return _normalised(self.session.sql(cells_sql(month, "spark", sources)).toArrow())

    def baseline_months(self, month: str) -> int:
        sources = self._views(month)
        if sources is None:
            return 0
        return len(self.session.sql(months_sql(month, "spark", sources)).collect())


def _empty_cells() -> pa.Table:
    return pa.table(
        {
            name: pa.array([], pa.string() if index < 2 else pa.int64())
            for index, name in enumerate(CELL_COLUMNS)
        }
    )


def spark_session(master: str = "local[*]", *, partitions: int = 8) -> Any:
    """A Spark session for reports: UTC, few shuffle partitions (the grouped result is small)."""
    from pyspark.sql import SparkSession  # noqa: PLC0415 - Spark is an optional engine

    session = (
        SparkSession.builder.master(master)
        .appName("civicgrid-analysis")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
