"""The duty roster: administrators put their area's people on duty, by day and shift, with a
workbook too; the staff read it; the person on duty for a place is found at its nearest
centre; other areas, other roles and bad input are refused in Chinese."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.roster import service as roster
from civicgrid.timeutil import utcnow
from tests.factories import (
    OTHER_DISTRICT,
    OWN_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    People,
    auth,
    user_row,
)

ZH = {"Accept-Language": "zh-CN"}
DAY = date(2026, 12, 7)


@pytest.fixture
def district_admin(db: Session, people: People) -> AuthedUser:
    for username, role, scope in (
        ("district-admin", Role.ADMIN, OWN_DISTRICT),
        ("district-dispatcher", Role.DISPATCHER, OWN_DISTRICT),
    ):
        auth_service.create_user(
            db, username=username, password=PASSWORD, role=role, scope_code=scope
        )
    db.commit()
    return AuthedUser("district-admin", PASSWORD, OWN_DISTRICT, Role.ADMIN)


def duty(region: str = OWN_STREET, username: str = "owner", **extra: object) -> dict[str, object]:
    return {
        "region_code": region,
        "day": DAY.isoformat(),
        "shift": "day",
        "username": username,
        **extra,
    }


def test_an_admin_puts_people_on_duty_and_the_staff_read_the_roster(
    client, db: Session, people: People, district_admin
):
    headers = auth(client, district_admin)
    for body in (duty(note="带班"), duty(OWN_DISTRICT, "district-dispatcher", shift="night")):
        response = client.post("/api/v1/roster", json=body, headers=headers)
        assert response.status_code == 201, response.text
    read = client.get(
        "/api/v1/roster",
        params={"start": DAY, "end": DAY},
        headers={**auth(client, people.leader), **ZH},
    )
    assert read.status_code == 200
    rows = [(row["region_name"], row["shift_label"], row["username"]) for row in read.json()]
    assert rows == [
        (f"区{OWN_DISTRICT}", "夜班", "district-dispatcher"),
        (rows[1][0], "白班", "owner"),
    ]
    kinds = db.scalars(select(AdminChange.kind).where(AdminChange.kind == "duty_roster")).all()
    assert len(kinds) == 2


def test_the_person_on_duty_is_found_at_the_nearest_centre_for_the_shift(
    db: Session, people: People, district_admin
):
    admin = auth_service.actor_for_user(user_row(db, "district-admin"))
    roster.add_duty(
        db,
        admin,
        region_code=OWN_DISTRICT,
        day=DAY,
        shift=roster.Shift.DAY,
        username="district-dispatcher",
    )
    roster.add_duty(
        db, admin, region_code=OWN_STREET, day=DAY, shift=roster.Shift.NIGHT, username="owner"
    )
    db.commit()
    noon = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 12:00 in Beijing: the day shift
    night = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # 04:00 on the 8th: the 7th's night
    assert [d.user.username for d in roster.on_duty(db, OWN_GRID, at=noon)] == [
        "district-dispatcher"
    ]
    assert [d.user.username for d in roster.on_duty(db, OWN_GRID, at=night)] == ["owner"]
    assert roster.on_duty(db, f"{OTHER_DISTRICT}001001001", at=noon) == []


def test_the_current_shift_of_the_area_is_listed_as_today(
    client, db: Session, people, district_admin
):
    day, shift = roster.shift_at(utcnow())
    body = duty(day=day.isoformat(), shift=shift.value)
    assert (
        client.post("/api/v1/roster", json=body, headers=auth(client, district_admin)).status_code
        == 201
    )
    today = client.get("/api/v1/roster/today", headers=auth(client, people.owner)).json()
    assert [row["username"] for row in today] == ["owner"]
    assert client.get("/api/v1/roster/today", headers=auth(client, people.outsider)).json() == []


def test_the_roster_goes_out_and_comes_back_as_a_workbook(
    client, db: Session, people, district_admin
):
    headers = auth(client, district_admin)
    client.post("/api/v1/roster", json=duty(), headers=headers)
    exported = client.get(
        "/api/v1/roster/export.xlsx", params={"start": DAY, "end": DAY}, headers={**headers, **ZH}
    )
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert [cell.value for cell in sheet[2]][:4] == [DAY.isoformat(), "白班", OWN_STREET, "owner"]

    book = Workbook()
    book.active.append(["日期", "班次", "区划代码", "用户名", "备注"])
    book.active.append(["2026-12-08", "夜班", OWN_DISTRICT, "district-dispatcher", ""])
    book.active.append([date(2026, 12, 9), "白班", OWN_STREET, "owner", "周末"])
    upload = io.BytesIO()
    book.save(upload)
    files = {"file": ("roster.xlsx", upload.getvalue())}
    response = client.post("/api/v1/roster/import", files=files, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 2}


def test_a_workbook_with_a_bad_row_is_refused_whole_naming_the_row(
    client, db, people, district_admin
):
    book = Workbook()
    book.active.append(["日期", "班次", "区划代码", "用户名", "备注"])
    book.active.append(["2026-12-08", "夜班", OWN_STREET, "owner", ""])
    book.active.append(["2026-12-09", "白班", OTHER_DISTRICT, "outsider", ""])
    upload = io.BytesIO()
    book.save(upload)
    files = {"file": ("roster.xlsx", upload.getvalue())}
    response = client.post(
        "/api/v1/roster/import", files=files, headers={**auth(client, district_admin), **ZH}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("第 3 行：")
    admin = auth_service.actor_for_user(user_row(db, "district-admin"))
    assert roster.list_duties(db, admin, start=DAY, end=date(2026, 12, 9)) == []


def test_a_district_admin_cannot_roster_another_district(
    client, db: Session, people, district_admin
):
    headers = {**auth(client, district_admin), **ZH}
    response = client.post("/api/v1/roster", json=duty(OTHER_DISTRICT, "outsider"), headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == f"区划 {OTHER_DISTRICT} 不在您的管辖范围内"
    city_admin = auth(client, people.admin)
    made = client.post("/api/v1/roster", json=duty(OTHER_DISTRICT, "outsider"), headers=city_admin)
    assert made.status_code == 201
    removed = client.delete(f"/api/v1/roster/{made.json()['id']}", headers=headers)
    assert removed.status_code == 404


@pytest.mark.parametrize("who", ["owner", "peer", "leader"])
def test_only_administrators_keep_the_roster(client, people: People, who: str):
    headers = {**auth(client, getattr(people, who)), **ZH}
    response = client.post("/api/v1/roster", json=duty(), headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "当前角色无权执行此操作"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"region_code": OWN_GRID}, 422),
        ({"region_code": "530502999"}, 422),
        ({"username": "nobody"}, 422),
        ({"username": "outsider"}, 422),
        ({"shift": "siesta"}, 422),
        ({"day": "2026-13-45"}, 422),
        ({"region_code": "<b>"}, 422),
        ({"note": "x" * 500}, 422),
    ],
)
def test_malformed_duties_are_refused_in_chinese(client, people, district_admin, change, status):
    headers = {**auth(client, people.admin), **ZH}
    response = client.post("/api/v1/roster", json=duty(**change), headers=headers)
    assert response.status_code == status, response.text
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["error"]["message"])


def test_the_same_duty_twice_is_a_conflict(client, people, district_admin):
    headers = {**auth(client, people.admin), **ZH}
    assert client.post("/api/v1/roster", json=duty(), headers=headers).status_code == 201
    again = client.post("/api/v1/roster", json=duty(), headers=headers)
    assert again.status_code == 409
    assert "已排班" in again.json()["error"]["message"]


def test_a_period_too_long_or_backwards_is_refused(client, people):
    headers = {**auth(client, people.leader), **ZH}
    for start, end in (("2026-12-07", "2026-12-01"), ("2026-01-01", "2026-12-31")):
        response = client.get(
            "/api/v1/roster", params={"start": start, "end": end}, headers=headers
        )
        assert response.status_code == 422
        assert "查询期间无效" in response.json()["error"]["message"]


def test_an_alarm_s_place_names_who_was_on_duty_then_inside_the_reader_s_area(
    client, people: People, district_admin
):
    client.post("/api/v1/roster", json=duty(), headers=auth(client, district_admin))
    noon = "2026-12-07T12:00:00+08:00"
    asked = {"region_code": OWN_GRID, "at": noon}
    found = client.get("/api/v1/roster/on-duty", params=asked, headers=auth(client, people.owner))
    assert [row["username"] for row in found.json()] == ["owner"]
    night = {"region_code": OWN_GRID, "at": "2026-12-07T21:00:00+08:00"}
    assert (
        client.get(
            "/api/v1/roster/on-duty", params=night, headers=auth(client, people.owner)
        ).json()
        == []
    )
    elsewhere = {"region_code": f"{OTHER_DISTRICT}001001001", "at": noon}
    refused = client.get(
        "/api/v1/roster/on-duty", params=elsewhere, headers={**auth(client, people.owner), **ZH}
    )
    assert refused.status_code == 403
    assert "管辖范围" in refused.json()["error"]["message"]
    bad = client.get(
        "/api/v1/roster/on-duty",
        params={"region_code": "x", "at": "noon"},
        headers={**auth(client, people.owner), **ZH},
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("moment", "first_day"),
    [
        # 01:30 in Beijing: the night shift that began the evening before is still running.
        (datetime(2026, 12, 7, 17, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 8, 1, 0, tzinfo=UTC), date(2026, 12, 8)),
        (datetime(2026, 12, 8, 13, 0, tzinfo=UTC), date(2026, 12, 8)),
    ],
)
def test_without_days_named_the_roster_reads_from_the_shift_running_now(moment, first_day):
    assert roster.period_from(None, None, at=moment) == (first_day, first_day + timedelta(days=6))
    assert roster.period_from(DAY, None, at=moment) == (DAY, date(2026, 12, 13))
    assert roster.period_from(DAY, DAY, at=moment) == (DAY, DAY)


def test_the_roster_read_without_days_shows_the_duty_running_now(
    client, people: People, district_admin
):
    day, shift = roster.shift_at(utcnow())
    body = {**duty(), "day": day.isoformat(), "shift": shift.value}
    assert (
        client.post("/api/v1/roster", json=body, headers=auth(client, district_admin)).status_code
        == 201
    )

    headers = {**auth(client, people.leader), **ZH}
    listed = client.get("/api/v1/roster", headers=headers)
    exported = client.get("/api/v1/roster/export.xlsx", headers=headers)

    assert [row["username"] for row in listed.json()] == ["owner"]
    assert exported.status_code == 200
    assert f"roster-{day}-" in exported.headers["content-disposition"]
