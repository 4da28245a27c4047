"""`civicgrid consult …` commands: rebuild the index, bring in answered questions."""

from pathlib import Path

import click

from civicgrid.console import database, domain_errors_exit, say
from civicgrid.consult.answered import import_answered, read_csv
from civicgrid.consult.indexing import index_root, refresh
from civicgrid.settings import get_settings


@click.group(name="consult")
def group() -> None:
    """智能咨询: the index of past answers."""


@group.command("reindex")
@domain_errors_exit
def reindex() -> None:
    """Catch up with closed cases and disputes, then build a new index generation."""
    root = index_root(get_settings())
    with database() as db:
        done = refresh(db, root, force=True)
        db.commit()
    say("consult.cli.reindexed", cases=done.cases, disputes=done.disputes, path=root)


@group.command("import-answered")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", required=True, help="The region code whose public answers they are.")
@domain_errors_exit
def import_answered_command(path: Path, region: str) -> None:
    """Replied messages of another system (留言编号, 留言主题, 留言详情, 答复意见, 答复时间)."""
    root = index_root(get_settings())
    with database() as db:
        stored = import_answered(db, read_csv(path), region_code=region)
        # An import replaces documents (new ids): the index in force would point at the
        # old ones until the next build, so an import builds now, as an upload does.
        refresh(db, root, force=True)
        db.commit()
    say("consult.cli.imported", count=stored)
