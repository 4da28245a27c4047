"""W3C datetimes (the ISO 8601 profile GeoReport v2 uses), read and written.

The profile allows a year, a month, a day, or a time to the minute, second
or fraction; a time carries its zone (`Z` or `+08:00`). A time sent without
one is read as the deployment's local time, as a city's own clients mean it.
"""

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from civicgrid.errors import Invalid
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

_W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?)?)?$",
    re.ASCII,
)


def parse_w3c(value: str, *, field: str) -> datetime:
    """An aware UTC datetime; a malformed or impossible value is a 400 naming the field."""
    match = _W3C.match(value.strip())
    if match is None:
        raise Invalid("open311_date_invalid", field=field, value=value)
    parts = match.groupdict()
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")[:6]),
            tzinfo=_zone(parts["zone"]),
        )
        # 9999-12-31T23:59:59-14:00 is a day past the calendar in UTC: an overflow.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid("open311_date_invalid", field=field, value=value) from None


def _zone(text: str | None) -> tzinfo:
    """`timezone` itself refuses an offset of a day or more (a ValueError, hence a 400)."""
    if text is None:
        return DISPLAY_ZONE
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def format_w3c(moment: datetime | None) -> str | None:
    """Seconds precision in the deployment's zone, the offset spelled out."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(DISPLAY_ZONE).isoformat(timespec="seconds")
