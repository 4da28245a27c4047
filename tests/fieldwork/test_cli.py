"""`civicgrid fieldwork tasks` and `score` from the command line."""

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import func, select

from civicgrid.auth import service as auth_service
from civicgrid.cli import main
from civicgrid.fieldwork import plans
from civicgrid.fieldwork.models import Cadence, Task, TaskType
from tests.factories import user_row

MONDAY = date(2026, 11, 23)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_generating_a_days_tasks_twice_adds_none_the_second_time(cli_env, db, people, workers):
    actor = auth_service.actor_for_user(user_row(db, "peer"))
    for username in ("worker", "neighbour"):
        plans.create_plan(
            db,
            actor,
            worker_id=user_row(db, username).id,
            task_type=TaskType.CHECK_IN,
            cadence=Cadence.DAILY,
            times=1,
        )
    db.commit()
    first = run("fieldwork", "tasks", "--date", MONDAY.isoformat())
    second = run("fieldwork", "tasks", "--date", MONDAY.isoformat())
    assert first.output.strip() == f"已为 {MONDAY} 生成 2 项新任务"
    assert second.output.strip() == f"已为 {MONDAY} 生成 0 项新任务"
    assert db.scalar(select(func.count()).select_from(Task)) == 2


def test_the_month_score_prints_every_worker_and_refuses_a_bad_month(cli_env, people, workers):
    printed = run("fieldwork", "score", "--month", "2026-11", "--json")
    assert printed.exit_code == 0
    assert {row["username"] for row in json.loads(printed.output)} == {"worker", "neighbour", "far"}
    refused = run("fieldwork", "score", "--month", "11/2026")
    assert refused.exit_code == 2
    assert "YYYY-MM" in refused.output
