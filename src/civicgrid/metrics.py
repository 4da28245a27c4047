"""`/metrics` for Prometheus: requests and latencies by route, the notification queue,
the worker's lag, and open cases by status.

Request counts and latencies are counted in each server process as responses
start (time to the first byte, so a live event stream counts its wait for
headers, not its hours open). With several server processes `civicgrid serve`
points prometheus_client's multiprocess mode at a fresh folder, and a scrape
sums every process's files. The queue, lag and case figures are read from the
database at each scrape, so they are the same whichever process answers.

Only a loopback client that came through no proxy, or one presenting
CIVICGRID_METRICS_TOKEN as a bearer token, gets an answer; anyone else is told
there is nothing here (404), and a wrong token is refused (403).
"""

import hmac
import ipaddress
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.cases.models import Case
from civicgrid.cases.states import CLOSED
from civicgrid.notify.delivery import CLAIMED, PENDING
from civicgrid.notify.models import OutboxMessage
from civicgrid.timeutil import as_utc, utcnow

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNSENT = (PENDING, CLAIMED)
FORWARDING_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")

REQUESTS = Counter(
    "civicgrid_http_requests_total",
    "Requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "civicgrid_http_request_duration_seconds",
    "Seconds from a request's arrival to its response's first byte, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class RequestMetrics:
    """Counts and times every HTTP request under the route it matched (never its raw path,
    which carries case numbers and ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        async def timed_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                _observe(scope, message["status"], time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except Exception:
            if not answered:
                _observe(scope, 500, time.perf_counter() - started)
            raise


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    template = getattr(route, "path", None) or "unmatched"
    method = scope.get("method", "")
    REQUESTS.labels(method, template, str(status)).inc()
    LATENCY.labels(method, template).observe(seconds)


class DatabaseFigures(Collector):
    """What the database says at scrape time: the outbox and the cases still open."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app  # its database is the one bound at scrape time (`app.bind`)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        sessions: sessionmaker[Session] = self.app.state.sessions
        with sessions() as db:
            depth = dict(
                db.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            oldest = db.scalar(
                select(func.min(OutboxMessage.available_at)).where(
                    OutboxMessage.status.in_(UNSENT), OutboxMessage.available_at <= now
                )
            )
            open_cases = db.execute(
                select(Case.status, func.count())
                .where(Case.status.not_in([status.value for status in CLOSED]))
                .group_by(Case.status)
            ).all()
        yield _gauge(
            "civicgrid_outbox_messages",
            "Notification and webhook messages in the outbox, by status.",
            "status",
            {status: float(depth.get(status, 0)) for status in (*UNSENT, *_others(depth))},
        )
        yield _single(
            "civicgrid_worker_lag_seconds",
            "Age of the oldest outbox message due but not yet sent (0 when none waits).",
            _age(oldest, now),
        )
        yield _gauge(
            "civicgrid_cases_open",
            "Cases not closed, by status.",
            "status",
            {status: float(count) for status, count in open_cases},
        )


def _others(depth: dict[str, int]) -> list[str]:
    return sorted(status for status in depth if status not in UNSENT)


def _age(oldest: datetime | None, now: datetime) -> float:
    return 0.0 if oldest is None else max((now - as_utc(oldest)).total_seconds(), 0.0)


def _gauge(
    name: str, documentation: str, label: str, values: dict[str, float]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def _single(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def install_metrics(app: FastAPI) -> None:
    """Count every request and serve /metrics (left out of the API description)."""
    figures = CollectorRegistry(auto_describe=True)
    figures.register(DatabaseFigures(app))

    def metrics(request: Request) -> Response:
        refusal = _refusal(request, request.app.state.settings.metrics_token)
        if refusal is not None:
            return Response(status_code=refusal)
        body = generate_latest(_request_registry()) + generate_latest(figures)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(RequestMetrics)


def _request_registry() -> CollectorRegistry:
    """This process's counters, or every server process's when they share a folder."""
    if not os.environ.get(MULTIPROCESS_ENV):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def _refusal(request: Request, token: str) -> int | None:
    given = request.headers.get("authorization", "")
    if given:
        expected = f"Bearer {token}"
        return None if token and hmac.compare_digest(given, expected) else 403
    return None if _direct_loopback(request) else 404


def _direct_loopback(request: Request) -> bool:
    """A client on this machine that no proxy forwarded: nginx on loopback passing an
    outside request on carries forwarding headers (docs/production.md sets them)."""
    if any(name in FORWARDING_HEADERS for name, _ in request.scope.get("headers", [])):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_multiprocess(data_dir: Path, workers: int) -> None:
    """Before several server processes start: an empty folder they all count into.

    A folder the operator set in PROMETHEUS_MULTIPROC_DIR is used (and emptied);
    otherwise data_dir/metrics. Left stale, old processes' counts would be summed in.
    """
    if workers <= 1 and not os.environ.get(MULTIPROCESS_ENV):
        return
    folder = Path(os.environ.get(MULTIPROCESS_ENV) or data_dir / "metrics")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)
