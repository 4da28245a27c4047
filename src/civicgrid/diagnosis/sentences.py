"""Each grid's prominent problems in one plain sentence, in the reader's language."""

from collections.abc import Sequence
from functools import cache

from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis.models import MonthlyRisk
from civicgrid.i18n import translate

TOP = 3


@cache
def _names(locale: str) -> dict[str, str]:
    english = locale == "en"
    return {risk.code: risk.name_en if english else risk.name for risk in risk_classes()}


def class_name(code: str, locale: str) -> str:
    return _names(locale).get(code, code)


def problems(grid_name: str, risks: Sequence[MonthlyRisk], locale: str) -> str:
    """Anomalies first (they are what changed), else the classes with most events."""
    separator = translate("analysis.list_separator", locale)
    flagged = sorted((r for r in risks if r.anomaly), key=lambda r: (r.q_value, r.risk_class))
    if flagged:
        names = separator.join(class_name(r.risk_class, locale) for r in flagged[:TOP])
        return translate("analysis.sentence.anomalies", locale, grid=grid_name, classes=names)
    busiest = sorted((r for r in risks if r.events), key=lambda r: (-r.events, r.risk_class))
    if not busiest:
        return translate("analysis.sentence.quiet", locale, grid=grid_name)
    names = separator.join(class_name(r.risk_class, locale) for r in busiest[:TOP])
    total = sum(r.events for r in risks)
    return translate("analysis.sentence.top", locale, grid=grid_name, classes=names, events=total)
