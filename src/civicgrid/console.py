"""What every `civicgrid` command shares: the language, messages, refusals and the database.

Kept apart from `cli.py` so that each domain's own command group can use it
without importing the command line that mounts the group.
"""

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.errors import DomainError
from civicgrid.i18n import negotiate_locale, translate
from civicgrid.settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])


def console_locale() -> str:
    return negotiate_locale(os.environ.get("CIVICGRID_LANG") or os.environ.get("LANG"))


def say(message_id: str, **params: Any) -> None:
    click.echo(translate(message_id, console_locale(), **params))


def domain_errors_exit(function: F) -> F:
    """Refusals print one translated line and exit non-zero, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DomainError as error:
            click.echo(error.message(console_locale()), err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@contextmanager
def database() -> Iterator[Session]:
    engine = create_db_engine(get_settings().effective_database_url)
    upgrade_database(engine)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


def console_actor() -> Actor:
    """Whoever runs the command line on the server already holds the database."""
    return Actor(kind="console", role=Role.ADMIN, scope_code=NATIONAL_SCOPE)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) finish the work in hand, then stop."""
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())


def shared_data_dir(given: Path | None) -> Path | None:
    """The shared data folder beside a development checkout, if there is one.

    A user's clone has none; the demo then generates clearly marked townships.
    """
    if given is not None:
        return given
    candidate = Path(__file__).resolve().parents[3] / "shared" / "data"
    return candidate if (candidate / "geo").is_dir() else None


def default_shared(*parts: str) -> Path | None:
    shared = shared_data_dir(None)
    return shared.joinpath(*parts) if shared is not None else None
