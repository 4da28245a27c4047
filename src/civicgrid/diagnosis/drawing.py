"""The monthly report's pictures drawn on the server (a trend chart, a map of the grids),
as PNG for the PDF: a leader's printout carries them with no browser in between.

Chinese needs a CJK font: Noto Sans CJK from Debian's fonts-noto-cjk, a declared system
dependency (scripts/system-deps.sh), read at its packaged path.
"""

import json
from collections.abc import Sequence
from functools import cache
from io import BytesIO
from math import cos, radians
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from civicgrid.diagnosis.service import TrendMonth
from civicgrid.i18n import translate

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
REGULAR_FONT = FONT_DIR / "NotoSansCJK-Regular.ttc"
# The collection's faces are JP, KR, SC, TC, HK…: simplified Chinese is the third.
SIMPLIFIED_FACE = 2
FAMILY = "Noto Sans CJK SC"
COLOUR_MAP = "YlOrRd"
DPI = 160


@cache
def _font_family() -> str:
    font_manager.fontManager.addfont(str(REGULAR_FONT))
    return FAMILY


def _png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def trend_chart(months: Sequence[TrendMonth], locale: str) -> bytes:
    """Bars of each stored month's events, with the same months a year before as a line."""
    with matplotlib.rc_context({"font.family": _font_family(), "font.size": 9}):
        # A Figure of its own, not pyplot's global one: requests draw in parallel threads.
        figure = Figure(figsize=(7.0, 2.6))
        axes = figure.subplots()
        labels = [month.month for month in months]
        axes.bar(
            labels,
            [m.events for m in months],
            color="#2386b8",
            label=translate("analysis.pdf.trend.events", locale),
        )
        axes.plot(
            labels,
            [m.year_ago for m in months],
            color="#e4572e",
            marker="o",
            label=translate("analysis.pdf.trend.year_ago", locale),
        )
        axes.set_title(translate("analysis.pdf.trend.title", locale))
        axes.legend(loc="upper left", frameon=False)
        axes.tick_params(axis="x", labelrotation=45)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def grid_map(shapes: dict[str, str], events: dict[str, int], locale: str) -> bytes | None:
    """Each grid's outline filled by its month's events, with the scale as the legend;
    none when no grid of the report has a shape."""
    polygons, values = [], []
    for code, geojson in shapes.items():
        for ring in _outer_rings(json.loads(geojson)):
            polygons.append(ring)
            values.append(events.get(code, 0))
    if not polygons:
        return None
    with matplotlib.rc_context({"font.family": _font_family(), "font.size": 9}):
        figure = Figure(figsize=(7.0, 5.0))
        axes = figure.subplots()
        scale = Normalize(vmin=0, vmax=max(1, *values))
        collection = PolyCollection(
            polygons,
            array=values,
            cmap=COLOUR_MAP,
            norm=scale,
            edgecolors="#555555",
            linewidths=0.4,
        )
        axes.add_collection(collection)
        axes.autoscale_view()
        latitude = sum(y for ring in polygons for _, y in ring) / sum(len(r) for r in polygons)
        axes.set_aspect(1 / cos(radians(latitude)))
        axes.set_axis_off()
        axes.set_title(translate("analysis.pdf.map.title", locale))
        bar = figure.colorbar(collection, ax=axes, shrink=0.7)
        bar.set_label(translate("analysis.pdf.map.legend", locale))
        return _png(figure)


def _outer_rings(geometry: dict[str, object]) -> list[list[tuple[float, float]]]:
    """The outer ring of each polygon (holes are too small to see at a city's scale)."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon" and isinstance(coordinates, list):
        return [[(x, y) for x, y, *_ in coordinates[0]]]
    if kind == "MultiPolygon" and isinstance(coordinates, list):
        return [[(x, y) for x, y, *_ in polygon[0]] for polygon in coordinates]
    return []
