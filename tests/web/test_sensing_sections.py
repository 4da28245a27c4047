"""Who finds the devices section on the administration page, and what else they find there."""

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import People, sign_in


def admin_page(client: TestClient, username: str, password: str) -> tuple[int, str]:
    assert sign_in(client, username, password).status_code == 303
    response = client.get("/admin", follow_redirects=False)
    return response.status_code, response.text


def command_config(client: TestClient, url: str) -> dict[str, Any]:
    found = re.search(r'id="command-config">(.*?)</script>', client.get(url).text, re.S)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def test_an_administrator_finds_the_devices_beside_the_platform_settings(
    client: TestClient, people: People
):
    status, page = admin_page(client, people.admin.username, people.admin.password)
    assert status == 200
    assert 'id="device-form"' in page
    assert 'id="user-form"' in page
    assert 'href="#devices"' in page


def test_a_dispatcher_keeps_devices_on_the_admin_page_and_sees_no_other_section(
    client: TestClient, people: People
):
    status, page = admin_page(client, people.owner.username, people.owner.password)
    assert status == 200
    assert 'id="device-form"' in page
    assert 'id="device-key-dialog"' in page
    assert 'id="user-form"' not in page
    assert 'id="rule-form"' not in page
    assert 'href="/admin"' in page  # the header offers the page to the dispatcher


def test_community_staff_who_only_read_devices_are_sent_to_the_workbench(
    client: TestClient, people: People
):
    status, _ = admin_page(client, people.peer.username, people.peer.password)
    assert status == 303


def test_the_command_centre_names_alarm_types_in_the_readers_language(
    client: TestClient, people: People
):
    assert sign_in(client, people.leader.username, people.leader.password).status_code == 303
    assert command_config(client, "/command")["alarmTypes"]["smoke"] == "烟感报警"
    assert command_config(client, "/command?lang=en")["alarmTypes"]["smoke"] == "Smoke alarm"


def test_keepers_find_the_scene_rules_and_only_administrators_the_refused_messages(
    client: TestClient, people: People
):
    status, page = admin_page(client, people.admin.username, people.admin.password)
    assert status == 200
    assert 'id="scene-rule-form"' in page
    assert 'id="dead-letters-table"' in page
    assert '<option value="illegal_parking">违停占道</option>' in page
    client.cookies.clear()
    status, page = admin_page(client, people.owner.username, people.owner.password)
    assert status == 200
    assert 'id="scene-rule-form"' in page
    assert 'id="dead-letters-table"' not in page
