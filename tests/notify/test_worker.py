"""The worker loop: one round sweeps and delivers; the command runs once or until told to stop."""

import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid import console, worker
from civicgrid.cli import main
from civicgrid.db import make_session_factory
from civicgrid.notify.models import Notification, OutboxMessage
from civicgrid.settings import get_settings
from civicgrid.timeutil import utcnow
from tests.notify.loop import accept, at, dispatch, report


def inbox_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Notification)) or 0


def test_one_round_raises_the_urge_and_delivers_it(db, engine: Engine, city, loop):
    accept(db, report(db, city, at(12, 9)), at(12, 9))
    tick = worker.run_once(make_session_factory(engine), "worker-1", now=at(12, 10, 40))
    assert (tick.swept.urged, tick.delivered.sent) == (1, 1)
    owner = db.scalar(select(Notification.user_id).where(Notification.event == "case.urged"))
    assert owner == loop.street_dispatcher_id


@pytest.fixture
def english_cli(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CIVICGRID_LANG", "en")
    get_settings.cache_clear()
    yield cli_env
    get_settings.cache_clear()


def test_worker_once_delivers_what_is_due_and_exits_cleanly(db, city, loop, english_cli):
    moment = utcnow() - timedelta(minutes=5)
    dispatch(db, accept(db, report(db, city, moment), moment), loop, moment)
    result = CliRunner().invoke(main, ["worker", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 delivered" in result.output
    assert inbox_count(db) == 2
    left = db.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
    assert left == 0


def test_the_background_loop_stops_when_asked(engine: Engine, city):
    running = worker.start_background(make_session_factory(engine), interval=3600)
    running.stop(timeout=10)
    assert not running.thread.is_alive()


def test_sigterm_and_sigint_ask_the_loop_to_stop():
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        for number in before:
            stop = threading.Event()
            console.stop_on_signals(stop)
            signal.raise_signal(number)
            assert stop.is_set()
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
