"""Writing and matching many rows at once, at the speed of the driver rather than the ORM.

Importers write hundreds of thousands of rows in one transaction. At that size
SQLAlchemy's per-row parameter handling costs more than the database does,
and on PostgreSQL a statement carrying thousands of bound values costs the
driver more to parse than the server to run. The helpers here keep every
engine's fast path in one place: COPY on PostgreSQL, executemany on SQLite,
and a list matched as one array parameter on PostgreSQL.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    LargeBinary,
    Table,
    any_,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeEngine

from civicgrid.db import Base

# Dates and times repeat across an import (its own time on every row, birth dates,
# moving-in dates), so their conversion for the driver is remembered.
_CONVERSION_MEMO = 1 << 16


def insert_rows(db: Session, model: type[Base] | Table, records: Sequence[dict[str, Any]]) -> None:
    """Rows written by the driver in bulk: COPY on PostgreSQL, executemany on SQLite.

    Every record has the same keys. Each column's bind conversion (dates as
    SQLite stores them) is still applied, except for bytes, which both drivers
    take as they are.
    """
    if not records:
        return
    table = _table(model)
    connection = db.connection()
    dialect = connection.dialect
    keys = list(records[0])
    converters = [_converter(table.c[key].type, dialect) for key in keys]
    rows = [
        tuple(
            value if convert is None or value is None else convert(value)
            for value, convert in zip(map(record.__getitem__, keys), converters, strict=True)
        )
        for record in records
    ]
    names = ", ".join(dialect.identifier_preparer.quote(key) for key in keys)
    target = f"{dialect.identifier_preparer.format_table(table)} ({names})"
    if dialect.name == "postgresql":
        _copy(connection.connection.driver_connection, target, rows)
        return
    marks = ", ".join(["?"] * len(keys))
    connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", rows)


def insert_returning(
    db: Session, table: Table, records: Sequence[dict[str, Any]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Insert the records and return `columns` (the first is the id) of each, in their order.

    Both engines write through the driver (insert_rows), not through an INSERT …
    RETURNING that SQLAlchemy fills row by row. PostgreSQL takes the ids from the
    table's sequence first and COPYs the rows with them. On SQLite the rows get
    consecutive ids after the last one written: the table's id is its rowid, which
    SQLite gives as one more than the largest in the table, and the transaction
    holds the database's only write lock from its first write on, so no other
    connection's row can come between.
    """
    if not records:
        return []
    if db.get_bind().dialect.name == "postgresql":
        ids = _reserve_ids(db, table, len(records))
        numbered = [{"id": new_id, **record} for new_id, record in zip(ids, records, strict=True)]
        insert_rows(db, table, numbered)
    else:
        insert_rows(db, table, records)
        last = db.connection().exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        ids = list(range(last - len(records) + 1, last + 1))
    return [
        tuple(new_id if name == "id" else record[name] for name in columns)
        for new_id, record in zip(ids, records, strict=True)
    ]


def one_of(
    db: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN values`, sent to PostgreSQL as one array parameter (`= ANY(:values)`).

    psycopg rescans a statement's text for every bound value it carries, so an
    IN list of five thousand ID numbers cost more there than the lookup itself.
    """
    if db.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    array = bindparam(None, list(values), type_=ARRAY(column.type))
    return column == any_(array)


def _reserve_ids(db: Session, table: Table, count: int) -> list[int]:
    sequence = db.scalar(select(text(f"pg_get_serial_sequence('{table.name}', 'id')")))
    query = text("SELECT nextval(:sequence) FROM generate_series(1, :count)")
    return list(db.scalars(query, {"sequence": sequence, "count": count}))


def _table(model: type[Base] | Table) -> Table:
    return model if isinstance(model, Table) else cast(Table, model.__table__)


def _copy(driver: Any, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY, through the same connection and so the same transaction."""
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _converter(kind: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(kind, LargeBinary):
        return None
    convert = kind.bind_processor(dialect)
    if convert is not None and isinstance(getattr(kind, "impl", kind), Date | DateTime):
        return lru_cache(maxsize=_CONVERSION_MEMO)(convert)
    return convert
