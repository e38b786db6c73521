"""``azur train`` (reproduce the embedded model's weights from a seed) and ``azur eval`` (its prompt
adherence on fresh prompts, judged from the pixels)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from azur.cli.common import UserError, check_output_path, console, output_console, progress_bar


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
    prompts: int = typer.Option(60, "--prompts", "-n", min=1, help="Fresh prompts per size (half French)."),
    long_clips: int = typer.Option(3, "--long", "--long-clips", min=0, help="20-second clips per size."),
    sizes: str = typer.Option("854x480,480x854,480x480", "--sizes", help="Output sizes to judge, comma-separated."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the fresh prompts (default: the eval seed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON result to this file."),
) -> None:
    """Render fresh prompts through the real backend at real sizes and judge the delivered frames: colours,
    shape, motion, and whether the object is whole; prints a table per size against the targets."""
    from azur.embedded.eval import EVAL_SEED, print_table
    from azur.embedded.eval import evaluate as run_eval
    from azur.engine.request import parse_size

    chosen = [parse_size(text) for text in sizes.split(",") if text.strip()]
    if not chosen:
        raise UserError("--sizes names no size: give e.g. 854x480,480x854,480x480.")
    if save is not None:
        check_output_path(save)
    backend = _backend(weights)
    with progress_bar("Evaluating") as update:
        result = run_eval(backend, prompts, EVAL_SEED if seed is None else seed, sizes=chosen,
                          long_clips=long_clips, progress=lambda f: update(f, "judging"))
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if save is not None:
        save.write_text(text + "\n")
    if as_json:
        print(text)
    else:
        print_table(result, console=output_console())


def _backend(weights: Path | None):  # noqa: ANN202 - an EmbeddedBackend
    from azur.engine.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend()
    if weights is not None:
        from azur.embedded.sample import TinyVideoModel

        if not (weights / "model.npz").is_file():
            raise UserError(f"{weights} holds no model.npz: train one with `azur train --out {weights}`.")
        backend.model = TinyVideoModel.load(weights)
    return backend
