"""Each grid's prominent problems in one plain sentence, in the reader's language."""

from collections.abc import Callable, Sequence
from functools import cache

from civicgrid.archive.rollup import DEVICE_ALARMS
from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis.models import MonthlyRisk
from civicgrid.i18n import translate

TOP = 3


@cache
def _names(locale: str) -> dict[str, str]:
    english = locale == "en"
    names = {risk.code: risk.name_en if english else risk.name for risk in risk_classes()}
    return {**names, DEVICE_ALARMS: translate("analysis_recommendation.device_alarms", locale)}


def class_name(code: str, locale: str) -> str:
    return _names(locale).get(code, code)


def problems(grid_name: str, risks: Sequence[MonthlyRisk], locale: str) -> str:
    """Anomalies first (they are what changed): against the grid's own months, then against
    its street's other grids; else the classes with most events."""
    own = _flagged([r for r in risks if r.anomaly], lambda r: r.q_value, locale)
    peer = _flagged([r for r in risks if r.peer_anomaly], lambda r: r.peer_q_value, locale)
    parts = []
    if own:
        parts.append(translate("analysis.sentence.anomalies", locale, grid=grid_name, classes=own))
    if peer:
        parts.append(
            translate("analysis_recommendation.sentence.peer", locale, grid=grid_name, classes=peer)
        )
    if parts:
        return translate("analysis_recommendation.sentence_joiner", locale).join(parts)
    counted = [r for r in risks if r.events and r.risk_class != DEVICE_ALARMS]
    busiest = sorted(counted, key=lambda r: (-r.events, r.risk_class))
    if not busiest:
        return translate("analysis.sentence.quiet", locale, grid=grid_name)
    separator = translate("analysis.list_separator", locale)
    names = separator.join(class_name(r.risk_class, locale) for r in busiest[:TOP])
    total = sum(r.events for r in counted)
    return translate("analysis.sentence.top", locale, grid=grid_name, classes=names, events=total)


def _flagged(risks: list[MonthlyRisk], q_value: Callable[[MonthlyRisk], float], locale: str) -> str:
    """The names of the most significant flagged classes (smallest q first), or ""."""
    ordered = sorted(risks, key=lambda r: (q_value(r), r.risk_class))[:TOP]
    separator = translate("analysis.list_separator", locale)
    return separator.join(class_name(r.risk_class, locale) for r in ordered)
