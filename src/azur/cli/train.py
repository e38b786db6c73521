"""``azur train`` (reproduce the embedded model's weights from a seed) and ``azur eval`` (its prompt
adherence on fresh prompts, judged from the pixels)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from azur.cli.common import UserError, console, progress_bar


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(evaluate)


def train(
    out: Path = typer.Option(Path("azur-tiny-weights"), "--out", "-o", help="Folder for the new weights."),
    seed: int = typer.Option(0, "--seed", help="The shipped weights are seed 0."),
    tiny: bool = typer.Option(False, "--tiny", help="The seconds-long preset used by the tests."),
) -> None:
    """Train the embedded model from scratch on its procedural world, printing the loss curve."""
    try:
        import torch  # noqa: F401  (training is the one thing the embedded model needs PyTorch for)
    except ImportError:
        raise UserError("azur train needs PyTorch, which the light install leaves out: "
                        "pip install 'azur[train]' (see the README).") from None
    from azur.embedded.train import TrainConfig
    from azur.embedded.train import train as run_training

    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty: choose a new folder with --out.")
    config = TrainConfig.tiny() if tiny else TrainConfig()
    record = run_training(config, seed=seed, out_dir=out, progress=lambda line: print(line, flush=True))
    console.print(f"[green]trained[/] {out} in {record['cpu_minutes']} CPU minutes "
                  f"({record['wall_minutes']} wall minutes); use it with `azur eval --weights {out}`")


def evaluate(
    weights: Path | None = typer.Option(None, "--weights", help="A weights folder (default: the shipped ones)."),
    prompts: int = typer.Option(200, "--prompts", "-n", min=2, help="Fresh prompts to judge (half French)."),
    long_clips: int = typer.Option(10, "--long-clips", min=0, help="20-second clips checked for colour drift."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the fresh prompts (default: the eval seed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Measure prompt adherence on fresh generated prompts with the pixel judge, and print a table."""
    from azur.embedded.eval import EVAL_SEED, print_table
    from azur.embedded.eval import evaluate as run_eval
    from azur.embedded.sample import TinyVideoModel

    if weights is not None and not (weights / "model.npz").is_file():
        raise UserError(f"{weights} holds no model.npz: train one with `azur train --out {weights}`.")
    model = TinyVideoModel.load(weights)
    with progress_bar("Evaluating") as update:
        result = run_eval(model, prompts, EVAL_SEED if seed is None else seed, long_clips=long_clips,
                          progress=lambda f: update(f, "judging"))
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
