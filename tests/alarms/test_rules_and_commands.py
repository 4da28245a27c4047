"""The alarm rules file and the `civicgrid alarms` commands."""

import stat
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import broker_address
from civicgrid.alarms.device_keys import key_matches
from civicgrid.alarms.rules import alarm_rules, rule_for
from civicgrid.cases.models import PRIORITIES
from civicgrid.categories.seeds import builtin_drafts
from civicgrid.errors import Invalid
from civicgrid.settings import get_settings
from tests.alarms.conftest import Registered
from tests.factories import run


def test_every_rule_files_under_a_built_in_category_with_a_known_priority():
    categories = {draft.code for draft in builtin_drafts() if draft.parent_code}
    for rule in alarm_rules().values():
        assert rule.category is None or rule.category in categories, rule
        assert rule.priority in PRIORITIES, rule
        assert rule.name
        assert rule.name_en
    assert rule_for("sos").priority == "urgent"


def test_the_broker_address_comes_from_an_mqtt_url_with_the_listeners_account():
    address = broker_address("mqtt://civicgrid-listener:p%40ss@127.0.0.1:1884")
    assert (address.host, address.port, address.username, address.password) == (
        "127.0.0.1",
        1884,
        "civicgrid-listener",
        "p@ss",
    )
    for bad in ("", "http://a:b@host", "mqtt://host:1883", "mqtt://a:b@host:99999"):
        with pytest.raises(Invalid):
            broker_address(bad)


def test_broker_files_hold_each_devices_key_hash_privately(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, db: Session, smoke_sensor: Registered
):
    monkeypatch.setenv("CIVICGRID_MQTT_URL", "mqtt://civicgrid-listener:secret@127.0.0.1:1883")
    get_settings.cache_clear()
    result = run("alarms", "broker-files")
    assert result.exit_code == 0, result.output
    assert "1 台设备" in result.output
    folder = cli_env / "mosquitto"
    passwords = dict(line.split(":", 1) for line in (folder / "passwords").read_text().splitlines())
    assert key_matches(passwords[smoke_sensor.code], smoke_sensor.key)
    assert key_matches(passwords["civicgrid-listener"], "secret")
    assert smoke_sensor.key not in (folder / "passwords").read_text()
    assert "pattern write civicgrid/devices/%u/alarms" in (folder / "acl").read_text()
    assert "allow_anonymous false" in (folder / "mosquitto.conf").read_text()
    for name in ("passwords", "acl", "mosquitto.conf"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_listening_without_a_broker_says_how_to_configure_one(cli_env: Path):
    result = run("alarms", "listen")
    assert result.exit_code == 2
    assert "CIVICGRID_MQTT_URL" in result.output


def test_broker_files_give_a_frigate_server_its_own_account_under_its_prefix(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, db: Session, smoke_sensor: Registered
):
    monkeypatch.setenv("CIVICGRID_MQTT_URL", "mqtt://civicgrid-listener:secret@127.0.0.1:1883")
    monkeypatch.setenv("CIVICGRID_FRIGATE_MQTT_USER", "frigate-source")
    get_settings.cache_clear()
    refused = run("alarms", "broker-files")
    assert refused.exit_code != 0
    assert "CIVICGRID_FRIGATE_MQTT_PASSWORD" in refused.output
    monkeypatch.setenv("CIVICGRID_FRIGATE_MQTT_PASSWORD", "frigate-secret")
    get_settings.cache_clear()
    result = run("alarms", "broker-files")
    assert result.exit_code == 0, result.output
    assert "1 台设备" in result.output
    folder = cli_env / "mosquitto"
    passwords = dict(line.split(":", 1) for line in (folder / "passwords").read_text().splitlines())
    assert key_matches(passwords["frigate-source"], "frigate-secret")
    acl = (folder / "acl").read_text()
    assert "user frigate-source\ntopic readwrite frigate/#" in acl
    assert "topic read frigate/+/+/snapshot" in acl
