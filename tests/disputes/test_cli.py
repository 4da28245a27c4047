"""`civicgrid disputes triage-weights`: list, set, and refuse factors outside the closed set."""

from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.disputes import triage
from tests.factories import run


def test_the_weights_are_listed_with_the_threshold(cli_env: Path):
    result = run("disputes", "triage-weights")
    assert result.exit_code == 0, result.output
    assert "threat_words = 20.0" in result.output
    assert "alert_threshold = 40.0" in result.output


def test_a_weight_is_set_and_kept(cli_env: Path, db: Session):
    result = run("disputes", "triage-weights", "--set", "days_open=1.5")
    assert result.exit_code == 0, result.output
    assert "研判权重已保存" in result.output
    assert triage.settings_of(db)["days_open"] == 1.5


def test_a_demographic_factor_or_a_non_number_exits_with_a_message(cli_env: Path, db: Session):
    refused = run("disputes", "triage-weights", "--set", "ethnicity=3")
    assert refused.exit_code == 2
    assert "研判因素 ethnicity 不存在" in refused.output
    garbled = run("disputes", "triage-weights", "--set", "parties")
    assert garbled.exit_code == 2
    assert "ethnicity" not in triage.settings_of(db)
