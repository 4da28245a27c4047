"""`civicgrid analysis monthly`: a month is produced from the archive, a bad month refused."""

from pathlib import Path

from click.testing import CliRunner

from civicgrid.cli import main
from tests.factories import run


def test_a_month_is_produced_from_the_archive_and_a_bad_month_is_refused(cli_env: Path):
    produced = run("analysis", "monthly", "--month", "2026-11")
    refused = CliRunner().invoke(main, ["analysis", "monthly", "--month", "2026-1"])

    assert produced.exit_code == 0, produced.output
    assert "2026-11 月度研判已生成（duckdb）：检验 0 项，发现异常 0 项" in produced.output
    assert refused.exit_code == 2
    assert "2026-1" in refused.output
