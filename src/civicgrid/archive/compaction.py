"""Compacting a closed month: each district folder's batch files become one ordered file.

The writer leaves one small file per batch and partition (`store.write_batch`); a month
of them costs a report one file open and one row group per batch. Once a month has
closed, each of its district folders is rewritten as one file, rows ordered by grid and
risk class, in three steps that each leave the archive whole:

1. the new folder is written under a hidden name (`.district=D.compact`), its file
   recording in its metadata which files it holds, beside it the month's counts per grid
   × class (`rollup`, what reports read instead of the events), flushed;
2. the live folder is renamed aside (`.district=D.old`), the new one into its place;
3. any file the old folder holds that the new one's record does not name (a batch the
   writer put there meanwhile) is moved into the new folder, and the old one deleted.

Readers list only `district=*` folders, so they see the old files or the new one, never
both. `recover` finishes or undoes whatever a crash interrupted, and runs first. Only
files of batches under their source's watermark are taken: a file past it may be a
crashed batch that the writer's `store.repair` has yet to delete, and such a folder
waits for the next round. A closed folder that needs no compaction (one file, or an
archive written before rollups or before their integer keys) gets its rollup on its own,
written atomically.
"""

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from civicgrid.archive import rollup
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.store import FILE_NAME, ROLLUP
from civicgrid.durable import fsync_dir, write_parquet

COMPACTED = "compacted.parquet"
_HOLDS = b"civicgrid.compacted_from"


def compact_month(root: Path, month: str, watermarks: Mapping[str, int]) -> list[Path]:
    """Compact every district folder of `month` that holds more than one file, and give
    a rollup to one whose files no rollup counts yet; returns the folders changed."""
    recover(root)
    changed = []
    for folder in sorted((root / f"month={month}").glob("district=*")):
        names = _committed_files(folder, watermarks)
        if names is not None and len(names) > 1:
            _compact_folder(folder, names)
            changed.append(folder)
        elif names and rollup.counted_files(folder) != names:
            rollup.write(folder, names, _read(folder, names))
            changed.append(folder)
    return changed


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
    for folder in root.glob("month=*/district=*"):
        rollup.drop_leftovers(folder)
    rollup.drop_leftovers(root)


def _committed_files(folder: Path, watermarks: Mapping[str, int]) -> list[str] | None:
    """The folder's event files, or None when one is not known to be committed."""
    names = sorted(path.name for path in folder.iterdir() if path.name != ROLLUP)
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
    """Step 1: the new folder under its hidden name, with its rollup, flushed."""
    fresh = live.with_name(f".{live.name}.compact")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    table = _read(live, names).sort_by([("grid_code", "ascending"), ("risk_class", "ascending")])
    table = table.replace_schema_metadata({_HOLDS: json.dumps(names).encode()})
    write_parquet(fresh / COMPACTED, table)
    rollup.write(fresh, [COMPACTED], table)
    return fresh


def _read(folder: Path, names: list[str]) -> pa.Table:
    return pa.concat_tables(pq.read_table(folder / name, schema=SCHEMA) for name in names)


def _put_in_place(fresh: Path, live: Path) -> None:
    """Rename the new folder into place; if the writer made the folder anew meanwhile, move
    the compacted file, then its rollup, into that one instead (a crash between the two
    leaves the events without a rollup, read as events, and the recovery moves the rest)."""
    try:
        os.replace(fresh, live)
    except OSError:
        for name in (COMPACTED, ROLLUP):
            if (fresh / name).exists():
                os.replace(fresh / name, live / name)
        fsync_dir(live)
        shutil.rmtree(fresh)
    fsync_dir(live.parent)


def _finish(aside: Path, live: Path) -> None:
    """Move what the compacted file does not hold from the old folder (never its old
    rollup), then delete it."""
    holds = {*json.loads(pq.read_schema(live / COMPACTED).metadata[_HOLDS]), ROLLUP}
    for path in aside.iterdir():
        if path.name not in holds and not path.name.startswith("."):
            os.replace(path, live / path.name)
    fsync_dir(live)
    shutil.rmtree(aside)
    fsync_dir(live.parent)
