"""`civicgrid fieldwork …` commands: generate the day's tasks, print the month's scores."""

import json
from datetime import date, datetime

import click

from civicgrid.console import console_actor, console_locale, database, domain_errors_exit, say
from civicgrid.errors import Invalid
from civicgrid.fieldwork import plans, scoring
from civicgrid.fieldwork.schemas import ScoreOut
from civicgrid.i18n import translate
from civicgrid.timeutil import DISPLAY_ZONE, utcnow


@click.group(name="fieldwork")
def group() -> None:
    """Grid-worker field work: daily tasks and monthly scores."""


def _day(text: str | None) -> date:
    if not text:
        return utcnow().astimezone(DISPLAY_ZONE).date()
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise Invalid("fieldwork_date_invalid", value=text) from None


@group.command("tasks")
@click.option("--date", "day", default=None, help="YYYY-MM-DD (default: today, Beijing time).")
@domain_errors_exit
def tasks(day: str | None) -> None:
    """Generate the day's tasks of every worker's active plans; running it twice adds none."""
    when = _day(day)
    with database() as db:
        created = plans.generate_tasks(db, day=when)
        db.commit()
    say("fieldwork.cli_tasks_generated", count=created, day=when.isoformat())


@group.command("score")
@click.option("--month", default=None, help="YYYY-MM (default: this month, Beijing time).")
@click.option(
    "--level",
    type=click.Choice([level.value for level in scoring.RankLevel]),
    default=scoring.RankLevel.COMMUNITY.value,
    help="Rank within each community or each street.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@domain_errors_exit
def score(month: str | None, level: str, as_json: bool) -> None:
    """Every grid worker's score for the month, ranked."""
    with database() as db:
        found = scoring.month_scores(
            db,
            console_actor(),
            month=scoring.parse_month(month),
            level=scoring.RankLevel(level),
        )
    rows = [ScoreOut.of(item) for item in found]
    if as_json:
        click.echo(json.dumps([row.model_dump() for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        say("fieldwork.cli_no_scores")
        return
    click.echo(translate("fieldwork.cli_score_header", console_locale()))
    for row in rows:
        click.echo(
            f"{row.group_code}\t{row.rank}\t{row.username}\t{row.grid_code}\t"
            f"{row.total:g}\t{row.done}/{row.planned}\t{row.flagged}"
        )
