"""The BM25 index on disk: built from `consult_documents`, read by every process.

Engine: bm25s (BM25 as a sparse matrix of precomputed word scores in NumPy; a
query sums a few columns and takes the top k). It installs as a pure-Python
wheel, runs offline, keeps its matrix in .npy files that load memory-mapped,
and takes a weight mask, which is how the jurisdiction is applied before the
top k are chosen rather than after. tantivy would also do, but it brings its own
tokenizer pipeline (Chinese needs a custom one fed from Python anyway) and a
native build; PostgreSQL's full-text search has no Chinese parser without an
extension and SQLite's FTS5 none at all, and the platform runs on both.

Where it lives: `<data dir>/consult/`, one folder per generation (`g-<n>`)
and a file `CURRENT` naming the one in force. A build writes a new folder under
a temporary name, renames it into place and then replaces `CURRENT` (both
atomic on one file system), so a reader sees the old generation or the new one,
never half of one, and a build killed half way leaves only a temporary folder
that the next build removes. Builds take a file lock, so two workers never
build at once. Every process (each server worker, the background worker, the
command line) reads `CURRENT` before a search (one small file read) and maps the
new generation when it changed: a case closed and indexed by any process is
found by all of them after the next build.
"""

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import bm25s

KINDS = ("case", "dispute", "answered", "knowledge")
REGION_WIDTH = 15
CURRENT = "CURRENT"
_LOCK = "build.lock"
_META = "meta.json"
# A build waits this many times the last build's length after it (see `resting`).
REST_FACTOR = 10
# Region masks kept per generation: one per (jurisdiction, kinds) asked lately.
_MASKS_KEPT = 64


@dataclass(frozen=True)
class Row:
    """What the index needs of one document."""

    id: int
    kind: str
    region_code: str
    words: list[str]


@dataclass
class Generation:
    """One built index, mapped from its folder."""

    name: str
    signature: str
    retriever: "bm25s.BM25 | None"
    ids: npt.NDArray[np.int64]
    regions: npt.NDArray[np.uint8]
    kinds: npt.NDArray[np.uint8]
    _masks: dict[tuple[str, frozenset[str], frozenset[str]], npt.NDArray[np.float32]] = field(
        default_factory=dict
    )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def mask(
        self, region_prefix: str, kinds: frozenset[str], everywhere: frozenset[str]
    ) -> npt.NDArray[np.float32]:
        """1 for the documents of `kinds` under the prefix, or of `everywhere` kinds anywhere."""
        key = (region_prefix, kinds, everywhere)
        if key not in self._masks:
            if len(self._masks) >= _MASKS_KEPT:
                self._masks.clear()
            self._masks[key] = self._build_mask(region_prefix, kinds, everywhere)
        return self._masks[key]

    def _build_mask(
        self, region_prefix: str, kinds: frozenset[str], everywhere: frozenset[str]
    ) -> npt.NDArray[np.float32]:
        wanted = np.isin(self.kinds, [KINDS.index(kind) for kind in kinds])
        prefix = region_prefix.encode("ascii")
        if prefix:
            head = self.regions[:, : len(prefix)]
            wanted &= np.all(head == np.frombuffer(prefix, dtype=np.uint8), axis=1)
        wanted |= np.isin(self.kinds, [KINDS.index(kind) for kind in everywhere])
        return wanted.astype(np.float32)


def build(root: Path, rows: Iterable[Row], *, signature: str) -> Generation:
    """Write a new generation from the rows and make it the one in force."""
    root.mkdir(parents=True, exist_ok=True)
    with _build_lock(root):
        _remove_leftovers(root)
        number = _next_number(root)
        began = time.monotonic()
        temporary = root / f".building-{number}"
        temporary.mkdir()
        ids, regions, kinds, corpus = _columns(rows)
        if corpus:
            import bm25s  # noqa: PLC0415  (SciPy's half second of import, on first use only)

            retriever = bm25s.BM25()
            retriever.index(corpus, show_progress=False)
            retriever.save(str(temporary))
        np.save(temporary / "ids.npy", ids)
        np.save(temporary / "regions.npy", regions)
        np.save(temporary / "kinds.npy", kinds)
        meta = {
            "signature": signature,
            "count": len(ids),
            "seconds": time.monotonic() - began,
            "built_at": time.time(),
        }
        (temporary / _META).write_text(json.dumps(meta))
        final = root / f"g-{number}"
        temporary.rename(final)
        pointer = root / f".{CURRENT}-{number}"
        pointer.write_text(final.name)
        os.replace(pointer, root / CURRENT)
        _drop_old(root, newest=number)
    return load(root, final.name)


def in_force(root: Path) -> str | None:
    """The name of the generation in force, or None before the first build."""
    try:
        return (root / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def signature_in_force(root: Path) -> str | None:
    meta = _meta_in_force(root)
    return None if meta is None else str(meta["signature"])


def resting(root: Path) -> bool:
    """Whether the last build was too recent to build again yet: a build may take at most
    a tenth of the time (REST_FACTOR times its own length must pass first). Over a million
    documents a build takes minutes, and cases close all day."""
    meta = _meta_in_force(root)
    if meta is None or "built_at" not in meta:
        return False
    return time.time() - float(meta["built_at"]) < REST_FACTOR * float(meta["seconds"])


def _meta_in_force(root: Path) -> dict[str, Any] | None:
    name = in_force(root)
    if name is None:
        return None
    try:
        meta: dict[str, Any] = json.loads((root / name / _META).read_text())
    except FileNotFoundError:
        return None
    return meta


def load(root: Path, name: str) -> Generation:
    """Map a generation's files (the matrix memory-mapped, so processes share its pages)."""
    import bm25s  # noqa: PLC0415  (SciPy's half second of import, on first use only)

    folder = root / name
    meta = json.loads((folder / _META).read_text())
    retriever = (
        bm25s.BM25.load(str(folder), mmap=True) if (folder / "params.index.json").exists() else None
    )
    return Generation(
        name=name,
        signature=meta["signature"],
        retriever=retriever,
        ids=np.load(folder / "ids.npy"),
        regions=np.load(folder / "regions.npy"),
        kinds=np.load(folder / "kinds.npy"),
    )


class Reader:
    """A process's view of the index: the generation in force, remapped when it changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path, Generation] = {}

    def current(self, root: Path) -> Generation | None:
        name = in_force(root)
        if name is None:
            return None
        with self._lock:
            loaded = self._loaded.get(root)
            if loaded is None or loaded.name != name:
                loaded = load(root, name)
                self._loaded[root] = loaded
            return loaded


def top(
    generation: Generation,
    query: list[str],
    *,
    k: int,
    mask: npt.NDArray[np.float32],
) -> list[tuple[int, float]]:
    """The k best (document id, score) among those the mask allows, best first."""
    if generation.retriever is None or not query or len(generation) == 0:
        return []
    scores = generation.retriever.get_scores(query) * mask
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(generation.ids[i]), float(scores[i])) for i in best if scores[i] > 0]


def _columns(
    rows: Iterable[Row],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.uint8], list[list[str]]]:
    ids: list[int] = []
    regions: list[bytes] = []
    kinds: list[int] = []
    corpus: list[list[str]] = []
    for row in rows:
        ids.append(row.id)
        regions.append(row.region_code.encode("ascii").ljust(REGION_WIDTH, b" "))
        kinds.append(KINDS.index(row.kind))
        corpus.append(row.words)
    region_bytes = np.frombuffer(b"".join(regions), dtype=np.uint8).reshape(-1, REGION_WIDTH)
    return (
        np.asarray(ids, dtype=np.int64),
        region_bytes,
        np.asarray(kinds, dtype=np.uint8),
        corpus,
    )


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    with (root / _LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _next_number(root: Path) -> int:
    numbers = [int(path.name[2:]) for path in root.glob("g-*") if path.name[2:].isdigit()]
    return max(numbers, default=0) + 1


def _remove_leftovers(root: Path) -> None:
    """Folders and pointers of a build that was killed before it finished."""
    for path in root.glob(".building-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(f".{CURRENT}-*"):
        path.unlink(missing_ok=True)


def _drop_old(root: Path, *, newest: int) -> None:
    """Generations before the last two. The one just replaced stays, so a process that
    read `CURRENT` a moment before the switch can still open it; a process mapping an
    older one keeps its pages (an unlinked file lives on while mapped)."""
    for path in root.glob("g-*"):
        if path.name[2:].isdigit() and int(path.name[2:]) < newest - 1:
            shutil.rmtree(path, ignore_errors=True)
