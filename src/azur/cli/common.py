"""What the command modules share: the consoles, the progress bar, the user-error type and the output check."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

# Rich wraps at 80 columns when it is not writing to a terminal, which cut messages mid-sentence in logs and
# pipes. There a line is read by a program or a log viewer, so it is never broken (tables keep their form).
PIPED_WIDTH = 1000


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPED_WIDTH, soft_wrap=True)


console = _console(stderr=True)


def output_console() -> Console:
    """A console on stdout (results: tables, lists), unwrapped when stdout is not a terminal."""
    return _console(stderr=False)


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def describe_os_error(exc: OSError) -> str:
    """ "Permission denied: /sys/x.mp4": the reason and the path, never a bare errno."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


def check_output_path(path: Path, suffixes: tuple[str, ...] | None = None) -> None:
    """Make sure a file can be written at ``path`` before any long work starts; raise a one-line UserError.

    ``suffixes``: allowed extensions without the dot (None: any). The file is not created: a new path is
    probed by creating and removing it, an existing file is opened for appending and left as it was. The
    folder must take new files too, because the video is signed through a temporary file beside it.
    """
    if suffixes is not None and path.suffix.lower().lstrip(".") not in suffixes:
        allowed = " or ".join(f".{s}" for s in suffixes)
        raise UserError(f"Output must end in {allowed}, got '{path.name}'.")
    folder = path.parent
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name, e.g. {path / 'video.mp4'}.")
    if not folder.exists():
        raise UserError(f"The folder {folder} does not exist.")
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder.")
    try:
        if path.exists():
            if not stat.S_ISREG(path.stat().st_mode):
                raise UserError(f"{path} is not a regular file: choose a file name in a normal folder.")
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
            probe = folder / f".{path.name}.azur-check-{os.getpid()}"
        else:
            probe = path
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        probe.unlink()
    except OSError as exc:
        if exc.filename is None or Path(exc.filename) != path:
            exc.filename = str(path)  # name the path asked for, not the probe beside it
        raise UserError(f"{describe_os_error(exc)} (cannot write the output there)") from None


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
