"""The columns of each import kind: their keys, whether required, and how a cell is read."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache, partial
from typing import Any

from civicgrid.errors import Invalid
from civicgrid.i18n import SUPPORTED_LOCALES, translate
from civicgrid.registry.cells import (
    cell_choice,
    cell_choices,
    cell_coordinate,
    cell_date,
    cell_name,
    cell_number,
    cell_text,
    folded,
)
from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.models import (
    CareGroup,
    HousingUse,
    OrganisationKind,
    PlaceKind,
    ResidenceKind,
    Tenure,
)
from civicgrid.registry.validation import (
    parse_credit_code,
    parse_phone,
    parse_region_code,
    parse_resident_id,
)
from civicgrid.spreadsheet import cell_integer

# Mainland China's extent, so a swapped longitude and latitude is caught before locating.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
ALIAS_SEPARATOR = "|"
_CHOICE_MEMO = 4096

Parse = Callable[[object], Any]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    parse: Parse
    required: bool = False


def optional_cell(parse: Callable[[Any], Any]) -> Parse:
    """Blank cells read as None; anything else goes to the validator as it came."""

    def read(value: object) -> Any:
        if value is None or (type(value) is str and not cell_text(value)):
            return None
        return parse(value)

    return read


def text_cell(limit: int, *, name: bool = False) -> Parse:
    def read(value: object) -> str | None:
        text = cell_name(value) if name else cell_text(value)
        if len(text) > limit:
            raise Invalid("registry_import_too_long", limit=limit, length=len(text))
        return text or None

    return read


def _at_least(minimum: float, parse: Parse) -> Parse:
    def read(value: object) -> Any:
        number = parse(value)
        if number is not None and number < minimum:
            raise Invalid("registry_import_too_small", value=cell_text(value), minimum=minimum)
        return number

    return read


@cache
def _words(group: str, values: tuple[str, ...]) -> dict[str, str]:
    """Every spelling of each value: its slug and the catalogue's words in every locale."""
    words = {folded(value): value for value in values}
    for locale in SUPPORTED_LOCALES:
        for value in values:
            spellings = translate(f"registry_import.{group}.{value}", locale)
            words |= {folded(word): value for word in spellings.split(ALIAS_SEPARATOR)}
    return words


def choice_cell(group: str, enum: type[StrEnum], *, many: bool = False) -> Parse:
    """Remembered per spelling: a column of choices holds a few spellings a million times."""
    words = _words(group, tuple(member.value for member in enum))
    if not many:
        return lru_cache(maxsize=_CHOICE_MEMO)(partial(cell_choice, words=words))
    chosen = lru_cache(maxsize=_CHOICE_MEMO)(lambda value: tuple(cell_choices(value, words)))
    return lambda value: list(chosen(value))


def _location_columns() -> tuple[Column, ...]:
    return (
        Column("address", text_cell(400)),
        Column("grid_code", grid_code_cell),
        Column("lng", partial(cell_coordinate, low=LNG_RANGE[0], high=LNG_RANGE[1])),
        Column("lat", partial(cell_coordinate, low=LAT_RANGE[0], high=LAT_RANGE[1])),
    )


@lru_cache(maxsize=1 << 16)
def _region_code(raw: str) -> str:
    """Remembered: a register names the same few hundred grids a million times."""
    return parse_region_code(raw)


def grid_code_cell(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        text = cell_text(value)
        return _region_code(text) if text else None
    return parse_region_code(value)  # type: ignore[arg-type]


@cache
def columns_of(kind: ImportKind, today: date) -> tuple[Column, ...]:
    """The columns of a kind; `today` bounds birth dates (the Shanghai date of the import)."""
    phone = optional_cell(parse_phone)
    whole = _at_least(0, cell_integer)
    by_kind: dict[ImportKind, tuple[Column, ...]] = {
        ImportKind.RESIDENTS: (
            Column("name", text_cell(64, name=True), required=True),
            Column(
                "id_number", optional_cell(partial(parse_resident_id, today=today)), required=True
            ),
            Column("phone", phone),
            Column("residence_kind", choice_cell("residence_kind", ResidenceKind), required=True),
            Column("household_number", text_cell(32)),
            Column("relation_to_head", text_cell(16)),
            Column("moved_in_on", cell_date),
            Column("care_groups", choice_cell("care_group", CareGroup, many=True)),
        ),
        ImportKind.HOUSEHOLDS: (Column("household_number", text_cell(32), required=True),),
        ImportKind.HOUSING: (
            Column("use", choice_cell("housing_use", HousingUse), required=True),
            Column("tenure", choice_cell("tenure", Tenure), required=True),
            Column("area_m2", _at_least(0, cell_number)),
            Column("owner_name", text_cell(64, name=True)),
            Column("owner_phone", phone),
        ),
        ImportKind.ORGANISATIONS: (
            Column("name", text_cell(200, name=True), required=True),
            Column("credit_code", optional_cell(parse_credit_code), required=True),
            Column("organisation_kind", choice_cell("organisation_kind", OrganisationKind)),
            Column("legal_representative", text_cell(64, name=True)),
            Column("contact_phone", phone),
            Column("employees", whole),
        ),
        ImportKind.KEY_PLACES: (
            Column("name", text_cell(200, name=True), required=True),
            Column("place_kind", choice_cell("place_kind", PlaceKind), required=True),
            Column("credit_code", optional_cell(parse_credit_code)),
            Column("patrol_every_days", _at_least(1, cell_integer)),
            Column("note", text_cell(2000)),
        ),
    }
    return by_kind[kind] + _location_columns()


# Address text is what identifies a household's or a dwelling's place.
ADDRESS_REQUIRED = frozenset({ImportKind.HOUSEHOLDS, ImportKind.HOUSING})
