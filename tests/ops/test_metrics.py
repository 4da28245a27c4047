"""/metrics: request counts and latencies by route template, the outbox, the worker's lag and
open cases; answered only on loopback or with the configured token."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from civicgrid.app import create_app
from civicgrid.notify.service import enqueue_notice
from civicgrid.timeutil import utcnow
from tests.factories import auth, new_case

LOOPBACK = ("127.0.0.1", 50000)


def _value(text: str, name: str, **labels: str) -> float:
    """The sample of `name` whose labels include these (0 when there is none)."""
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line) or re.match(rf"^{name} (\S+)$", line)
        if not match:
            continue
        if len(match.groups()) == 1:
            return float(match.group(1)) if not labels else 0.0
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(2))
    return 0.0


def test_requests_are_counted_under_their_route_template_not_their_path(app, db, city, people):
    case = new_case(db, city)
    db.commit()
    with TestClient(app, client=LOOPBACK) as client:
        before = _value(
            client.get("/metrics").text,
            "civicgrid_http_requests_total",
            route="/api/v1/cases/{number}",
            status="200",
        )
        headers = auth(client, people.admin)
        assert client.get(f"/api/v1/cases/{case.number}", headers=headers).status_code == 200
        assert client.get("/api/v1/cases/530502209901010099", headers=headers).status_code == 404

        scraped = client.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    labels = {"route": "/api/v1/cases/{number}"}
    assert _value(text, "civicgrid_http_requests_total", status="200", **labels) == before + 1
    assert _value(text, "civicgrid_http_requests_total", status="404", **labels) >= 1
    assert _value(text, "civicgrid_http_request_duration_seconds_count", **labels) >= 2
    assert case.number not in text


def test_outbox_depth_worker_lag_and_open_cases_come_from_the_database(app, db, city, people):
    new_case(db, city)
    waiting = utcnow() - timedelta(minutes=10)
    enqueue_notice(db, event="test", user_ids=[1], title="t", body="b", now=waiting)
    db.commit()

    with TestClient(app, client=LOOPBACK) as client:
        text = client.get("/metrics").text

    assert _value(text, "civicgrid_outbox_messages", status="pending") >= 1
    assert _value(text, "civicgrid_worker_lag_seconds") >= 600
    open_cases = [line for line in text.splitlines() if line.startswith("civicgrid_cases_open{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in open_cases) == 1


def test_metrics_are_hidden_from_other_clients_and_proxied_requests(app):
    with TestClient(app) as remote, TestClient(app, client=LOOPBACK) as local:
        assert remote.get("/metrics").status_code == 404
        assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert local.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 403
        assert "/metrics" not in remote.get("/api/v1/openapi.json").text


def test_the_configured_token_opens_metrics_to_a_scraper_elsewhere(settings, city):
    application = create_app(settings.model_copy(update={"metrics_token": "scrape-me-0123456789"}))
    try:
        with TestClient(application) as client:
            allowed = client.get(
                "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}
            )
            wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    finally:
        application.state.engine.dispose()

    assert allowed.status_code == 200
    assert "civicgrid_worker_lag_seconds" in allowed.text
    assert wrong.status_code == 403
