"""``azur workers list``: the workers of this installation, on every machine that shares its database."""

from __future__ import annotations

import json
import time

import typer

from azur.cli.common import database_session, output_console

workers_app = typer.Typer(help="The job workers of every machine sharing this database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(workers_app, name="workers")


@workers_app.command("list")
def list_workers(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    all_workers: bool = typer.Option(False, "--all", help="Also workers that stopped or were lost."),
) -> None:
    """Host, GPUs, models, current job and last heartbeat of each worker (running ones by default)."""
    from rich.table import Table

    from azur.jobs.fleet import workers

    with database_session() as (settings, session):
        rows = workers(session, stale_seconds=settings.queue.lease_seconds)
    if not all_workers:
        rows = [w for w in rows if w.state == "running"]
    now = time.time()
    if as_json:
        typer.echo(json.dumps([{
            "id": w.id, "host": w.host, "pid": w.pid, "state": w.state, "models": w.models, "gpus": w.gpus,
            "current_video_id": w.current_video_id, "started_at": w.started_at, "last_seen": w.last_seen,
        } for w in rows], indent=2))
        return
    table = Table("host", "pid", "state", "GPUs", "models", "current job", "last seen")
    for w in rows:
        gpus = ", ".join(f"{g['name']} ({g['memory_gb']} GB)" for g in w.gpus) or "none"
        table.add_row(w.host, str(w.pid), w.state, gpus, ", ".join(w.models) if w.models else "any",
                      w.current_video_id or "-", f"{max(0, now - w.last_seen):.0f} s ago")
    output_console().print(table)
