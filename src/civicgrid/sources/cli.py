"""`civicgrid sources …`: save a mapping, import files, take the watched folder's drops."""

import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from civicgrid.console import console_actor, console_locale, database, domain_errors_exit, say
from civicgrid.errors import Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.sources.models import SourceKind

KINDS = click.Choice([kind.value for kind in SourceKind])


@click.group(name="sources")
def group() -> None:
    """External sources (数据汇聚): 110 incidents, 12345 work orders, letters and visits."""


@group.command("save")
@click.argument("name")
@click.option("--kind", type=KINDS, required=True, help="Which system exports the files.")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="JSON: columns, classes, default_class, time_format (docs/analysis.md).",
)
@domain_errors_exit
def save_command(name: str, kind: str, mapping_file: Path) -> None:
    """Create a source or replace its mapping (written to the change log)."""
    from civicgrid.sources.schemas import SourceIn  # noqa: PLC0415
    from civicgrid.sources.service import save_source  # noqa: PLC0415

    try:
        data = SourceIn(kind=SourceKind(kind), mapping=json.loads(mapping_file.read_text("utf-8")))
    except (ValueError, ValidationError):
        raise Invalid("source_mapping_unreadable", field="mapping") from None
    with database() as db:
        save_source(db, actor=console_actor(), name=name, data=data)
        db.commit()
    say("sources.cli.saved", name=name)


@group.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@domain_errors_exit
def import_command(name: str, file: Path, dry_run: bool) -> None:
    """Import a CSV or .xlsx export through the source's mapping: all rows or none.

    Exits 1 when rows were refused and nothing was imported.
    """
    from civicgrid.sources.importer import import_records  # noqa: PLC0415
    from civicgrid.sources.service import get_source  # noqa: PLC0415

    actor = console_actor()
    with database() as db:
        source = get_source(db, actor=actor, name=name)
        report = import_records(
            db, file, source=source, actor=actor, grid_index=GridIndex(), dry_run=dry_run
        )
        db.commit()
    for line in report.lines(console_locale()):
        click.echo(line)
    if report.refused:
        sys.exit(1)


@group.command("watch")
@domain_errors_exit
def watch_command() -> None:
    """Take the watched folder's settled files once (the worker does this every round)."""
    from civicgrid.db import (  # noqa: PLC0415
        create_db_engine,
        make_session_factory,
        upgrade_database,
    )
    from civicgrid.settings import get_settings  # noqa: PLC0415
    from civicgrid.sources.watch import take_drops  # noqa: PLC0415

    settings = get_settings()
    if settings.sources_watch_dir is None:
        raise Invalid("source_watch_unset", field="sources_watch_dir")
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    taken = take_drops(
        sessions,
        root=settings.sources_watch_dir,
        grid_index=GridIndex(),
        settle=settings.sources_watch_settle_seconds,
    )
    say(
        "sources.cli.watched",
        files=len(taken),
        imported=sum(t.imported for t in taken),
        failed=sum(t.refused for t in taken),
    )
