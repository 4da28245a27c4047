"""`civicgrid fieldwork …` commands."""

import click


@click.group(name="fieldwork")
def group() -> None:
    """fieldwork commands."""
