"""A data row as read, and what one import learns as it goes through its rows."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.divisions import Level
from civicgrid.errors import DomainError
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import AddressBook
from civicgrid.registry.importing.columns import Parse
from civicgrid.registry.importing.report import RowError
from civicgrid.registry.sealing import Sealed
from civicgrid.spreadsheet import CellError
from civicgrid.timeutil import DISPLAY_ZONE, utcnow


@dataclass(eq=False, slots=True)
class Row:
    """One data row as read: its values by column key, and whatever was wrong with it.

    `uid` and `sealed` (personal fields by their sealing field name) are filled before
    the database is asked, by the kind's seal step (importing/seals.py).
    """

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    region_code: str = ""
    address_id: int | None = None
    uid: str = ""
    sealed: dict[str, Sealed] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, column: str, code: str, /, **params: Any) -> None:
        self.errors.append(RowError(self.number, column, code, params))


# A column as the row reader walks it: key, parser, required, position in the file (or -1).
PlacedColumn = tuple[str, Parse, bool, int]


def read_row(number: int, cells: tuple[object, ...], columns: Sequence[PlacedColumn]) -> Row:
    """Every cell of one row through its column's reader; plain tuples, since this runs
    once per row of a million-row file."""
    row = Row(number)
    values = row.values
    width = len(cells)
    for key, parse, required, position in columns:
        try:
            value = parse(cells[position] if 0 <= position < width else None)
        except (DomainError, CellError) as error:
            row.refuse(key, error.code, **error.params)
            continue
        if required and value is None:
            row.refuse(key, "registry_import_required")
        values[key] = value
    return row


@dataclass
class Context:
    """What one import learns as it goes, so each chunk asks the database only what is new."""

    db: Session
    actor: Actor
    grid_index: GridIndex
    now: datetime
    today: date
    known_areas: frozenset[str]
    # One import holds one kind, so the keys (an ID number's 16-byte blind index,
    # a household number, a credit code) never meet keys of another kind.
    first_seen: dict[Hashable, int] = field(default_factory=dict)
    address_ids: dict[str, int] = field(default_factory=dict)
    address_book: AddressBook = field(default_factory=AddressBook)
    households: dict[str, int] = field(default_factory=dict)
    new_households: dict[str, Row] = field(default_factory=dict)
    organisations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, db: Session, actor: Actor, grid_index: GridIndex) -> "Context":
        areas = db.scalars(
            select(Region.code).where(Region.level.in_([Level.GRID, Level.COMMUNITY]))
        )
        now = utcnow()
        return cls(
            db=db,
            actor=actor,
            grid_index=grid_index,
            now=now,
            today=now.astimezone(DISPLAY_ZONE).date(),
            known_areas=frozenset(areas),
        )

    def repeated(self, row: Row, column: str, key: Hashable) -> bool:
        """Whether an earlier row of the file already had this key; refuses the row if so."""
        first = self.first_seen.setdefault(key, row.number)
        if first != row.number:
            row.refuse(column, "registry_import_repeated", row=first)
            return True
        return False
