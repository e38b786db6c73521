"""Prompt adherence of the shipped embedded model, judged on the delivered frames at real sizes, with timing.

    python bench/adherence.py [--prompts 60] [--long 3] [--seed N] [--json out.json]

Renders fresh prompts (half French) through the real backend at 854x480, 480x854 and 480x480, prints the
per-size tables from `azur.embedded.eval` (delivered-frame judge: colours, shape, motion, whole) and how
long it took.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from azur.embedded.eval import EVAL_SEED, evaluate, print_table
from azur.engine.backends.embedded import EmbeddedBackend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=60, help="fresh prompts per size, alternating English and French")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--long", type=int, default=3, help="20 s clips per size")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()

    started = time.perf_counter()
    backend = EmbeddedBackend()
    loaded = time.perf_counter()
    result = evaluate(backend, args.prompts, args.seed, long_clips=args.long)
    finished = time.perf_counter()

    print_table(result)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load {loaded - started:.2f} s, evaluation {finished - loaded:.1f} s, peak memory {peak_mib:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
