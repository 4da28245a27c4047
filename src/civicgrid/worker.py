"""The background worker: SLA timers (urges, 督办), outbox delivery, each day's field tasks,
devices gone silent marked offline, the watched folder of other systems' exports, the
event archive and the monthly diagnosis, the sensor readings past their retention, and the
consultation index of closed cases.

One loop serves `civicgrid worker` (its own process, as production runs it)
and `civicgrid serve --with-worker` (a thread inside the demo server). Any
number of workers may run at once: supervision is raised once by a unique
key and each outbox message is claimed by one worker.
"""

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms.intake import report_outages
from civicgrid.alarms.service import mark_offline
from civicgrid.alarms.sos import escalate_due
from civicgrid.cases.supervision import Sweep, sweep
from civicgrid.consult.indexing import index_root, refresh_in_own_session
from civicgrid.diagnosis.schedule import month_due
from civicgrid.diagnosis.service import stored
from civicgrid.fieldwork.plans import generate_tasks
from civicgrid.geo.service import GridIndex
from civicgrid.notify.delivery import Delivery, deliver_due
from civicgrid.safeplaces.service import stored as safe_list_stored
from civicgrid.settings import Settings, get_settings
from civicgrid.sources.watch import take_drops
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

log = logging.getLogger(__name__)
BATCH = 100
# The locator for outage cases, built on the first outage and kept for the process.
_GRID_INDEX = GridIndex()


@dataclass(frozen=True)
class Tick:
    swept: Sweep
    delivered: Delivery
    offline: int = 0
    escalated: int = 0


def new_worker_id() -> str:
    """Host, process and a random tag: distinct even for two workers in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def run_once(sessions: sessionmaker[Session], worker_id: str, now: datetime | None = None) -> Tick:
    """One round: raise what is due, mark silent devices offline, escalate unanswered SOS
    calls, then deliver what is due."""
    now = now or utcnow()
    silence = timedelta(minutes=get_settings().device_offline_minutes)
    with sessions() as db:
        swept = sweep(db, now, f"worker:{worker_id}")
        db.commit()
        gone_silent = mark_offline(db, now=now, silence=silence)
        report_outages(db, _GRID_INDEX, gone_silent, silence=silence, now=now)
        db.commit()
        escalated = escalate_due(db, now=now)
        db.commit()
        delivered = _deliver_all(db, worker_id, now)
    return Tick(swept=swept, delivered=delivered, offline=len(gone_silent), escalated=escalated)


def generate_day_tasks(sessions: sessionmaker[Session], *, done_for: date | None) -> date:
    """Grid workers' task lists for the local day, once a day (generation itself is idempotent,
    so several workers, or a restart, add nothing twice)."""
    today = utcnow().astimezone(DISPLAY_ZONE).date()
    if today != done_for:
        with sessions() as db:
            made = generate_tasks(db, day=today)
            db.commit()
        log.info("generated %d field tasks for %s", made, today)
    return today


def analyse(
    sessions: sessionmaker[Session], *, root: Path, today: date, done_for: str | None
) -> str | None:
    """Archive what has settled, compact the closed months' folders and digest their
    report windows (`diagnosis.digest`), then, from the first working day of a month,
    last month's report and safe-place list once (neither is made again when stored, so
    a restart costs nothing).

    Arrow, DuckDB and SciPy load on the first round, not when `serve --with-worker`
    starts: their seconds of import time would delay the server's first answer.
    """
    from civicgrid.archive.service import append, closed_months, compact_closed  # noqa: PLC0415
    from civicgrid.diagnosis.engines import DuckDBEngine  # noqa: PLC0415
    from civicgrid.diagnosis.production import produce, refresh_digests  # noqa: PLC0415
    from civicgrid.safeplaces.production import produce as produce_safe_places  # noqa: PLC0415

    with sessions() as db:
        appended = append(db, root=root)
        if appended.total:
            log.info("archived %d events into %d files", appended.total, appended.files)
        if compacted := compact_closed(db, root=root):
            log.info("compacted %d archive folders of closed months", len(compacted))
        if digested := refresh_digests(DuckDBEngine(root), closed_months(root)):
            log.info("digested the report windows of %s", ", ".join(digested))
        month = month_due(today)
        if month is None or month == done_for:
            return done_for
        if not stored(db, month):
            report = produce(db, engine=DuckDBEngine(root), month=month)
            db.commit()
            log.info("monthly diagnosis %s: %d anomalies", month, report.anomalies)
        if not safe_list_stored(db, month):
            produce_safe_places(db, root=root, month=month)
            db.commit()
            log.info("safe-place list %s made", month)
    return month


def index_answers(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Closed cases and finished disputes into the consultation index; a new index
    generation only when the documents changed (`consult.indexing.refresh`)."""
    done = refresh_in_own_session(sessions, index_root(settings))
    if done.cases or done.disputes:
        log.info("indexed %d closed cases and %d disputes", done.cases, done.disputes)


def expire_readings(root: Path, *, today: date, keep_days: int) -> list[date]:
    """Delete the sensor readings' day folders past the retention (whole days, so a
    reader never sees half of one). Arrow loads here, on the first round, like `analyse`."""
    from civicgrid.alarms.reading_store import expire, readings_root  # noqa: PLC0415

    removed = expire(readings_root(root), today=today, keep_days=keep_days)
    if removed:
        log.info("deleted sensor readings of %s", ", ".join(map(str, removed)))
    return removed


def _deliver_all(db: Session, worker_id: str, now: datetime) -> Delivery:
    """Batches until one comes back short: a retried message waits for its backoff."""
    total = Delivery(claimed=0, sent=0, retried=0, failed=0)
    while True:
        batch = deliver_due(db, worker_id, now, BATCH)
        total = total + batch
        if batch.claimed < BATCH:
            return total


def run(
    sessions: sessionmaker[Session],
    *,
    interval: float,
    stop: threading.Event,
    hold_analysis: Callable[[], bool] | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set; a failed tick is logged, not fatal.
    The archive and the monthly reports wait while `hold_analysis` says so: a month stored
    while its cases are still being written would stay short."""
    worker_id = new_worker_id()
    log.info("worker %s started, interval %.1f s", worker_id, interval)
    tasks_for: date | None = None
    reported_for: str | None = None
    settings = get_settings()
    root = settings.effective_archive_dir
    grid_index = GridIndex()
    while not stop.is_set():
        try:
            tasks_for = generate_day_tasks(sessions, done_for=tasks_for)
            if settings.sources_watch_dir is not None:
                take_drops(
                    sessions,
                    root=settings.sources_watch_dir,
                    grid_index=grid_index,
                    settle=settings.sources_watch_settle_seconds,
                )
            today = utcnow().astimezone(DISPLAY_ZONE).date()
            if hold_analysis is None or not hold_analysis():
                reported_for = analyse(sessions, root=root, today=today, done_for=reported_for)
            index_answers(sessions, settings)
            expire_readings(root, today=today, keep_days=get_settings().reading_retention_days)
            tick = run_once(sessions, worker_id)
        except Exception:
            # A database restart or a network blip must not end the timers for good.
            log.exception("worker tick failed; trying again in %.1f s", interval)
        else:
            _log_tick(tick)
        stop.wait(interval)
    log.info("worker %s stopped", worker_id)


def _log_tick(tick: Tick) -> None:
    swept, delivered = tick.swept, tick.delivered
    if tick.offline:
        log.info("%d devices went silent and are marked offline", tick.offline)
    if swept.urged or swept.supervised or delivered.claimed:
        log.info(
            "urged %d, supervised %d, delivered %d, retrying %d, failed %d",
            swept.urged,
            swept.supervised,
            delivered.sent,
            delivered.retried,
            delivered.failed,
        )


@dataclass(frozen=True)
class Background:
    """The worker loop in a daemon thread, for running beside the web server."""

    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_background(
    sessions: sessionmaker[Session],
    *,
    interval: float,
    hold_analysis: Callable[[], bool] | None = None,
) -> Background:
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(sessions,),
        kwargs={"interval": interval, "stop": stop, "hold_analysis": hold_analysis},
        name="civicgrid-worker",
        daemon=True,
    )
    thread.start()
    return Background(thread=thread, stop_event=stop)
