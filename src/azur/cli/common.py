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
