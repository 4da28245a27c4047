"""What a hotspot question asks: a window of local days, risk classes and an area.

A window is `YYYY-MM` (a month) or `YYYY-MM-DD/YYYY-MM-DD` (first and last day, both
included), in the city's days (Asia/Shanghai), at most `MAX_DAYS` long. Classes are a
comma-separated list of the 29 risk-class codes; none means all of them.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis.definition import month_of, shift
from civicgrid.errors import Invalid
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

MAX_DAYS = 366
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAYS = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Window:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first day's local midnight, in UTC."""
        return as_utc(datetime.combine(self.first, time(), DISPLAY_ZONE))

    @property
    def end(self) -> datetime:
        """The local midnight after the last day, in UTC (excluded)."""
        return as_utc(datetime.combine(self.last + timedelta(days=1), time(), DISPLAY_ZONE))

    def months(self) -> list[str]:
        """The archive's month partitions the window touches."""
        found, month = [], month_of(self.first)
        while month <= month_of(self.last):
            found.append(month)
            month = shift(month, 1)
        return found


def parse_window(text: str | None) -> Window:
    """A window from the query string, or a 4xx error in the caller's language."""
    value = (text or "").strip()
    try:
        if _MONTH.match(value):
            first = date.fromisoformat(f"{value}-01")
            window = Window(first, date.fromisoformat(f"{shift(value, 1)}-01") - timedelta(days=1))
        elif match := _DAYS.match(value):
            window = Window(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        else:
            raise ValueError(value)
    except ValueError:
        raise Invalid("hotspots_window_invalid", field="window", value=value[:40]) from None
    if window.last < window.first or window.first.year < 2000:
        raise Invalid("hotspots_window_invalid", field="window", value=value[:40])
    if (window.last - window.first).days + 1 > MAX_DAYS:
        raise Invalid("hotspots_window_too_long", field="window", days=MAX_DAYS)
    return window


def parse_classes(text: str | None) -> tuple[str, ...]:
    """Risk-class codes from a comma-separated list (all 29 when empty)."""
    known = [risk.code for risk in risk_classes()]
    asked = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not asked:
        return tuple(known)
    unknown = [code for code in asked if code not in known]
    if unknown:
        raise Invalid("hotspots_classes_invalid", field="classes", value=",".join(unknown)[:80])
    return tuple(dict.fromkeys(asked))
