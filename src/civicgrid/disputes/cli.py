"""`civicgrid disputes …` commands."""

import click


@click.group(name="disputes")
def group() -> None:
    """disputes commands."""
