"""What the analysis page reads beside the monthly report: the stored months, a region's
trend, the cases behind a figure, and the printable PDF in Chinese."""

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.settings import Settings
from tests.factories import (
    FLAT_GRID,
    OWN_GRID,
    OWN_STREET,
    SPIKE_CLASS,
    SPIKE_COUNT,
    SPIKE_MONTH,
    SPIKE_PER_MONTH,
    City,
    People,
    auth,
    plant_case_spike,
)


@pytest.fixture
def spike(db: Session, city: City, engine: Engine, settings: Settings) -> None:
    plant_case_spike(db, city, engine, settings)


@pytest.mark.usefixtures("spike")
def test_the_stored_months_come_newest_first_and_a_grid_has_its_trend(
    client: TestClient, people: People
):
    headers = auth(client, people.leader)
    months = client.get("/api/v1/analysis/months", headers=headers)
    trend = client.get(f"/api/v1/analysis/trend?region={OWN_GRID}", headers=headers)
    street = client.get(
        f"/api/v1/analysis/trend?region={OWN_STREET}&risk_class={SPIKE_CLASS}", headers=headers
    )

    assert months.json() == [SPIKE_MONTH, "2026-10"]
    assert trend.status_code == 200, trend.text
    october, november = trend.json()
    assert (october["month"], october["events"], october["month_on_month"]) == ("2026-10", 1, 0.0)
    assert (november["events"], november["previous_month"], november["year_ago"]) == (6, 1, 1)
    assert november["month_on_month"] == november["year_on_year"] == 5.0
    assert [entry["events"] for entry in street.json()] == [2, SPIKE_COUNT + SPIKE_PER_MONTH]


@pytest.mark.usefixtures("spike")
def test_the_cases_behind_an_anomaly_are_listed_inside_the_readers_area(
    client: TestClient, people: People
):
    query = f"region={OWN_GRID}&risk_class={SPIKE_CLASS}&month={SPIKE_MONTH}"
    own = client.get(f"/api/v1/cases?{query}", headers=auth(client, people.owner))
    outsider = client.get(f"/api/v1/cases?{query}", headers=auth(client, people.outsider))
    flat = client.get(
        f"/api/v1/cases?region={FLAT_GRID}&month={SPIKE_MONTH}", headers=auth(client, people.owner)
    )
    other_class = client.get(
        f"/api/v1/cases?region={OWN_GRID}&risk_class=fire&month={SPIKE_MONTH}",
        headers=auth(client, people.owner),
    )

    assert own.headers["X-Total-Count"] == str(SPIKE_COUNT)
    assert {case["grid_code"] for case in own.json()} == {OWN_GRID}
    assert outsider.headers["X-Total-Count"] == "0"
    assert flat.headers["X-Total-Count"] == str(SPIKE_PER_MONTH)
    assert other_class.headers["X-Total-Count"] == "0"


def test_a_malformed_month_or_region_of_the_case_list_is_refused_in_words(
    client: TestClient, people: People
):
    headers = {**auth(client, people.owner), "Accept-Language": "zh-CN"}
    month = client.get("/api/v1/cases?month=2026-13", headers=headers)
    region = client.get("/api/v1/cases?region=53x", headers=headers)

    assert month.status_code == 422
    assert "2026-13" in month.json()["error"]["message"]
    assert region.status_code == 422


@pytest.mark.usefixtures("spike")
def test_the_pdf_report_is_chinese_text_with_its_anomaly_ranking_and_pictures(
    client: TestClient, people: People
):
    response = client.get(
        f"/api/v1/analysis/monthly.pdf?month={SPIKE_MONTH}&region={OWN_STREET}",
        headers={**auth(client, people.leader), "Accept-Language": "zh-CN"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    # Extraction splits CID glyphs with NULs and spaces; what matters is the characters.
    text = "".join(page.extract_text() for page in reader.pages)
    text = "".join(text.replace("\x00", "").split())
    assert f"街道{OWN_STREET}{SPIKE_MONTH}月度研判报告" in text
    assert "本月异常" in text
    assert "市容与城市管理秩序" in text  # the spiking class, by its Chinese name
    assert f"网格{OWN_GRID}本月市容与城市管理秩序明显高于" in text  # the problem sentence
    assert "网格排名" in text
    pictures = sum(len(page.images) for page in reader.pages)
    assert pictures == 2  # the trend chart and the map


@pytest.mark.usefixtures("spike")
def test_the_pdf_is_refused_to_a_role_that_may_not_read_the_report(
    client: TestClient, people: People
):
    response = client.get(
        f"/api/v1/analysis/monthly.pdf?month={SPIKE_MONTH}", headers=auth(client, people.peer)
    )

    assert response.status_code == 403


@pytest.mark.usefixtures("spike")
def test_the_workbook_charts_the_top_grids_events(client: TestClient, people: People):
    response = client.get(
        f"/api/v1/analysis/monthly.xlsx?month={SPIKE_MONTH}", headers=auth(client, people.owner)
    )

    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert len(sheet._charts) == 1  # openpyxl keeps a read sheet's charts only here
