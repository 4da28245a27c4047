"""Saved queue filters: each user's own, checked as the queue reads them, replaced by name."""

from fastapi.testclient import TestClient

from tests.factories import OWN_STREET, People, auth

FILTERS = "/api/v1/cases/filters"


def test_a_user_saves_lists_replaces_and_deletes_their_own_filters(
    client: TestClient, people: People
):
    owner = auth(client, people.owner)
    query = f"state=reported&state=accepted&region={OWN_STREET}&sort=due&offset=50&q=井盖 缺失"
    saved = client.post(FILTERS, json={"name": "本街道待办", "query": query}, headers=owner)
    assert saved.status_code == 201, saved.text
    assert "offset" not in saved.json()["query"]
    listed = client.get(FILTERS, headers=owner).json()
    assert [(item["name"], item["query"]) for item in listed] == [
        ("本街道待办", saved.json()["query"])
    ]
    again = client.post(
        FILTERS, json={"name": "本街道待办", "query": "overdue=true"}, headers=owner
    )
    assert again.json()["id"] == saved.json()["id"]
    assert client.get(FILTERS, headers=owner).json()[0]["query"] == "overdue=true"
    assert client.delete(f"{FILTERS}/{saved.json()['id']}", headers=owner).status_code == 204
    assert client.get(FILTERS, headers=owner).json() == []


def test_nobody_sees_or_deletes_another_users_filters(client: TestClient, people: People):
    owner, peer = auth(client, people.owner), auth(client, people.peer)
    saved = client.post(FILTERS, json={"name": "mine", "query": "overdue=true"}, headers=owner)
    assert client.get(FILTERS, headers=peer).json() == []
    refused = client.delete(f"{FILTERS}/{saved.json()['id']}", headers=peer)
    assert refused.status_code == 404
    assert len(client.get(FILTERS, headers=owner).json()) == 1


def test_a_filter_the_queue_would_refuse_is_not_saved(client: TestClient, people: People):
    owner = auth(client, people.owner)
    for query in ("sort=colour", "region=abc", "state=nonsense"):
        response = client.post(FILTERS, json={"name": "bad", "query": query}, headers=owner)
        assert response.status_code == 422, query
        assert response.json()["error"]["message"] == "筛选条件不合法，无法保存"
    assert client.get(FILTERS, headers=owner).json() == []
