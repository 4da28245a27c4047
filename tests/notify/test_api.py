"""The inbox and webhook administration over HTTP: one's own inbox, administrators only."""

from sqlalchemy.orm import Session

from civicgrid.cases.supervision import sweep
from civicgrid.notify.delivery import deliver_due
from tests.factories import OWN_DISTRICT, People, auth
from tests.notify.loop import accept, at, report


def owner_notified_twice(db: Session, city) -> None:
    """Two urges to the street's dispatchers (`owner` sits there), delivered to the inbox."""
    for minute in (0, 1):
        accept(db, report(db, city, at(12, 9, minute)), at(12, 9, minute))
    sweep(db, at(12, 10, 40), "worker:test")
    db.commit()
    deliver_due(db, "worker-1", at(12, 10, 40))


def test_my_inbox_shows_my_notifications_unread_first(client, db, city, loop, people: People):
    owner_notified_twice(db, city)
    headers = auth(client, people.owner)
    inbox = client.get("/api/v1/notifications", headers=headers).json()
    assert [n["event"] for n in inbox] == ["case.urged", "case.urged"]
    assert "催办" in inbox[0]["title"]
    oldest = inbox[-1]["id"]
    read = client.post(f"/api/v1/notifications/{oldest}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    again = client.get("/api/v1/notifications", headers=headers).json()
    assert [n["read_at"] is None for n in again] == [True, False]


def test_no_one_reads_or_marks_another_persons_notifications(
    client, db, city, loop, people: People
):
    owner_notified_twice(db, city)
    mine = client.get("/api/v1/notifications", headers=auth(client, people.owner)).json()
    outsider = auth(client, people.outsider)
    assert client.get("/api/v1/notifications", headers=outsider).json() == []
    stolen = client.post(f"/api/v1/notifications/{mine[0]['id']}/read", headers=outsider)
    assert stolen.status_code == 404
    assert stolen.json()["error"]["code"] == "notification_not_found"


def test_the_inbox_needs_a_signed_in_user(client):
    assert client.get("/api/v1/notifications").status_code == 401


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(client, people: People):
    headers = auth(client, people.admin)
    body = {"name": "区网格平台", "url": "https://grid.example.org/in", "events": ["case.closed"]}
    created = client.post("/api/v1/webhooks", json=body, headers=headers)
    assert created.status_code == 201
    assert len(created.json()["secret"]) >= 32
    assert created.json()["region_code"] == people.admin.scope_code
    listed = client.get("/api/v1/webhooks", headers=headers).json()
    assert [hook["name"] for hook in listed] == ["区网格平台"]
    assert "secret" not in listed[0]
    hook_id = created.json()["id"]
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=headers).status_code == 404


def test_only_administrators_manage_webhooks(client, people: People):
    headers = auth(client, people.owner)
    assert client.get("/api/v1/webhooks", headers=headers).status_code == 403
    body = {"name": "x", "url": "https://example.org/in", "region_code": OWN_DISTRICT}
    assert client.post("/api/v1/webhooks", json=body, headers=headers).status_code == 403


def test_a_webhook_with_a_bad_url_is_refused_with_a_clear_message(client, people: People):
    response = client.post(
        "/api/v1/webhooks",
        json={"name": "x", "url": "javascript:alert(1)"},
        headers={**auth(client, people.admin), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_url_invalid"
    assert "http" in response.json()["error"]["message"]
