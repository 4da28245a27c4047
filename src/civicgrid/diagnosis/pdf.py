"""The monthly diagnosis as a PDF a leader prints and reads: title, period, summary
figures, the trend, the map of the grids, the anomalies with their evidence, the ranking.

Why fpdf2: pure Python (its one font dependency, fontTools, subsets the CJK font so a
report stays small), actively released, and it embeds OpenType fonts with CFF outlines
from a collection, which Noto Sans CJK is; reportlab reads TrueType outlines only and
weasyprint needs Pango and an HTML layout for what is a handful of tables.
"""

from collections.abc import Sequence
from io import BytesIO

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.table import Table

from civicgrid.diagnosis import drawing
from civicgrid.diagnosis.figures import change
from civicgrid.diagnosis.schemas import GridOut, MonthlyOut, RiskOut
from civicgrid.diagnosis.service import TrendMonth
from civicgrid.i18n import translate

MEDIA_TYPE = "application/pdf"
FONT = "noto"
RANKED = 20
HEADINGS = FontFace(color=(16, 58, 110), fill_color=(228, 236, 245))
PICTURE_WIDTH = 180


class _Document(FPDF):
    def __init__(self, locale: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.locale = locale
        # One weight only: each embedded CJK face is subset on every export, which costs
        # seconds; headings stand out by size and colour instead of by a bold face.
        self.add_font(
            FONT, "", str(drawing.REGULAR_FONT), collection_font_number=drawing.SIMPLIFIED_FACE
        )
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        page = translate("analysis.pdf.page", self.locale, page=self.page_no())
        self.cell(0, 6, page, align="C")


def document(
    report: MonthlyOut,
    *,
    region: str,
    trend: Sequence[TrendMonth],
    shapes: dict[str, str],
    locale: str,
) -> bytes:
    """The whole report; `region` is its area's name, `shapes` the grids' outlines."""
    pdf = _Document(locale)
    title = translate("analysis.pdf.title", locale, region=region, month=report.month)
    pdf.set_title(title)
    pdf.set_lang(locale)
    pdf.set_creator("civicgrid")
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.set_text_color(16, 58, 110)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=9)
    period = translate(
        "analysis.pdf.period",
        locale,
        month=report.month,
        computed=report.computed_at.strftime("%Y-%m-%d"),
        engine=report.engine,
    )
    pdf.multi_cell(0, 6, period, align="C", new_x="LMARGIN", new_y="NEXT")
    _summary(pdf, report, trend)
    _heading(pdf, translate("analysis.pdf.trend.heading", locale))
    pdf.image(BytesIO(drawing.trend_chart(trend, locale)), w=PICTURE_WIDTH)
    events = {grid.grid_code: grid.events for grid in report.grids}
    picture = drawing.grid_map(shapes, events, locale)
    if picture is not None:
        _heading(pdf, translate("analysis.pdf.map.heading", locale))
        pdf.image(BytesIO(picture), w=PICTURE_WIDTH * 0.8)
    _anomalies(pdf, report, locale)
    _ranking(pdf, report.grids[:RANKED], locale)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=13)
    pdf.set_text_color(16, 58, 110)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=9)


def _summary(pdf: _Document, report: MonthlyOut, trend: Sequence[TrendMonth]) -> None:
    locale = pdf.locale
    _heading(pdf, translate("analysis.pdf.summary", locale))
    this = next((month for month in trend if month.month == report.month), None)
    events = sum(grid.events for grid in report.grids)
    previous = this.previous_month if this else sum(g.previous_month for g in report.grids)
    year_ago = this.year_ago if this else sum(g.year_ago for g in report.grids)
    rows = [
        ("grids", str(len(report.grids))),
        ("events", str(events)),
        ("previous_month", _compared(locale, previous, change(events, previous))),
        ("year_ago", _compared(locale, year_ago, change(events, year_ago))),
        (
            "anomalies",
            translate(
                "analysis.pdf.summary.anomalies_of",
                locale,
                anomalies=report.anomalies,
                tests=report.tests,
            ),
        ),
        ("test", translate("analysis.pdf.test", locale, months=report.baseline_months)),
    ]
    with pdf.table(col_widths=(40, 140), first_row_as_headings=False) as table:
        for key, value in rows:
            row = table.row()
            row.cell(translate(f"analysis.pdf.summary.{key}", locale), style=HEADINGS)
            row.cell(value)


def _anomalies(pdf: _Document, report: MonthlyOut, locale: str) -> None:
    _heading(pdf, translate("analysis.pdf.anomalies", locale))
    flagged = sorted(
        ((grid, risk) for grid in report.grids for risk in grid.risks if risk.anomaly),
        key=lambda pair: (pair[1].q_value, pair[0].grid_code, pair[1].risk_class),
    )
    if not flagged:
        pdf.multi_cell(0, 6, translate("analysis.pdf.anomalies.none", locale))
        return
    columns = ("name", "risk", "events", "baseline_mean", "p_value", "q_value")
    with pdf.table(col_widths=(45, 45, 20, 25, 22, 22), headings_style=HEADINGS) as table:
        _header_row(table, columns, locale)
        for grid, risk in flagged:
            _cells(table, [grid.name, risk.name, *_evidence(risk)])
    pdf.ln(2)
    for code in dict.fromkeys(grid.grid_code for grid, _ in flagged):
        found = next(grid for grid in report.grids if grid.grid_code == code)
        pdf.multi_cell(0, 6, f"• {found.problems}", new_x="LMARGIN", new_y="NEXT")


def _evidence(risk: RiskOut) -> list[str]:
    return [
        str(risk.events),
        f"{risk.baseline_mean:.2f}",
        f"{risk.p_value:.2e}",
        f"{risk.q_value:.2e}",
    ]


def _ranking(pdf: _Document, grids: Sequence[GridOut], locale: str) -> None:
    _heading(pdf, translate("analysis.pdf.ranking", locale, count=len(grids)))
    columns = (
        "rank",
        "name",
        "events",
        "month_on_month",
        "year_on_year",
        "rate_per_1000",
        "anomalies",
    )
    with pdf.table(col_widths=(14, 56, 22, 22, 22, 26, 18), headings_style=HEADINGS) as table:
        _header_row(table, columns, locale)
        for grid in grids:
            rate = "—" if grid.rate_per_1000 is None else f"{grid.rate_per_1000:.2f}"
            _cells(
                table,
                [
                    str(grid.rank),
                    grid.name,
                    str(grid.events),
                    _change(grid.month_on_month),
                    _change(grid.year_on_year),
                    rate,
                    str(grid.anomalies),
                ],
            )


def _header_row(table: Table, columns: Sequence[str], locale: str) -> None:
    _cells(table, [translate(f"analysis.column.{column}", locale) for column in columns])


def _cells(table: Table, values: Sequence[str]) -> None:
    row = table.row()
    for value in values:
        row.cell(value)


def _change(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _compared(locale: str, before: int, relative: float | None) -> str:
    return translate(
        "analysis.pdf.summary.compared", locale, count=before, change=_change(relative)
    )
