"""Prompt adherence of the embedded model, measured with the pixel judge on fresh prompts.

Fresh means: scenes and generation seeds drawn from a seed the training never used, and captions written
with the grammar's held-out phrasings (`world.caption(..., split="eval")`: new word orders, connectives and
word forms), half in English and half in French. Each prompt gets one window of video; the judge reads object
colour, background colour, shape and motion from its pixels and compares them with the scene the prompt
describes. A second, smaller set checks long clips: the object colour (and, separately, the shape) judged on
the first and the last window of a 20 s clip must both match the prompt.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

import numpy as np

from azur.embedded import world
from azur.embedded.judge import judge

if TYPE_CHECKING:
    from azur.embedded.sample import TinyVideoModel

EVAL_SEED = 20_251_125  # far from the training seeds (0, 1, ...) so no scene stream is shared


def evaluate(
    model: "TinyVideoModel", n_prompts: int = 200, seed: int = EVAL_SEED, *, fps: int = 12,
    long_clips: int = 10, long_seconds: float = 20.0, progress: Callable[[float], None] | None = None,
) -> dict:
    """Judge `n_prompts` generated clips (alternating English, French) and `long_clips` long ones.

    Returns {"n_prompts", "accuracy": {attribute: {"all", "en", "fr"}}, "all_four", "text_accuracy",
    "long_clip_color", "long_clip_shape", "seconds_per_clip", "failures": [a few examples]}.
    """
    rng = np.random.default_rng(seed)
    names = list(world.ATTRIBUTES)
    hits = {lang: {name: 0 for name in names} for lang in ("en", "fr")}
    counts = {"en": 0, "fr": 0}
    all_four = 0
    text_hits = 0
    failures = []
    started = time.perf_counter()
    for i in range(n_prompts):
        language = "en" if i % 2 == 0 else "fr"
        scene = world.sample_scene(rng, clamped_starts=0.0)
        prompt = world.caption(scene, rng, language, "eval")
        frames = model.generate(prompt, seconds=model.window_seconds, fps=fps, seed=seed + i)
        verdict = judge(frames).labels()
        truth = scene.labels()
        counts[language] += 1
        right = {name: verdict[name] == truth[name] for name in names}
        for name in names:
            hits[language][name] += right[name]
        all_four += all(right.values())
        text_hits += model.understood(prompt) == truth
        if not all(right.values()) and len(failures) < 12:
            failures.append({"prompt": prompt, "expected": truth, "judged": verdict})
        if progress is not None:
            progress((i + 1) / (n_prompts + long_clips))
    clip_seconds = (time.perf_counter() - started) / max(n_prompts, 1)

    long_right = long_shape = 0
    for j in range(long_clips):
        scene = world.sample_scene(rng, clamped_starts=0.0)
        prompt = world.caption(scene, rng, "en" if j % 2 == 0 else "fr", "eval")
        frames = model.generate(prompt, seconds=long_seconds, fps=fps, seed=seed + n_prompts + j)
        per_window = round(model.window_seconds * fps)
        first, last = judge(frames[:per_window]), judge(frames[-per_window:])
        long_right += first.object_color == last.object_color == scene.object_color
        long_shape += first.shape == last.shape == scene.shape
        if progress is not None:
            progress((n_prompts + j + 1) / (n_prompts + long_clips))

    total = max(n_prompts, 1)
    accuracy = {
        name: {
            "all": (hits["en"][name] + hits["fr"][name]) / total,
            "en": hits["en"][name] / max(counts["en"], 1),
            "fr": hits["fr"][name] / max(counts["fr"], 1),
        }
        for name in names
    }
    return {
        "n_prompts": n_prompts,
        "seed": seed,
        "accuracy": accuracy,
        "all_four": all_four / total,
        "text_accuracy": text_hits / total,
        "long_clips": long_clips,
        "long_clip_color": long_right / max(long_clips, 1),
        "long_clip_shape": long_shape / max(long_clips, 1),
        "seconds_per_clip": round(clip_seconds, 4),
        "failures": failures,
    }


def print_table(result: dict) -> None:
    """Print the accuracy table with Rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Prompt adherence on {result['n_prompts']} fresh prompts (pixel judge)")
    table.add_column("attribute")
    for column in ("all", "English", "French"):
        table.add_column(column, justify="right")
    for name, row in result["accuracy"].items():
        table.add_row(name.replace("_", " "), *(f"{100 * row[k]:.1f}%" for k in ("all", "en", "fr")))
    table.add_row("all four right", f"{100 * result['all_four']:.1f}%", "", "")
    console = Console()
    console.print(table)
    console.print(
        f"text encoder read all four attributes right: {100 * result['text_accuracy']:.1f}%   "
        f"long clips ({result['long_clips']}) keeping the object colour: {100 * result['long_clip_color']:.1f}%, "
        f"the shape: {100 * result['long_clip_shape']:.1f}%   "
        f"{result['seconds_per_clip']:.3f} s per clip"
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m azur.embedded.eval [--weights DIR] [--prompts N] [--save]`: print the table; --save writes
    eval.json beside the weights (how the shipped weights/eval.json is made)."""
    import argparse
    import json
    from pathlib import Path

    import torch

    from azur.embedded.sample import WEIGHTS_DIR, TinyVideoModel

    parser = argparse.ArgumentParser(description="Prompt adherence of the embedded model on fresh prompts.")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--save", action="store_true", help="write eval.json into the weights folder")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    result = evaluate(TinyVideoModel.load(args.weights), args.prompts, args.seed)
    print_table(result)
    if args.save:
        (args.weights / "eval.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
