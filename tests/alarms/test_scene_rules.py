"""Scene rules over Frigate's object events, their admin API, and the dead letters' listing.

These tests hand Frigate's messages to the listener's Frigate state directly;
the same messages through the real broker are in test_mqtt_listener.py.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms import deadletters
from civicgrid.alarms.frigate import FrigateState
from civicgrid.alarms.models import Alarm, DeadLetter
from civicgrid.audit.models import AdminChange
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.errors import Unauthorized
from civicgrid.geo.service import GridIndex
from tests.alarms.conftest import (
    FRIGATE_CAMERA,
    MORNING,
    Registered,
    frigate_event,
    frigate_review,
    jpeg,
)
from tests.factories import (
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    People,
    auth,
)

NOW = datetime(2026, 12, 7, 2, 10, tzinfo=UTC)
NIGHT = datetime(2026, 12, 7, 15, 30, tzinfo=UTC).timestamp()  # 23:30 in Shanghai


def take(db: Session, state: FrigateState, topic: str, payload: bytes) -> str:
    what = state.take(db, GridIndex(), topic=f"frigate/{topic}", payload=payload, now=NOW)
    db.commit()
    return what


def alarms(db: Session) -> list[Alarm]:
    return list(db.scalars(select(Alarm).order_by(Alarm.id)))


def test_a_car_in_a_no_parking_zone_becomes_an_illegal_parking_case_after_five_minutes(
    db: Session, frigate_camera: Registered, photo_dir: Path
):
    state = FrigateState()
    take(db, state, f"{FRIGATE_CAMERA}/car/snapshot", jpeg())
    take(db, state, "events", frigate_event("new", "1.0-car", at=MORNING))
    take(db, state, "events", frigate_event("update", "1.0-car", at=MORNING + 299))
    assert alarms(db) == []
    parked = frigate_event("update", "1.0-car", at=MORNING + 300)
    assert take(db, state, "events", parked) == "scene_alarm"
    assert take(db, state, "events", parked) == "frigate_event"  # redelivered: stored once
    [alarm] = alarms(db)
    assert alarm.alarm_type == "illegal_parking"
    assert alarm.event_id == "frigate-1.0-car-r1"
    assert alarm.attributes["scene_rule"] == "禁停区车辆停留 5 分钟"
    assert alarm.attributes["dwell_seconds"] == 300
    assert "禁停区车辆停留 5 分钟" in alarm.detail
    case = db.scalar(select(Case).where(Case.number == alarm.case_number))
    assert case is not None
    assert case.category_code == "UM-02-05"
    assert case.region_code == OWN_GRID
    photos = list(db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)))
    assert [photo.purpose for photo in photos] == ["report"]
    assert len(list(photo_dir.rglob("*.jpg"))) == 1


def test_a_car_that_entered_the_zone_later_is_timed_from_its_entry(
    db: Session, frigate_camera: Registered
):
    state = FrigateState()
    take(db, state, "events", frigate_event("new", "2.0-car", at=MORNING, zones=()))
    take(db, state, "events", frigate_event("update", "2.0-car", at=MORNING + 200))
    take(db, state, "events", frigate_event("end", "2.0-car", at=MORNING + 450))
    assert alarms(db) == []  # 250 s in the zone, though 450 s in sight
    take(db, state, "events", frigate_event("new", "3.0-car", at=MORNING))
    take(db, state, "events", frigate_event("end", "3.0-car", at=MORNING + 400))
    assert [alarm.event_id for alarm in alarms(db)] == ["frigate-3.0-car-r1"]


def test_more_than_twenty_people_in_a_watched_zone_raise_one_crowding_alarm(
    db: Session, frigate_camera: Registered
):
    state = FrigateState()
    for number in range(20):
        person = frigate_event(
            "new", f"p-{number}", at=MORNING, label="person", zones=("crowd_watch",)
        )
        take(db, state, "events", person)
    take(
        db,
        state,
        "events",
        frigate_event("end", "p-0", at=MORNING + 5, label="person", zones=("crowd_watch",)),
    )
    take(
        db,
        state,
        "events",
        frigate_event("new", "p-20", at=MORNING + 6, label="person", zones=("crowd_watch",)),
    )
    assert alarms(db) == []  # twenty at once: one left before the twenty-first came
    take(
        db,
        state,
        "events",
        frigate_event("new", "p-21", at=MORNING + 7, label="person", zones=("crowd_watch",)),
    )
    [alarm] = alarms(db)
    assert (alarm.alarm_type, alarm.attributes["count"]) == ("crowding", 21)


def test_a_bicycle_in_the_elevator_is_an_e_bike_alarm_and_a_person_there_is_not(
    db: Session, frigate_camera: Registered
):
    state = FrigateState()
    take(
        db,
        state,
        "events",
        frigate_event("new", "p-1", at=MORNING, label="person", zones=("elevator",)),
    )
    assert alarms(db) == []
    take(
        db,
        state,
        "events",
        frigate_event("new", "b-1", at=MORNING, label="bicycle", zones=("elevator",)),
    )
    [alarm] = alarms(db)
    assert alarm.alarm_type == "ebike_in_elevator"
    case = db.scalar(select(Case).where(Case.number == alarm.case_number))
    assert case is not None
    assert case.category_code == "SG-04-03"


def test_anything_in_the_perimeter_zone_is_an_intrusion_only_at_night(
    db: Session, frigate_camera: Registered
):
    state = FrigateState()
    by_day = frigate_event(
        "new", "d-1", at=MORNING, start=MORNING, label="dog", zones=("perimeter",)
    )
    take(db, state, "events", by_day)
    assert alarms(db) == []
    by_night = frigate_event("new", "n-1", at=NIGHT, start=NIGHT, label="dog", zones=("perimeter",))
    take(db, state, "events", by_night)
    assert [alarm.alarm_type for alarm in alarms(db)] == ["intrusion"]


def test_a_review_is_accepted_and_an_unknown_camera_is_refused(
    db: Session, frigate_camera: Registered
):
    state = FrigateState()
    assert (
        take(db, state, "reviews", frigate_review("1718987129.308396-fqk5ka", at=MORNING))
        == "review"
    )
    stranger = frigate_event("new", "s-1", at=MORNING, camera="back_yard")
    with pytest.raises(Unauthorized, match="frigate_camera_unknown"):
        take(db, state, "events", stranger)


def rule_body(**changes: object) -> dict[str, object]:
    body = {
        "name": "东门禁停",
        "camera": FRIGATE_CAMERA,
        "zone": "no_parking",
        "labels": ["car"],
        "min_dwell_seconds": 600,
        "alarm_type": "illegal_parking",
    }
    return {**body, **changes}


def test_a_dispatcher_keeps_its_cameras_scene_rules_and_each_change_is_logged(
    client: TestClient, db: Session, people: People, frigate_camera: Registered
):
    owner = auth(client, people.owner)
    made = client.post("/api/v1/alarms/scene-rules", json=rule_body(), headers=owner)
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["region_code"] == OWN_GRID
    night = rule_body(window_start="22:00", window_end="06:00", enabled=False)
    changed = client.put(f"/api/v1/alarms/scene-rules/{rule['id']}", json=night, headers=owner)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["window_start"], changed.json()["window_end"]) == ("22:00", "06:00")
    listed = client.get("/api/v1/alarms/scene-rules", headers=owner).json()
    assert [item["name"] for item in listed] == ["东门禁停"]  # the city's examples lie above it
    outsider = auth(client, people.outsider)
    moved = client.put(f"/api/v1/alarms/scene-rules/{rule['id']}", json=night, headers=outsider)
    assert moved.status_code == 404
    gone = client.delete(f"/api/v1/alarms/scene-rules/{rule['id']}", headers=owner)
    assert gone.status_code == 204
    logged = db.scalars(
        select(AdminChange.action).where(AdminChange.kind == "scene_rule").order_by(AdminChange.id)
    )
    assert list(logged)[-3:] == ["create", "update", "delete"]


def test_scene_rules_refuse_unknown_types_half_windows_and_other_areas(
    client: TestClient, people: People, frigate_camera: Registered
):
    owner = auth(client, people.owner)
    route = "/api/v1/alarms/scene-rules"
    unknown = client.post(route, json=rule_body(alarm_type="ufo"), headers=owner)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "alarm_type_unknown"
    half = client.post(route, json=rule_body(window_start="22:00"), headers=owner)
    assert half.status_code == 422
    elsewhere = rule_body(camera=None, region_code=OTHER_GRID)
    assert client.post(route, json=elsewhere, headers=owner).status_code == 403
    staff = auth(client, people.peer)
    assert client.post(route, json=rule_body(), headers=staff).status_code == 403


def test_dead_letters_are_listed_to_administrators_of_their_area(
    client: TestClient, db: Session, people: People, frigate_camera: Registered
):
    for region in (OWN_GRID, OTHER_GRID, None):
        deadletters.record(
            db,
            topic="frigate/events",
            payload=b"not json",
            refusal=ValueError("bad"),
            region_code=region,
            now=NOW,
        )
    auth_service.create_user(
        db, username="street_admin", password=PASSWORD, role=Role.ADMIN, scope_code=OWN_STREET
    )
    db.commit()
    city_admin = client.get("/api/v1/alarms/dead-letters", headers=auth(client, people.admin))
    assert city_admin.headers["X-Total-Count"] == "3"
    street = auth(client, AuthedUser("street_admin", PASSWORD, OWN_STREET, Role.ADMIN))
    own = client.get("/api/v1/alarms/dead-letters", headers=street).json()
    assert [letter["region_code"] for letter in own] == [OWN_GRID]
    dispatcher = client.get("/api/v1/alarms/dead-letters", headers=auth(client, people.owner))
    assert dispatcher.status_code == 403
    assert client.get("/api/v1/alarms/dead-letters?reason=ufo", headers=street).status_code == 422


def test_dead_letters_older_than_thirty_days_go_as_new_ones_arrive(db: Session):
    def refuse(now: datetime) -> None:
        deadletters.record(
            db, topic="t", payload=b"x", refusal=ValueError("bad"), region_code=None, now=now
        )

    refuse(NOW - timedelta(days=31))
    refuse(NOW - timedelta(days=29))
    refuse(NOW)
    db.commit()
    kept = db.scalars(select(DeadLetter.received_at).order_by(DeadLetter.id))
    assert [moment.date() for moment in kept] == [
        (NOW - timedelta(days=29)).date(),
        NOW.date(),
    ]


IDENTITY_KEYS = st.sampled_from(
    ["sub_label", "recognized_license_plate", "plate", "face_name", "姓名", "车牌号", "person_id"]
)
SECRETS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ云京沪张李王", min_size=6, max_size=12)


@given(key=IDENTITY_KEYS, secret=SECRETS, valid=st.booleans(), cut=st.integers(0, 30))
def test_a_kept_dead_letter_holds_no_identity_value_whole_or_cut(
    key: str, secret: str, valid: bool, cut: int
):
    message = json.dumps({"type": "new", "after": {"camera": "gate", key: [secret, 0.9]}})
    payload = message if valid else message[: len(message) - cut] + "}{"
    assert secret not in deadletters.kept_payload(payload.encode())
