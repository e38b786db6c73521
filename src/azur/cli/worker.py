"""``azur worker``: run jobs from the shared database and storage, on this machine or another one."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    model: list[str] = typer.Option(
        [], "--model", "-m", help="Run only jobs of this model (repeatable); it is loaded at start. Default: any."
    ),
    gpus: str = typer.Option(
        None, "--gpus", help="GPU indexes, e.g. 0,1: one job at a time across them (context parallelism). "
        "Default: one GPU, the first visible."
    ),
) -> None:
    """Take jobs from the queue and make their videos until interrupted (Ctrl+C gives the running job back).

    A GPU machine with the weights of a model is a worker for it: point AZUR_DATABASE_URL and the storage
    at the server's, and run `azur worker --model NAME`. With `--gpus 0,1,...` one worker group spreads each
    video over those GPUs (diffusers' context parallelism; see azur.engine.parallel)."""
    import os
    import sys

    from azur.cli.common import UserError
    from azur.config import get_settings
    from azur.engine import parallel
    from azur.jobs.worker import run_worker

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
    if parallel.in_group():
        parallel.init_group()
        if parallel.rank() > 0:
            parallel.follow()  # rank 0 alone talks to the queue
            return
        try:
            run_worker(settings, models=list(model) or None)
        finally:
            parallel.share_request(parallel.STOP)
        return
    run_worker(settings, models=list(model) or None)
