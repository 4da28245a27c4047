"""The printable 交办单 and 督办单 of a case: names, urges and 督办, own area only."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.cases.supervision import sweep
from tests.factories import OWN_GRID, City, People, report, sign_in


def sheet(client: TestClient, number: str, kind: str) -> str:
    response = client.get(f"/desk/cases/{number}/sheets/{kind}")
    assert response.status_code == 200, response.text
    return response.text


def test_the_dispatch_sheet_names_the_case_its_area_and_channel(
    client: TestClient, city: City, people: People
):
    number = report(client, city, OWN_GRID).json()["number"]
    sign_in(client, people.owner.username, people.owner.password)
    page = sheet(client, number, "dispatch")
    assert "交办单" in page
    assert number in page
    assert f"/ 网格{OWN_GRID}</td>" in page  # street, community and grid by name
    assert "暂无催办、督办" in page


def test_the_supervision_sheet_lists_the_urges_and_supervision(
    client: TestClient, db: Session, city: City, people: People
):
    number = report(client, city, OWN_GRID).json()["number"]
    case = db.query(Case).filter_by(number=number).one()
    assert case.stage_due_at is not None
    sweep(db, now=case.stage_due_at + timedelta(days=30), actor_label="system:sla")
    db.commit()
    sign_in(client, people.owner.username, people.owner.password)
    page = sheet(client, number, "supervision")
    assert "督办单" in page
    assert "督办</td>" in page


def test_a_sheet_of_a_case_outside_the_readers_area_is_404(
    client: TestClient, city: City, people: People
):
    number = report(client, city, OWN_GRID).json()["number"]
    sign_in(client, people.outsider.username, people.outsider.password)
    assert client.get(f"/desk/cases/{number}/sheets/dispatch").status_code == 404
