"""`civicgrid analysis …`: write the event archive, produce a month's report.

Arrow, DuckDB and SciPy are imported inside the commands: every other `civicgrid`
command (and `serve`) would otherwise pay seconds of import time for them.
"""

import click

from civicgrid.console import database, domain_errors_exit, say
from civicgrid.settings import get_settings


@click.group(name="analysis")
def group() -> None:
    """The event archive and the monthly per-grid diagnosis (微智理)."""


@group.command("archive")
@click.option("--batch", type=click.IntRange(min=1), help="Rows per file and commit [5000].")
def archive(batch: int | None) -> None:
    """Append every settled case, dispute, imported record, case action and alarm since the
    watermarks to the Parquet archive."""
    from civicgrid.archive.service import BATCH, append  # noqa: PLC0415

    with database() as db:
        done = append(db, root=get_settings().effective_archive_dir, batch=batch or BATCH)
    say(
        "analysis.cli.archived",
        cases=done.events.get("case", 0),
        disputes=done.events.get("dispute", 0),
        files=done.files,
        repaired=done.repaired,
    )
    say(
        "sources.cli.archived",
        external=done.events.get("external", 0),
        actions=done.events.get("case_action", 0),
        alarms=done.events.get("alarm", 0),
    )
    say("analysis.cli.archived_sos", sos=done.events.get("sos", 0))


@group.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb")
@click.option("--spark-master", default="local[*]", show_default=True)
@domain_errors_exit
def monthly(month: str, engine: str, spark_master: str) -> None:
    """Compute and store a month's report from the archive (replacing an earlier one)."""
    from civicgrid.diagnosis import production  # noqa: PLC0415
    from civicgrid.diagnosis.engines import (  # noqa: PLC0415
        DuckDBEngine,
        ReportEngine,
        SparkEngine,
        spark_session,
    )

    root = get_settings().effective_archive_dir
    runner: ReportEngine = (
        SparkEngine(spark_session(spark_master), root) if engine == "spark" else DuckDBEngine(root)
    )
    with database() as db:
        report = production.produce(db, engine=runner, month=month)
        db.commit()
    say(
        "analysis.cli.reported",
        month=report.month,
        engine=report.engine,
        tests=report.tests,
        anomalies=report.anomalies,
    )
