"""The real Wan 2.1 T2V 1.3B on a GPU: wall time and peak memory per memory profile and speed switch.

    huggingface-cli download Wan-AI/Wan2.1-T2V-1.3B-Diffusers --local-dir ~/models/wan-1.3b   # once, online
    python bench/wan_gpu.py --path ~/models/wan-1.3b                 # all profiles, 5 s at 480p, 50 steps
    python bench/wan_gpu.py --path ~/models/wan-1.3b --profiles gpu-bf16,gpu-bf16-cache --steps 30

The anchor to beat: Wan's own scripts take about 4 minutes and 8.2 GB for 5 s at 480p on an RTX 4090.
Each profile runs in a fresh process (so one profile's offload hooks or compiled graphs, and its
allocations, cannot leak into the next one's numbers), through Azur's backend exactly as a worker runs
it: same request mapping (854x480, 5 s → 848x480, 81 frames at 16 fps → 120 frames at 24 fps), same
progress hooks. Reported per profile: load time, the clip's model time, peak GPU memory
(``torch.cuda.max_memory_allocated``), transformer passes and how many ran in full, and a warm second
clip where compilation is on (the first one pays for compiling).

Not run where this was written (no GPU there): the command above is ready for a machine with one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# name → model options (see azur.config.ModelOptions)
PROFILES: dict[str, dict] = {
    "gpu-bf16": {"memory": "gpu", "dtype": "bf16", "cache": "none", "compile": False},
    "gpu-bf16-cache": {"memory": "gpu", "dtype": "bf16", "cache": "first_block", "cache_threshold": 0.05,
                       "compile": False},
    "gpu-bf16-cache0.1": {"memory": "gpu", "dtype": "bf16", "cache": "first_block", "cache_threshold": 0.1,
                          "compile": False},
    "gpu-bf16-compile": {"memory": "gpu", "dtype": "bf16", "cache": "none", "compile": True},
    "gpu-bf16-cache-compile": {"memory": "gpu", "dtype": "bf16", "cache": "first_block", "compile": True},
    "model-offload": {"memory": "model_offload", "dtype": "bf16", "cache": "first_block", "compile": False},
    "group-offload": {"memory": "group_offload", "dtype": "bf16", "cache": "none", "compile": False},
    "sequential-offload": {"memory": "sequential_offload", "dtype": "bf16", "cache": "none", "compile": False},
    "fp8-layerwise": {"memory": "gpu", "dtype": "bf16", "quantize": "fp8_layerwise", "cache": "first_block",
                      "compile": False},
    "gpu-fp16-tiling": {"memory": "gpu", "dtype": "fp16", "vae_tiling": True, "cache": "first_block",
                        "compile": False},
}


def run_profile(path: Path, profile: str, steps: int, seconds: float, size: str, extra: dict) -> dict:
    import torch

    from azur.engine.backend import get_backend
    from azur.engine.backends.diffusers_base import TransformerCallCounter
    from azur.engine.catalog import ModelSpec, open_catalog
    from azur.engine.request import make_request

    name = "bench-wan"
    open_catalog().add(ModelSpec(name, "wan", path, {**PROFILES[profile], "steps": steps, **extra}), replace=True)
    started = time.perf_counter()
    backend = get_backend(name)
    load_s = time.perf_counter() - started
    counter = TransformerCallCounter(backend.pipe.transformer)
    request = make_request("A cat walks on the grass, realistic, daylight", seconds=seconds, size=size, seed=0,
                           model=name, style="flat")
    backend.resolved.apply_style = False  # the anchor runs the plain prompt
    row: dict = {"profile": profile, "options": PROFILES[profile], "steps": steps, "size": size, "seconds": seconds,
                 "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                 "load_s": round(load_s, 1)}
    runs = 2 if backend.compiled else 1
    for run in range(runs):
        counter.reset()
        clip = backend.generate(request)
        frames = sum(1 for _ in clip.frames)
        key = "" if run == 0 else "_warm"
        row.update({f"model_s{key}": round(clip.stats["model_s"], 1),
                    f"peak_memory_gb{key}": round(clip.stats["peak_memory_bytes"] / 2**30, 2),
                    f"transformer_calls{key}": counter.calls, f"transformer_full{key}": counter.full,
                    "frames_out": frames})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, required=True, help="local Wan2.1-T2V-1.3B-Diffusers folder")
    parser.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated, from: " + ", ".join(PROFILES))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--json", type=Path, default=Path("bench/wan_gpu.json"))
    parser.add_argument("--options", default="{}", help="extra model options as JSON (smoke tests: tiny models)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one profile in this process
    args = parser.parse_args()

    if args.one:
        print("ROW " + json.dumps(run_profile(args.path.resolve(), args.one, args.steps, args.seconds, args.size,
                                             json.loads(args.options))))
        return
    home = tempfile.mkdtemp(prefix="azur-bench-wan-")
    rows = []
    for profile in args.profiles.split(","):
        command = [sys.executable, __file__, "--path", str(args.path), "--one", profile, "--steps", str(args.steps),
                   "--seconds", str(args.seconds), "--size", args.size, "--options", args.options]
        done = subprocess.run(command, env={**os.environ, "AZUR_HOME": home}, capture_output=True, text=True)
        found = [line[4:] for line in done.stdout.splitlines() if line.startswith("ROW ")]
        row = json.loads(found[-1]) if found else {"profile": profile, "error": done.stderr.strip().splitlines()[-1:]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
