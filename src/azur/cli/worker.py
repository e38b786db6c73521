"""``azur worker``: run jobs from the shared database and storage, on this machine or another one."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    model: list[str] = typer.Option(
        [], "--model", "-m", help="Run only jobs of this model (repeatable); it is loaded at start. Default: any."
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=1, max=65535,
        help="Serve this worker's Prometheus metrics (job stages, failures, GPU memory) at :PORT/metrics.",
    ),
    webhooks: bool = typer.Option(False, "--webhooks", help="Also send webhook deliveries (a thread beside the worker)."),
) -> None:
    """Take jobs from the queue and make their videos until interrupted (SIGTERM or Ctrl+C gives the running
    job back to the queue at once; a second signal exits without waiting).

    A GPU machine with the weights of a model is a worker for it: point AZUR_DATABASE_URL and the storage
    at the server's, and run `azur worker --model NAME`."""
    from azur.config import get_settings
    from azur.jobs.worker import run_worker

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if webhooks:
        from azur.db.session import open_database
        from azur.webhooks.delivery import start_delivery_thread

        start_delivery_thread(open_database(settings.resolved_database_url), settings)
    run_worker(settings, models=list(model) or None, metrics_port=metrics_port)
