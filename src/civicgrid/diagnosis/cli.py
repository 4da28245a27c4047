"""`civicgrid analysis …`: write the event archive, produce a month's report."""

import click

from civicgrid.archive.service import BATCH, append, archive_root
from civicgrid.console import database, domain_errors_exit, say
from civicgrid.diagnosis import service
from civicgrid.diagnosis.engines import DuckDBEngine, ReportEngine, SparkEngine, spark_session
from civicgrid.settings import get_settings


@click.group(name="analysis")
def group() -> None:
    """The event archive and the monthly per-grid diagnosis (微智理)."""


@group.command("archive")
@click.option("--batch", type=click.IntRange(min=1), default=BATCH, show_default=True)
def archive(batch: int) -> None:
    """Append every settled case and dispute since the watermark to the Parquet archive."""
    with database() as db:
        done = append(db, root=archive_root(get_settings()), batch=batch)
    say(
        "analysis.cli.archived",
        cases=done.events.get("case", 0),
        disputes=done.events.get("dispute", 0),
        files=done.files,
        repaired=done.repaired,
    )


@group.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb")
@click.option("--spark-master", default="local[*]", show_default=True)
@domain_errors_exit
def monthly(month: str, engine: str, spark_master: str) -> None:
    """Compute and store a month's report from the archive (replacing an earlier one)."""
    root = archive_root(get_settings())
    runner: ReportEngine = (
        SparkEngine(spark_session(spark_master), root) if engine == "spark" else DuckDBEngine(root)
    )
    with database() as db:
        report = service.produce(db, engine=runner, month=month)
        db.commit()
    say(
        "analysis.cli.reported",
        month=report.month,
        engine=report.engine,
        tests=report.tests,
        anomalies=report.anomalies,
    )
