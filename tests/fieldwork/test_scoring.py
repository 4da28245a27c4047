"""Monthly scores from the records: weights as data, flagged work left out, ranks by area."""

from datetime import UTC, date, datetime

import pytest

from civicgrid.auth import service as auth_service
from civicgrid.fieldwork import scoring, service
from civicgrid.fieldwork.models import TaskType
from civicgrid.fieldwork.scoring import RankLevel
from tests.factories import auth, user_row
from tests.fieldwork.conftest import GRID, NEIGHBOUR_GRID, OTHER_DISTRICT_GRID

WORK_HOUR = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)


def record(db, app, city, username, task_type, *, grid, minute):
    """A record of `username` at the centre of `grid`, `minute` minutes into the work hour."""
    lng, lat = city.point_in(grid)
    data = service.RecordInput(
        task_type=task_type, occurred_at=WORK_HOUR.replace(minute=minute), lng=lng, lat=lat
    )
    actor = auth_service.actor_for_user(user_row(db, username))
    made, _ = service.submit_record(db, app.state.grid_index, actor=actor, data=data, now=NOW)
    db.commit()
    return made


@pytest.fixture
def month_of_work(db, app, city, workers):
    record(db, app, city, "worker", TaskType.CHECK_IN, grid=GRID, minute=0)
    record(db, app, city, "worker", TaskType.SECURITY_HAZARD, grid=GRID, minute=10)
    record(db, app, city, "neighbour", TaskType.CHECK_IN, grid=NEIGHBOUR_GRID, minute=0)
    # Recorded in the worker's neighbour grid, 500 m out of their own: flagged, not counted.
    record(db, app, city, "neighbour", TaskType.EVENT_REPORT, grid=GRID, minute=20)
    record(db, app, city, "far", TaskType.DISPUTE_MEDIATION, grid=OTHER_DISTRICT_GRID, minute=0)


def scores_of(db, username, level=RankLevel.COMMUNITY):
    actor = auth_service.actor_for_user(user_row(db, username))
    found = scoring.month_scores(db, actor, month=NOVEMBER, level=level, today=date(2026, 11, 30))
    return {score.username: score for score in found}


def test_scores_weigh_counted_records_and_rank_within_the_community(db, people, month_of_work):
    scores = scores_of(db, "leader")
    assert (scores["worker"].total, scores["worker"].rank) == (4.0, 1)
    assert (scores["neighbour"].total, scores["neighbour"].rank, scores["neighbour"].flagged) == (
        1.0,
        2,
        1,
    )
    assert (scores["far"].total, scores["far"].rank) == (4.0, 1)
    assert scores["worker"].group_code == GRID[:12] == scores["neighbour"].group_code


def test_street_ranking_groups_by_street_and_staff_see_only_their_area(db, people, month_of_work):
    scores = scores_of(db, "peer", level=RankLevel.STREET)
    assert set(scores) == {"worker", "neighbour"}
    assert {score.group_code for score in scores.values()} == {GRID[:9]}


def test_a_new_weight_changes_the_score_at_once(client, db, people, month_of_work):
    admin = auth(client, people.admin)
    changed = client.put(
        "/api/v1/fieldwork/weights", json={"weights": {"security_hazard": 10}}, headers=admin
    )
    assert changed.status_code == 200
    assert {w["key"]: w["weight"] for w in changed.json()}["security_hazard"] == 10
    assert scores_of(db, "leader")["worker"].total == 11.0


@pytest.mark.parametrize(
    ("weights", "status", "code"),
    [
        ({"napping": 1}, 422, "fieldwork_weight_unknown"),
        ({"check_in": -1}, 422, "fieldwork_weight_out_of_range"),
    ],
)
def test_bad_weights_are_refused(client, people, weights, status, code):
    refused = client.put(
        "/api/v1/fieldwork/weights", json={"weights": weights}, headers=auth(client, people.admin)
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)


def test_only_an_administrator_sets_weights(client, people):
    refused = client.put(
        "/api/v1/fieldwork/weights",
        json={"weights": {"check_in": 2}},
        headers=auth(client, people.peer),
    )
    assert refused.status_code == 403


def test_a_malformed_month_is_refused_in_english_too(client, people):
    headers = {**auth(client, people.peer), "Accept-Language": "en"}
    refused = client.get("/api/v1/fieldwork/scores?month=November", headers=headers)
    assert refused.status_code == 422
    assert "YYYY-MM" in refused.json()["error"]["message"]
