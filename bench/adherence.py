"""Prompt adherence of the shipped embedded model on fresh prompts (half French), with timing.

    python bench/adherence.py [--prompts 200] [--seed N] [--weights DIR] [--json out.json]

Prints the per-attribute accuracy table from `azur.embedded.eval` (pixel judge) and how long generation took.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import torch

from azur.embedded.eval import EVAL_SEED, evaluate, print_table
from azur.embedded.sample import TinyVideoModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=200, help="fresh prompts, alternating English and French")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--long-clips", type=int, default=10, help="20 s clips checked for colour consistency")
    parser.add_argument("--weights", type=Path, default=None, help="weights folder (default: shipped)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model = TinyVideoModel.load(args.weights)
    loaded = time.perf_counter()
    result = evaluate(model, args.prompts, args.seed, long_clips=args.long_clips)
    finished = time.perf_counter()

    clip_started = time.perf_counter()
    model.generate("a red ball moving right on a blue background", seconds=20, fps=24, seed=0)
    long_clip = time.perf_counter() - clip_started

    print_table(result)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load {loaded - started:.2f} s, evaluation {finished - loaded:.1f} s, "
          f"one 20 s clip at 24 fps {long_clip:.2f} s, peak memory {peak_mib:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
