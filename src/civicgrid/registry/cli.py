"""`civicgrid registry …` commands: import and export register files."""

import sys
from pathlib import Path

import click

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.console import console_actor, console_locale, database, domain_errors_exit, say
from civicgrid.divisions import normalise_code
from civicgrid.geo.service import GridIndex
from civicgrid.registry.importing.report import ImportKind

KINDS = click.Choice([kind.value for kind in ImportKind])


@click.group(name="registry")
def group() -> None:
    """The base registry (一标三实): import and export files."""


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=KINDS, required=True, help="What the file holds.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows, skip the bad ones.")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@domain_errors_exit
def import_command(file: Path, kind: str, skip_bad_rows: bool, dry_run: bool) -> None:
    """Import a CSV or .xlsx file: all rows or none, each bad row reported.

    Exits 1 when rows were refused and nothing was imported.
    """
    from civicgrid.registry.importing.service import import_file  # noqa: PLC0415
    from civicgrid.settings import get_settings  # noqa: PLC0415

    with database() as db:
        report = import_file(
            db,
            file,
            kind=ImportKind(kind),
            actor=console_actor(),
            settings=get_settings(),
            grid_index=GridIndex(),
            skip_bad_rows=skip_bad_rows,
            dry_run=dry_run,
        )
        db.commit()
    for line in report.lines(console_locale()):
        click.echo(line)
    if report.refused:
        sys.exit(1)


@group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--kind", type=KINDS, default=ImportKind.RESIDENTS.value, show_default=True)
@click.option("--scope", default=None, help="Only this region's rows (a division code).")
@domain_errors_exit
def export_command(file: Path, kind: str, scope: str | None) -> None:
    """Write the register to an Excel workbook, ID numbers and phones masked."""
    from civicgrid.i18n import translate  # noqa: PLC0415
    from civicgrid.registry.export import export_workbook  # noqa: PLC0415
    from civicgrid.registry.sealing import cipher_for  # noqa: PLC0415
    from civicgrid.settings import get_settings  # noqa: PLC0415

    actor = console_actor() if scope is None else _scoped_console(scope)
    locale = console_locale()
    with database() as db:
        count = export_workbook(
            db,
            kind=ImportKind(kind),
            actor=actor,
            cipher=cipher_for(get_settings()),
            locale=locale,
            target=file,
        )
    label = translate(f"registry_import.kind.{kind}", locale)
    say("registry_import.exported", count=count, kind=label, path=file)


def _scoped_console(scope: str) -> Actor:
    """The console narrowed to one region: what that region's own staff would export."""
    return Actor(kind="console", role=Role.ADMIN, scope_code=normalise_code(scope))
