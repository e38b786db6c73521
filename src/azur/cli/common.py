"""What the command modules share: the console, the progress bar and the user-error type."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


@contextmanager
def progress_bar(description: str) -> Iterator:
    """A Rich progress bar; yields ``update(fraction, stage)``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=1.0, stage="")

        def update(fraction: float, stage: str = "") -> None:
            bar.update(task, completed=min(max(fraction, 0.0), 1.0), stage=stage)

        yield update


@contextmanager
def database_session(*, scrub: bool = False) -> Iterator:
    """``(settings, session)`` on this installation's database (migrated), committed on success; deleted
    rows are flushed out of SQLite's write-ahead log on the way out (see ``Database.flush_deleted``), and
    with ``scrub`` (after an erasure) out of the whole file (``Database.scrub``)."""
    from azur.config import get_settings
    from azur.db.session import open_database

    settings = get_settings()
    db = open_database(settings.resolved_database_url)
    try:
        with db.session() as session:
            yield settings, session
        db.scrub() if scrub else db.flush_deleted()
    finally:
        db.dispose()


def find_user(session, name: str):  # noqa: ANN001, ANN201 - a Session, a User
    """The user called ``name``, or a one-line :class:`UserError`."""
    from azur.accounts.users import UnknownUser, get_user

    try:
        return get_user(session, name)
    except UnknownUser as exc:
        raise UserError(str(exc)) from None
