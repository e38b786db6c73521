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
    gpus: str = typer.Option(
        None, "--gpus", help="GPU indexes, e.g. 0,1: one job at a time across them (context parallelism). "
        "Default: one GPU, the first visible."
    ),
) -> None:
    """Take jobs from the queue and make their videos until interrupted (SIGTERM or Ctrl+C gives the running
    job back to the queue at once; a second signal exits without waiting).

    A GPU machine with the weights of a model is a worker for it: point AZUR_DATABASE_URL and
    AZUR_STORAGE_URL at the server's, give it the installation's signing key (AZUR_PROVENANCE__KEY_FILE and
    AZUR_PROVENANCE__CERT_FILE), and run `azur worker --model NAME`. It takes only jobs of those models. With `--gpus 0,1,...`
    one worker group spreads each video over those GPUs (diffusers' context parallelism; see
    azur.engine.parallel)."""
    import os
    import sys

    from azur.cli.common import UserError
    from azur.config import get_settings
    from azur.engine import parallel
    from azur.jobs.worker import run_worker
    from azur.provenance.c2pa import SigningKeyError
    from azur.provenance.identity import ForeignSigningKey

    try:
        chosen = parallel.parse_gpus(gpus)
        if len(chosen) > 1:
            parallel.check_gpus(chosen)
    except parallel.InvalidGpus as exc:
        raise UserError(str(exc)) from None
    if len(chosen) == 1:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(chosen[0])
    elif len(chosen) > 1:
        raise typer.Exit(parallel.launch(parallel.worker_command(sys.argv[1:]), len(chosen), gpus=chosen))

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if webhooks:
        from azur.db.session import open_database
        from azur.webhooks.delivery import start_delivery_thread

        start_delivery_thread(open_database(settings.resolved_database_url), settings)
    try:
        if parallel.in_group():
            parallel.init_group()
            if parallel.rank() > 0:
                parallel.follow()  # rank 0 alone talks to the queue
                return
            try:
                run_worker(settings, models=list(model) or None, metrics_port=metrics_port)
            finally:
                parallel.share_request(parallel.STOP)
                parallel.leave_group()
            return
        run_worker(settings, models=list(model) or None, metrics_port=metrics_port)
    except (ForeignSigningKey, SigningKeyError) as exc:
        raise UserError(str(exc)) from None
