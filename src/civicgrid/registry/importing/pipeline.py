"""A long file's rows read, checked and sealed in a second process while the import stores
the chunk before.

The import reads the first `hand_over_after` rows itself, in whole chunks, so a small file
never pays for starting a process. If the file goes on, a reading process opens it again,
skips to the next chunk's first row and sends each chunk prepared (preparing.py) through a
pipe. The chunks are cut where the import would have cut them, so every row, error and
count is what the import alone reports. The pipe holds less than a chunk: the reader works
one chunk ahead and no further, and memory stays at two chunks.

Why 'spawn': the reader is a fresh interpreter that inherits nothing. A forked child would
share the session's database connections (one closing an inherited PostgreSQL socket ends
the parent's connection), copy any lock another thread of a server held at that moment
(held forever in the child), and copy the parent's memory (the grid index). 'forkserver'
starts faster after its first use but keeps a server process beside the platform's for
good; a spawn costs about a second per long file, against the tens of seconds the file takes.

The reader gets the registry keys' sources, not the keys (preparing.key_sources), and loads
them as every other caller does; nothing of it is written to disk or logged. It ends after
its last chunk. When the import stops early (a refusal, an exception on its side, a caller
closing the chunks), the reader is killed and waited for before the error goes on; a
reader that dies ends the pipe, raised here as ReadingFailed instead of a wait: the import
refuses the file as a whole, and the transaction it has not committed is rolled back. A file that
proves unreadable deep down is a refusal the reader sends back, raised here as the same
Invalid the import would have met reading it itself. (Starting the first reader also starts
multiprocessing's resource tracker, one per importing process, which ends with it.)
"""

import gc
import pickle
import signal
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import dropwhile, islice
from multiprocessing import current_process, get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from civicgrid.errors import DomainError, Invalid
from civicgrid.registry.importing.files import Rows, open_rows
from civicgrid.registry.importing.preparing import Preparer, Recipe
from civicgrid.registry.importing.rows import Row

CHUNK_ROWS = 5000


class ReadingFailed(DomainError):
    """The reading process ended without finishing the file: it crashed or was killed.

    A refusal of the whole file like an unreadable one (row 0 of the report), so the import
    rolls back and the clerk is told nothing was stored and to import it again."""

    def __init__(self, exit_code: int | None) -> None:
        super().__init__("registry_import_reading_failed", exit_code=exit_code)


@dataclass(frozen=True)
class _Refused:
    """The file itself was refused while the reader read it (row 0 of the report)."""

    code: str
    params: dict[str, Any]


# What the reader sends: a prepared chunk, a refusal, or None once the file is done.
_Message = list[Row] | _Refused | None


def prepared_chunks(
    recipe: Recipe, rows: Rows, path: Path, *, hand_over_after: int | None
) -> Generator[list[Row], None, None]:
    """The file's chunks prepared: the first `hand_over_after` rows here, the rest, if any,
    in a reading process; None keeps every row here (so does a daemonic process, which may
    not start one). Close it (contextlib.closing): a reader still running is then ended."""
    preparer = Preparer(recipe)
    own = None if current_process().daemon else hand_over_after
    read = 0
    while own is None or read < own:
        chunk = list(islice(rows, CHUNK_ROWS))
        if not chunk:
            return
        read += len(chunk)
        with collector_paused():
            prepared = preparer.prepare(chunk)
        yield prepared
    following = next(rows, None)
    if following is not None:
        yield from _read_elsewhere(path, recipe, start=following[0])


def _read_elsewhere(path: Path, recipe: Recipe, *, start: int) -> Iterator[list[Row]]:
    method = get_context("spawn")
    receiving, sending = method.Pipe(duplex=False)
    reader = method.Process(
        target=_read,
        args=(sending, path, recipe, start),
        name="civicgrid-import-reader",
        daemon=True,
    )
    reader.start()
    sending.close()  # the reader holds the only writing end: its death is an end of file here
    try:
        while (message := _received(receiving, reader)) is not None:
            if isinstance(message, _Refused):
                raise Invalid(message.code, **message.params)
            yield message
        reader.join()  # after its last chunk it ends by itself
    finally:
        receiving.close()
        if reader.is_alive():
            reader.kill()
        reader.join()
        reader.close()


def _received(receiving: Connection, reader: BaseProcess) -> _Message:
    try:
        sent = receiving.recv_bytes()
    except (EOFError, OSError):  # OSError: the pipe ended in the middle of a chunk
        reader.join()
        raise ReadingFailed(reader.exitcode) from None
    with collector_paused():
        message: _Message = pickle.loads(sent)
    return message


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a chunk is read, restored or stored.

    A chunk makes some fifty thousand objects that live until the chunk is done, so a
    collection finds nothing among them; left on, the collector walked the import's whole
    heap again and again meanwhile (three quarters of the time a chunk took to restore).
    Between chunks it is on again, and its next round finds any cycles the chunk left."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _read(sending: Connection, path: Path, recipe: Recipe, start: int) -> None:
    """The reading process: each chunk from row `start` on, prepared, then None.

    Ctrl-C at a terminal reaches the whole group: the import, not the reader, decides
    what it means, and kills the reader on its way out. SIGTERM is left to end it (at
    exit, multiprocessing ends a daemonic process that way and then waits for it). If
    the import dies, the next chunk the reader sends finds the pipe closed and it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the process holds before the first row (modules, columns, the keys) is kept to
    # the end: moved out of the collector's sight, a collection walks one chunk, not them.
    gc.freeze()
    try:
        for message in _messages(path, recipe, start):
            with collector_paused():
                sending.send(message)
    except BrokenPipeError:
        return  # the import stopped first and closed its end: nobody waits for the rest
    finally:
        sending.close()


def _messages(path: Path, recipe: Recipe, start: int) -> Iterator[_Message]:
    preparer = Preparer(recipe)
    try:
        with open_rows(path) as rows:
            following = dropwhile(lambda numbered: numbered[0] < start, rows)
            while chunk := list(islice(following, CHUNK_ROWS)):
                with collector_paused():
                    prepared = preparer.prepare(chunk)
                yield prepared
    except DomainError as error:
        yield _Refused(error.code, dict(error.params))
        return
    yield None
