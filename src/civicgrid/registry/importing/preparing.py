"""The per-row work of an import that needs no database and no other row.

A chunk of the file's rows is read cell by cell (`read_row`), each row's location
cells are checked against each other, and its personal fields are sealed (seals).
Everything after that (placing in grids, the repeat check, the checks against the
registry, addresses, writing) needs the session or the rows seen before, and stays
with the import. `prepare` is the one place this work is done, whether it runs in
the import's own process (a small file) or in its reading process (pipeline.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from civicgrid.registry.cells import cell_text
from civicgrid.registry.importing.columns import ADDRESS_REQUIRED, Column
from civicgrid.registry.importing.rows import PlacedColumn, Row, read_row
from civicgrid.registry.importing.seals import Seal
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.sealing import cipher_for
from civicgrid.settings import Settings

# Rows as the file gives them: the spreadsheet row number and the cells.
RawChunk = list[tuple[int, tuple[object, ...]]]


@dataclass(frozen=True)
class Recipe:
    """All the per-row work needs, and nothing else: it pickles, so a reading process
    gets the same. The importer's functions travel by name (module functions and
    partials of them); the keys travel as their sources (`keys`, see `key_sources`)
    and are loaded from them the way every other caller loads them."""

    kind: str
    columns: Callable[[date], tuple[Column, ...]]
    seal: Seal | None
    today: date
    positions: dict[str, int]
    keys: Settings
    # False on a dry run: nothing will be written, so only blind indexes are needed.
    tokens: bool


def key_sources(settings: Settings) -> Settings:
    """Settings that carry only where the registry keys come from (and the environment,
    which decides whether a missing key file may be made): a reading process is given
    this, not the secret key, the broker's password and the rest."""
    return Settings.model_construct(
        environment=settings.environment,
        data_dir=settings.data_dir,
        registry_key_file=settings.registry_key_file,
        registry_keys=settings.registry_keys,
    )


class Preparer:
    """A recipe made ready to run: its columns placed, its cipher loaded on first need."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.placed: tuple[PlacedColumn, ...] = tuple(
            (column.key, column.parse, column.required, recipe.positions.get(column.key, -1))
            for column in recipe.columns(recipe.today)
        )

    @cached_property
    def cipher(self) -> FieldCipher:
        """Asked for only by kinds with personal numbers: a device file needs no registry key."""
        return cipher_for(self.recipe.keys)

    def prepare(self, chunk: RawChunk) -> list[Row]:
        """The chunk's non-blank rows, read, checked on their own and sealed."""
        rows = [
            read_row(number, cells, self.placed)
            for number, cells in chunk
            if any(cell_text(cell) for cell in cells)
        ]
        for row in rows:
            _check_location_cells(self.recipe.kind, row)
        if self.recipe.seal is not None and any(row.ok for row in rows):
            self.recipe.seal(self.cipher, rows, self.recipe.tokens)
        return rows


def _check_location_cells(kind: str, row: Row) -> None:
    values = row.values
    if (values.get("lng") is None) != (values.get("lat") is None):
        row.refuse(
            "lat" if values.get("lat") is None else "lng", "registry_import_point_incomplete"
        )
    if (
        kind in ADDRESS_REQUIRED
        and not values.get("address")
        and "address" not in _columns_refused(row)
    ):
        row.refuse("address", "registry_import_required")


def _columns_refused(row: Row) -> set[str]:
    return {error.column for error in row.errors}
