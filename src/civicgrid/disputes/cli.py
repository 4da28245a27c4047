"""`civicgrid disputes …` commands."""

import click

from civicgrid.console import console_actor, database, domain_errors_exit, say
from civicgrid.disputes import triage
from civicgrid.errors import Invalid


@click.group(name="disputes")
def group() -> None:
    """Dispute mediation (矛盾纠纷多元化解)."""


@group.command("triage-weights")
@click.option(
    "--set",
    "changes",
    multiple=True,
    metavar="FACTOR=WEIGHT",
    help="Set one weight (repeatable); alert_threshold=N sets the alert line.",
)
@domain_errors_exit
def triage_weights(changes: tuple[str, ...]) -> None:
    """List the triage weights and alert threshold, or change them."""
    with database() as db:
        if changes:
            current = triage.set_settings(db, console_actor(), _parse(changes))
            db.commit()
            say("dispute.cli.saved")
        else:
            current = triage.settings_of(db)
    for name in (*triage.FACTORS, triage.THRESHOLD):
        say("dispute.cli.weight", name=name, value=current[name])


def _parse(changes: tuple[str, ...]) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for item in changes:
        name, _, value = item.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError as error:
            raise Invalid("dispute_triage_weight_not_number", item=item) from error
    return parsed
