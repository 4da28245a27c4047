"""Reading one cell of an external record: times in the spellings exports use, short texts
with personal numbers masked, and record ids that must not be a person's number."""

import json
from collections.abc import Callable
from datetime import date, datetime, time
from functools import partial
from importlib import resources
from typing import Any

from civicgrid.errors import Invalid
from civicgrid.masking import mask_personal_data
from civicgrid.registry.cells import cell_coordinate, cell_text
from civicgrid.registry.importing.columns import LAT_RANGE, LNG_RANGE
from civicgrid.registry.validation import parse_region_code
from civicgrid.sources.schemas import ColumnMapping
from civicgrid.timeutil import DISPLAY_ZONE

# What 110, 12345 and 信访 systems write (data/time_formats.json); a source with another
# spelling saves its own.
TIME_FORMATS: tuple[str, ...] = tuple(
    json.loads(
        resources.files(__package__).joinpath("data", "time_formats.json").read_text("utf-8")
    )["time_formats"]
)

Parse = Callable[[object], Any]


def moment(value: object, *, pattern: str | None) -> datetime | None:
    """A time cell as an aware UTC-comparable moment; a time without a zone is the city's."""
    if value is None:
        return None
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime.combine(value, time())
    else:
        text = cell_text(value)
        if not text:
            return None
        found = _parsed(text, pattern)
    return found if found.tzinfo else found.replace(tzinfo=DISPLAY_ZONE)


def _parsed(text: str, pattern: str | None) -> datetime:
    for candidate in (pattern,) if pattern else TIME_FORMATS:
        try:
            return datetime.strptime(text, candidate)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("source_time_unreadable", value=text[:40]) from None


def short_text(value: object, *, limit: int) -> str | None:
    """A type or status as kept: trimmed, cut to `limit`, any phone or ID number starred."""
    text = cell_text(value)
    return mask_personal_data(text)[:limit] or None


def record_id(value: object) -> str | None:
    """The source's own id; refused when it is a person's number (ID number, phone)."""
    text = cell_text(value)
    if not text:
        return None
    if len(text) > 64:
        raise Invalid("source_record_id_too_long", length=len(text))
    if mask_personal_data(text) != text:
        raise Invalid("source_record_id_personal")
    return text


def grid_code(value: object) -> str | None:
    text = cell_text(value)
    return parse_region_code(text) if text else None


def address(value: object) -> str | None:
    """Used to find the grid, then forgotten: an address is never stored."""
    return cell_text(value)[:400] or None


def parsers(columns: ColumnMapping, pattern: str | None) -> dict[str, tuple[Parse, bool]]:
    """Each mapped field's reader and whether a row needs it."""
    return {
        "record_id": (record_id, True),
        "occurred_at": (partial(moment, pattern=pattern), True),
        "type": (partial(short_text, limit=120), True),
        "status": (partial(short_text, limit=40), False),
        "lng": (partial(cell_coordinate, low=LNG_RANGE[0], high=LNG_RANGE[1]), False),
        "lat": (partial(cell_coordinate, low=LAT_RANGE[0], high=LAT_RANGE[1]), False),
        "grid_code": (grid_code, False),
        "address": (address, False),
    }
