"""Compacting a closed month: each district folder's batch files become one ordered file.

The writer leaves one small file per batch and partition (`store.write_batch`); a month
of them costs a report one file open and one row group per batch. Once a month has
closed, each of its district folders is rewritten as one file, rows ordered by grid and
risk class, in three steps that each leave the archive whole:

1. the new folder is written under a hidden name (`.district=D.compact`), its file
   recording in its metadata which files it holds, flushed;
2. the live folder is renamed aside (`.district=D.old`), the new one into its place;
3. any file the old folder holds that the new one's record does not name (a batch the
   writer put there meanwhile) is moved into the new folder, and the old one deleted.

Readers list only `district=*` folders, so they see the old files or the new one, never
both. `recover` finishes or undoes whatever a crash interrupted, and runs first. Only
files of batches under their source's watermark are taken: a file past it may be a
crashed batch that the writer's `store.repair` has yet to delete, and such a folder
waits for the next round.
"""

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from civicgrid.archive.events import SCHEMA
from civicgrid.archive.store import FILE_NAME, fsync_dir

COMPACTED = "compacted.parquet"
_HOLDS = b"civicgrid.compacted_from"


def compact_month(root: Path, month: str, watermarks: Mapping[str, int]) -> list[Path]:
    """Compact every district folder of `month` that holds more than one file."""
    recover(root)
    compacted = []
    for folder in sorted((root / f"month={month}").glob("district=*")):
        names = _committed_files(folder, watermarks)
        if names is not None and len(names) > 1:
            _compact_folder(folder, names)
            compacted.append(folder)
    return compacted


def archived_months(root: Path) -> list[str]:
    return sorted(path.name.removeprefix("month=") for path in root.glob("month=*"))


def recover(root: Path) -> None:
    """Finish a swap a crash interrupted (the new folder is whole), or drop a half-made one."""
    for aside in root.glob("month=*/.district=*.old"):
        live = aside.with_name(aside.name.removeprefix(".").removesuffix(".old"))
        fresh = aside.with_name(f".{live.name}.compact")
        if fresh.exists():
            _put_in_place(fresh, live)
        _finish(aside, live)
    for fresh in root.glob("month=*/.district=*.compact"):
        shutil.rmtree(fresh)


def _committed_files(folder: Path, watermarks: Mapping[str, int]) -> list[str] | None:
    """The folder's files, or None when one is not known to be committed."""
    names = sorted(path.name for path in folder.iterdir())
    for name in names:
        match = FILE_NAME.match(name)
        committed = match is not None and int(match["first"]) <= watermarks.get(match["source"], 0)
        if name != COMPACTED and not committed:
            return None
    return names


def _compact_folder(live: Path, names: list[str]) -> None:
    aside = live.with_name(f".{live.name}.old")
    fresh = write_compacted(live, names)
    os.replace(live, aside)
    _put_in_place(fresh, live)
    _finish(aside, live)


def write_compacted(live: Path, names: list[str]) -> Path:
    """Step 1: the new folder under its hidden name, flushed."""
    fresh = live.with_name(f".{live.name}.compact")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    table = pa.concat_tables(pq.read_table(live / name, schema=SCHEMA) for name in names)
    table = table.sort_by([("grid_code", "ascending"), ("risk_class", "ascending")])
    table = table.replace_schema_metadata({_HOLDS: json.dumps(names).encode()})
    pq.write_table(table, fresh / COMPACTED, compression="zstd")
    with (fresh / COMPACTED).open("rb") as handle:
        os.fsync(handle.fileno())
    fsync_dir(fresh)
    return fresh


def _put_in_place(fresh: Path, live: Path) -> None:
    """Rename the new folder into place; if the writer made the folder anew meanwhile, move
    the compacted file into that one instead."""
    try:
        os.replace(fresh, live)
    except OSError:
        os.replace(fresh / COMPACTED, live / COMPACTED)
        shutil.rmtree(fresh)
    fsync_dir(live.parent)


def _finish(aside: Path, live: Path) -> None:
    """Move what the compacted file does not hold from the old folder, then delete it."""
    holds = set(json.loads(pq.read_schema(live / COMPACTED).metadata[_HOLDS]))
    for path in aside.iterdir():
        if path.name not in holds and not path.name.startswith("."):
            os.replace(path, live / path.name)
    fsync_dir(live)
    shutil.rmtree(aside)
    fsync_dir(live.parent)
