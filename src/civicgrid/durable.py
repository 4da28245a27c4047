"""Files that appear whole or not at all, and are still there after a power cut.

The archive, its rollups, class dictionary and digests, and the sensor readings are all
read by listing folders, so a reader must never see half a file: each is written under a
hidden name (`.<name>.<pid>.tmp`, which each store's repair deletes after a crash),
flushed, renamed into place, and the folder flushed so that the rename itself survives.
"""

import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """`write` the file under a hidden name beside `target`, then put it in place."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    write(temporary)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    fsync_dir(target.parent)
    return target


def write_parquet(target: Path, table: pa.Table) -> Path:
    """`table` as a zstd-compressed Parquet file at `target`, whole or not at all."""
    return replace_atomically(target, lambda path: pq.write_table(table, path, compression="zstd"))
