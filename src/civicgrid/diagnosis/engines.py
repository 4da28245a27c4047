"""The engines one report definition runs on: DuckDB, PostgreSQL and Apache Spark.

Each engine answers the same two queries from `definition` (transpiled to its dialect)
and hands back the grouped counts as an Arrow table, so everything after the grouping
is the same Python for all three.
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
from civicgrid.archive.store import month_files
from civicgrid.diagnosis.definition import EVENTS, cells_sql, months_sql, window

CELL_COLUMNS = ("grid_code", "risk_class", "events", "previous_month", "year_ago", "baseline")


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
    """The embedded default: DuckDB reads the month folders of the Parquet archive.

    Only the window's 13 month folders are listed (`store.month_files`), so the other
    months are never opened. DuckDB gets every core and a memory cap (`memory_limit`,
    DuckDB's own syntax such as "4GB"; past it the grouping spills to disk instead of
    taking the worker down).
    """

    root: Path
    name: str = "duckdb"
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    memory_limit: str = "4GB"

    def _connection(self, files: list[str]) -> Any:
        import duckdb  # noqa: PLC0415 - only the engine that runs loads its driver

        connection = duckdb.connect(
            config={"threads": self.threads, "memory_limit": self.memory_limit}
        )
        # By name: files older than a column lack it, and read it as null.
        connection.read_parquet(files, union_by_name=True).create_view(EVENTS)
        return connection

    def cells(self, month: str) -> pa.Table:
        files = [str(path) for path in month_files(self.root, window(month))]
        if not files:
            return _empty_cells()
        with self._connection(files) as connection:
            return _normalised(connection.execute(cells_sql(month, "duckdb")).to_arrow_table())

    def baseline_months(self, month: str) -> int:
        files = [str(path) for path in month_files(self.root, window(month))]
        if not files:
            return 0
        with self._connection(files) as connection:
            return len(connection.execute(months_sql(month, "duckdb")).fetchall())


@dataclass
class PostgresEngine:
    """PostgreSQL for small sites: the same report over an archive table in the database."""

    engine: SqlEngine
    table: str = "archive_events"
    name: str = "postgresql"

    def cells(self, month: str) -> pa.Table:
        with self.engine.connect() as connection:
            result = connection.execute(text(cells_sql(month, "postgres", self.table)))
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
        with self.engine.connect() as connection:
            return len(connection.execute(text(months_sql(month, "postgres", self.table))).all())


def load_postgres(engine: SqlEngine, files: Iterable[Path], table: str = "archive_events") -> int:
    """Copy archive files into a PostgreSQL table of the archive's columns (made if missing).

    The table has the indexes a monthly report needs (month, then grid and class), so a
    comparison with DuckDB is between equals.
    """
    types = {pa.string(): "text", pa.int64(): "bigint"}
    columns = ", ".join(f"{f.name} {types.get(f.type, 'timestamptz')}" for f in SCHEMA)
    loaded = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        for path in files:
            data = pq.read_table(path, schema=SCHEMA)
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

    def _view(self, month: str) -> bool:
        files = [str(path) for path in month_files(self.root, window(month))]
        if not files:
            return False
        self.session.read.parquet(*files).createOrReplaceTempView(EVENTS)
        return True

    def cells(self, month: str) -> pa.Table:
        if not self._view(month):
            return _empty_cells()
        return _normalised(self.session.sql(cells_sql(month, "spark")).toArrow())

    def baseline_months(self, month: str) -> int:
        if not self._view(month):
            return 0
        return len(self.session.sql(months_sql(month, "spark")).collect())


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
