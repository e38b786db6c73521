"""Step caching: transformer evaluations and wall time per clip, with and without, on the tiny models.

    python bench/step_cache.py                      # tiny Wan, LTX, CogVideoX built here (CPU, ~1 min)
    python bench/step_cache.py --model wan-1.3b     # an installed model (`azur models add`), e.g. on a GPU
    python bench/step_cache.py --model wan-1.3b --calibrate   # print MagCache ratios for that checkpoint

For each cache setting it reports: ``calls`` (transformer forward passes: steps x guidance branches),
``full`` (passes in which the last block ran; a cache skips the rest of the blocks after the first),
wall time of the clip, and the mean absolute difference of the output frames (0-255) from the run
without a cache — the price paid in quality. Tiny random models say whether the machinery works and
how much it skips; only a real checkpoint says what a threshold does to the picture.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SETTINGS = [("none", None), ("first_block", 0.05), ("first_block", 0.1), ("first_block", 0.2)]
TINY = {"wan": {"area": 1024, "max_sequence_length": 16}, "ltx": {"area": 1024, "max_sequence_length": 16},
        "cogvideox": {"area": 1024}}


def run_once(name: str, seconds: float, seed: int) -> tuple[list[np.ndarray], float, int, int, dict]:
    from azur.engine.backend import get_backend
    from azur.engine.backends.diffusers_base import TransformerCallCounter
    from azur.engine.request import make_request

    backend = get_backend(name)
    counter = TransformerCallCounter(backend.pipe.transformer)
    request = make_request("a red ball bounces on a blue floor", seconds=seconds, size="854x480", seed=seed,
                           model=name)
    started = time.perf_counter()
    clip = backend.generate(request)
    frames = list(clip.frames)
    wall = time.perf_counter() - started
    counter.close()
    return frames, wall, counter.calls, counter.full, clip.stats


def bench(names: dict[str, str], steps: int, seconds: float, base_options: dict[str, dict]) -> list[dict]:
    from azur.engine.catalog import ModelSpec, open_catalog

    catalog = open_catalog()
    rows = []
    for label, name in names.items():
        spec = catalog.get(name)
        reference = None
        for cache, threshold in SETTINGS:
            options = {**spec.options, **base_options.get(label, {}), "steps": steps, "cache": cache}
            if threshold is not None:
                options["cache_threshold"] = threshold
            catalog.add(ModelSpec(name, spec.family, spec.path, options), replace=True)
            run_once(name, seconds, 0)  # warm-up: load, first-call allocations
            frames, wall, calls, full, stats = run_once(name, seconds, 1)
            if reference is None:
                reference = frames
            diff = float(np.mean([np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, reference)]))
            rows.append({"model": label, "cache": cache if threshold is None else f"{cache}@{threshold}",
                         "steps": steps, "calls": calls, "full": full, "wall_s": round(wall, 3),
                         "mean_abs_diff": round(diff, 2), "peak_memory_gb": round(stats["peak_memory_bytes"] / 2**30, 2)})
            print(json.dumps(rows[-1]), flush=True)
        catalog.add(spec, replace=True)
    return rows


def calibrate(name: str, steps: int, seconds: float) -> None:
    """MagCache needs per-checkpoint magnitude ratios: run once in calibration mode; diffusers logs them."""
    from diffusers.hooks import MagCacheConfig
    from diffusers.utils import logging

    from azur.engine.backend import get_backend

    logging.set_verbosity_info()
    backend = get_backend(name)
    backend.pipe.transformer.disable_cache() if backend.pipe.transformer.is_cache_enabled else None
    backend.pipe.transformer.enable_cache(MagCacheConfig(calibrate=True, num_inference_steps=steps))
    backend.resolved.steps = steps
    run_once(name, seconds, 0)
    print("Copy the ratios printed above into the model's options: --option 'mag_ratios=[...]' --option cache=mag")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="an installed model (default: tiny models built here)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()

    if args.model:
        if args.calibrate:
            calibrate(args.model, args.steps, args.seconds)
            return
        rows = bench({args.model: args.model}, args.steps, args.seconds, {})
    else:
        home = Path(tempfile.mkdtemp(prefix="azur-bench-"))
        os.environ["AZUR_HOME"] = str(home)
        sys.path.insert(0, str(ROOT / "tests" / "engine"))
        import tiny_pipelines

        from azur.engine.catalog import ModelSpec, open_catalog

        catalog = open_catalog()
        names = {}
        for family in TINY:
            folder = tiny_pipelines.BUILDERS[family](home / family)
            catalog.add(ModelSpec(f"bench-{family}", family, folder, TINY[family]))
            names[family] = f"bench-{family}"
        rows = bench(names, args.steps, args.seconds, {})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
