"""The engines one report definition runs on: DuckDB, PostgreSQL and Apache Spark.

Each engine answers the same queries from `definition` (transpiled to its dialect) over
two relations, the closed months' rollups and the events no rollup counts yet (first,
when there are such events, which classes they carry, so that the class dictionary
covers them), and hands back the grouped counts keyed by integers as an Arrow table
(`Cells`), so everything after the grouping is the same Python for all three. A month
whose window has closed has its grouping stored (`digest`): DuckDB and Spark, which
read the archive's files, read that instead while it is current.
"""

import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import text

from civicgrid.archive.events import SCHEMA
from civicgrid.archive.rollup import ROLLUP_SCHEMA, Window, rollup_classes, window_parts
from civicgrid.diagnosis import digest
from civicgrid.diagnosis.definition import (
    EVENTS,
    ROLLUPS,
    Sources,
    cells_sql,
    classes_sql,
    extended,
    months_sql,
    window,
)

COUNTS = ("events", "previous_month", "year_ago", "baseline")
_KEYED = pa.schema(
    [("grid_key", pa.int64()), ("class_key", pa.int32()), *((name, pa.int64()) for name in COUNTS)]
)


@dataclass(frozen=True)
class Cells:
    """Counts per grid × risk class over a month's window, as an engine grouped them.

    `table` holds the keys and the counts (`COUNTS`): `grid_key` is the grid code as a
    number (a grid code is 15 digits and never starts with 0, so `str` gives it back),
    `class_key` the class's position in `classes`, which is in byte order; the rows are
    ordered by grid key, then class key, i.e. by grid code, then class name."""

    table: pa.Table
    classes: tuple[str, ...]


def _sources(
    month: str,
    dialect: str,
    tables: tuple[str | None, str | None],
    classes: Sequence[str],
    column: Callable[[str], list[str]],
) -> Sources | None:
    """The report's sources (rollup table, events table, dictionary), or None when there is
    nothing to read. The dictionary is the rollups' own, extended by the classes the events
    carry (`column` runs a query and returns its one column); an events table with no
    counted event in the window is left out."""
    rollups, events = tables
    found = column(classes_sql(month, dialect, events)) if events is not None else []
    if not found:
        events = None
    if rollups is None and events is None:
        return None
    return Sources(rollups=rollups, events=events, classes=extended(classes, found))


class ReportEngine(Protocol):
    name: str

    def cells(self, month: str) -> Cells:
        """Counts per grid × risk class over the month's window (`definition.cells_sql`)."""

    def baseline_months(self, month: str) -> int:
        """How many of the 12 months before `month` hold any archived event."""


def _keyed(table: pa.Table, classes: Sequence[str]) -> Cells:
    """The engine's rows with the same column types from every engine (Spark and
    PostgreSQL may sum to other integer types), the class keys renumbered to the class
    names' byte order.

    The engine's class keys are positions in the archive's dictionary, which is in byte
    order unless it grew past it (a class first seen after others sorting later): then
    the keys are renumbered and the cells put back in order here."""
    keyed = table.select(_KEYED.names).cast(_KEYED)
    ordered = sorted(range(len(classes)), key=classes.__getitem__)
    if ordered == list(range(len(classes))):
        return Cells(keyed, tuple(classes))
    rank = np.empty(len(classes), np.int32)
    rank[ordered] = np.arange(len(classes), dtype=np.int32)
    renumbered = rank[keyed.column("class_key").to_numpy()]
    grids = keyed.column("grid_key").to_numpy()
    keyed = keyed.set_column(1, "class_key", pa.array(renumbered, pa.int32()))
    return Cells(keyed.take(np.lexsort((renumbered, grids))), tuple(classes[i] for i in ordered))


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

    def _connection(self, parts: Window) -> Any:
        import duckdb  # noqa: PLC0415 - only the engine that runs loads its driver

        connection = duckdb.connect(
            config={"threads": self.threads, "memory_limit": self.memory_limit}
        )
        if parts.rollups:
            connection.read_parquet([str(path) for path in parts.rollups]).create_view(ROLLUPS)
        if parts.events:
            # By name: files older than a column lack it, and read it as null.
            files = [str(path) for path in parts.events]
            connection.read_parquet(files, union_by_name=True).create_view(EVENTS)
        return connection

    def cells(self, month: str) -> Cells:
        parts, stored = _window_of(self.root, month)
        return _digested(stored) if stored is not None else self._grouped(month, parts)

    def baseline_months(self, month: str) -> int:
        parts, stored = _window_of(self.root, month)
        return stored.baseline_months if stored is not None else self._months(month, parts)

    def write_digest(self, month: str, parts: Window) -> bool:
        """Store the month's grouping (`digest`) when its window `parts` is all rollups and
        the stored one is not current; True when one was written."""
        if parts.events or not parts.rollups or digest.current(self.root, month, parts):
            return False
        cells = self._grouped(month, parts)
        found = digest.Digest(cells.table, cells.classes, self._months(month, parts))
        digest.write(self.root, month, parts, found)
        return True

    def _grouped(self, month: str, parts: Window) -> Cells:
        with self._connection(parts) as connection:
            sources = _sources(month, "duckdb", _tables(parts), parts.classes, _column(connection))
            if sources is None:
                return _empty_cells()
            table = connection.execute(cells_sql(month, "duckdb", sources)).to_arrow_table()
        return _keyed(table, sources.classes)

    def _months(self, month: str, parts: Window) -> int:
        if not parts.rollups and not parts.events:
            return 0
        with self._connection(parts) as connection:
            sql = months_sql(month, "duckdb", Sources(*_tables(parts)))
            return len(connection.execute(sql).fetchall())


def _window_of(root: Path, month: str) -> tuple[Window, digest.Current | None]:
    """What the archive holds for the month's report window, and its digest if current."""
    parts = window_parts(root, window(month))
    return parts, digest.current(root, month, parts)


def _digested(stored: digest.Current) -> Cells:
    found = stored.read()
    return Cells(found.table.cast(_KEYED), found.classes)


def _tables(parts: Window) -> tuple[str | None, str | None]:
    return (ROLLUPS if parts.rollups else None, EVENTS if parts.events else None)


def _column(connection: Any) -> Callable[[str], list[str]]:
    return lambda sql: [row[0] for row in connection.execute(sql).fetchall()]


@dataclass
class PostgresEngine:
    """PostgreSQL for small sites: the same report over an archive table in the database,
    and a table of rollups beside it when the site keeps one (`load_rollups`, which keeps
    their class dictionary in `<rollup table>_classes`; the events table then holds only
    the events those rollups do not count)."""

    engine: SqlEngine
    table: str = "archive_events"
    rollup_table: str | None = None
    name: str = "postgresql"

    def cells(self, month: str) -> Cells:
        with self.engine.connect() as connection:
            column = _rows_of(connection)
            classes = column(_classes_query(self.rollup_table)) if self.rollup_table else []
            tables = (self.rollup_table, self.table)
            sources = _sources(month, "postgres", tables, classes, column)
            if sources is None:
                return _empty_cells()
            rows = connection.execute(text(cells_sql(month, "postgres", sources))).all()
        columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 6
        keyed = pa.table(
            {
                kind.name: pa.array(values, kind.type)
                for kind, values in zip(_KEYED, columns, strict=True)
            }
        )
        return _keyed(keyed, sources.classes)

    def baseline_months(self, month: str) -> int:
        sources = Sources(rollups=self.rollup_table, events=self.table)
        with self.engine.connect() as connection:
            return len(connection.execute(text(months_sql(month, "postgres", sources))).all())


def _rows_of(connection: Any) -> Callable[[str], list[str]]:
    return lambda sql: [row[0] for row in connection.execute(text(sql)).all()]


def _classes_query(rollup_table: str) -> str:
    return f"SELECT risk_class FROM {rollup_table}_classes ORDER BY class_key"


def load_postgres(engine: SqlEngine, files: Iterable[Path], table: str = "archive_events") -> int:
    """Copy archive files into a PostgreSQL table of the archive's columns (made if missing).

    The table has the indexes a monthly report needs (month, then grid and class), so a
    comparison with DuckDB is between equals.
    """
    return _copy(engine, files, table, SCHEMA, ("month", "grid_code", "risk_class"))


def load_rollups(engine: SqlEngine, files: Iterable[Path], table: str = "archive_rollups") -> int:
    """Copy rollup files into a PostgreSQL table of the rollup's columns, indexed alike, and
    their class dictionary into `<table>_classes` (the longest of theirs: each is the start
    of the archive's, which only grows at its end)."""
    paths = list(files)
    dictionaries = sorted((rollup_classes(path) for path in paths), key=len)
    classes = dictionaries[-1] if dictionaries else []
    if any(own != classes[: len(own)] for own in dictionaries):
        raise ValueError("the rollups were written with different class dictionaries")
    loaded = _copy(engine, paths, table, ROLLUP_SCHEMA, ("month_key", "grid_key", "class_key"))
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {table}_classes"))
        connection.execute(text(f"CREATE TABLE {table}_classes (class_key int, risk_class text)"))
        if classes:
            rows = [{"key": key, "name": name} for key, name in enumerate(classes)]
            connection.execute(text(f"INSERT INTO {table}_classes VALUES (:key, :name)"), rows)
    return loaded


def _copy(
    engine: SqlEngine, files: Iterable[Path], table: str, schema: pa.Schema, index: Sequence[str]
) -> int:
    types = {pa.string(): "text", pa.int64(): "bigint", pa.int32(): "integer"}
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
            f"CREATE INDEX IF NOT EXISTS {table}_month_grid ON {table} ({', '.join(index)})"
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

    def _views(self, parts: Window) -> None:
        if parts.rollups:
            self.session.read.parquet(*map(str, parts.rollups)).createOrReplaceTempView(ROLLUPS)
        if parts.events:
            self.session.read.parquet(*map(str, parts.events)).createOrReplaceTempView(EVENTS)

    def cells(self, month: str) -> Cells:
        parts, stored = _window_of(self.root, month)
        if stored is not None:
            return _digested(stored)
        self._views(parts)
        sources = _sources(month, "spark", _tables(parts), parts.classes, self._column)
        if sources is None:
            return _empty_cells()
        return _keyed(
            self.session.sql(cells_sql(month, "spark", sources)).toArrow(), sources.classes
        )

    def _column(self, sql: str) -> list[str]:
        return [row[0] for row in self.session.sql(sql).collect()]

    def baseline_months(self, month: str) -> int:
        parts, stored = _window_of(self.root, month)
        if stored is not None:
            return stored.baseline_months
        if not parts.rollups and not parts.events:
            return 0
        self._views(parts)
        sql = months_sql(month, "spark", Sources(*_tables(parts)))
        return len(self.session.sql(sql).collect())


def _empty_cells() -> Cells:
    return Cells(_KEYED.empty_table(), ())


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
