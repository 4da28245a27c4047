"""The monthly diagnosis as an Excel workbook in the reader's language: grids, then classes."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.diagnosis.schemas import MonthlyOut
from civicgrid.i18n import translate

CHARTED = 20
GRID_COLUMNS = (
    "rank",
    "grid_code",
    "name",
    "events",
    "previous_month",
    "month_on_month",
    "year_ago",
    "year_on_year",
    "residents",
    "rate_per_1000",
    "households",
    "rate_per_household",
    "device_alarms",
    "anomalies",
    "peer_anomalies",
    "problems",
)
RISK_COLUMNS = (
    "grid_code",
    "name",
    "risk",
    "events",
    "previous_month",
    "month_on_month",
    "year_ago",
    "year_on_year",
    "baseline_mean",
    "p_value",
    "q_value",
    "anomaly",
    "peer_p_value",
    "peer_q_value",
    "peer_anomaly",
)
FORMATS = {
    "month_on_month": "0.0%",
    "year_on_year": "0.0%",
    "rate_per_1000": "0.00",
    "baseline_mean": "0.00",
    "p_value": "0.00E+00",
    "q_value": "0.00E+00",
    "rate_per_household": "0.000",
    "peer_p_value": "0.00E+00",
    "peer_q_value": "0.00E+00",
}


def workbook(report: MonthlyOut, locale: str) -> bytes:
    book = Workbook()
    grids = book.active
    assert isinstance(grids, Worksheet)
    grids.title = translate("analysis.sheet.grids", locale, month=report.month)
    _header(grids, GRID_COLUMNS, locale)
    risks = book.create_sheet(translate("analysis.sheet.risks", locale))
    _header(risks, RISK_COLUMNS, locale)
    yes, no = translate("analysis.yes", locale), translate("analysis.no", locale)
    for grid in report.grids:
        values = grid.model_dump()
        _append(grids, GRID_COLUMNS, [values[column] for column in GRID_COLUMNS])
        for risk in grid.risks:
            row = {**risk.model_dump(), "grid_code": grid.grid_code, "name": grid.name}
            row["risk"], row["anomaly"] = risk.name, yes if risk.anomaly else no
            row["peer_anomaly"] = yes if risk.peer_anomaly else no
            _append(risks, RISK_COLUMNS, [row[column] for column in RISK_COLUMNS])
    grids.column_dimensions[get_column_letter(GRID_COLUMNS.index("problems") + 1)].width = 60
    _ranking_chart(grids, len(report.grids), locale)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ranking_chart(sheet: Worksheet, rows: int, locale: str) -> None:
    """The top grids' events as bars beside the table (office software draws it)."""
    if not rows:
        return
    last = 1 + min(rows, CHARTED)
    chart = BarChart()
    chart.type = "bar"
    chart.title = translate("analysis.sheet.chart", locale, count=last - 1)
    chart.legend = None
    chart.y_axis.title = translate("analysis.column.events", locale)
    events = GRID_COLUMNS.index("events") + 1
    names = GRID_COLUMNS.index("name") + 1
    chart.add_data(Reference(sheet, min_col=events, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=names, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 on top
    chart.height, chart.width = 12, 18
    sheet.add_chart(chart, f"{get_column_letter(len(GRID_COLUMNS) + 2)}2")


def _header(sheet: Worksheet, columns: tuple[str, ...], locale: str) -> None:
    sheet.append([translate(f"analysis.column.{column}", locale) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _append(sheet: Worksheet, columns: tuple[str, ...], values: list[object]) -> None:
    sheet.append(values)
    for column, cell in zip(columns, sheet[sheet.max_row], strict=True):
        _literal(cell)
        if column in FORMATS:
            cell.number_format = FORMATS[column]
        if column == "problems":
            cell.alignment = Alignment(wrap_text=True)


def _literal(cell: Cell) -> None:
    """Text stays text: a name starting with "=" must not become a formula in office software."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
