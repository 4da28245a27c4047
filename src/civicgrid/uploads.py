"""Uploaded files as the importers want them: a private temporary file with a known suffix.

Importers read paths (openpyxl, Shapefile readers), so an upload is copied to a
temporary folder first, size-limited while copying, and removed afterwards.
"""

import io
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from civicgrid.errors import Invalid

_COPY_BYTES = 1 << 20


@contextmanager
def saved_upload(
    upload: UploadFile, *, suffixes: Collection[str], max_bytes: int
) -> Iterator[Path]:
    """The upload in a private temporary file, keeping only a suffix the importer knows."""
    suffix = Path(upload.filename or "").suffix.lower()
    known = suffix if suffix in suffixes else ""
    with tempfile.TemporaryDirectory(prefix="civicgrid-upload-") as folder:
        path = Path(folder) / f"{_stem(upload.filename)}{known}"
        with path.open("wb") as target:
            copied = _copy_limited(upload, target, max_bytes)
        if copied > max_bytes:
            raise Invalid("upload_too_large", limit=max_bytes // (1024 * 1024))
        yield path


def _stem(filename: str | None) -> str:
    """The uploaded name without folders, so a report names the user's own file."""
    stem = Path(filename or "").stem
    return stem.replace("/", "_").replace("\\", "_") or "upload"


def _copy_limited(upload: UploadFile, target: io.BufferedWriter, max_bytes: int) -> int:
    copied = 0
    while chunk := upload.file.read(_COPY_BYTES):
        copied += len(chunk)
        if copied > max_bytes:
            break
        target.write(chunk)
    return copied
