"""`civicgrid registry …` commands."""

import click


@click.group(name="registry")
def group() -> None:
    """registry commands."""
