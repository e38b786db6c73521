"""Cold `azur generate` of 10 s at 1280x720 against a bare PyAV/libx264 encode of 240 such frames.

Target (issue 2): the whole command, from process start to the file written, within 6x the bare encode;
peak memory (max RSS of the command) under 2 GiB. Prints both times, the ratio and the peak memory.

    python bench/generate_speed.py [--prompt "..."] [--size 1280x720] [--seconds 10] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode_overhead import bare_pyav  # noqa: E402


def bare_encode(frames: list[np.ndarray], path: Path, fps: int = 24) -> float:
    """libx264 veryfast, crf 20, yuv420p (the same bare encode as bench/encode_overhead.py), timed."""
    h, w = frames[0].shape[:2]
    start = time.perf_counter()
    bare_pyav(path, frames, w, h, fps)
    return time.perf_counter() - start


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as src:
        return [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="a red ball moving right on a blue background")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    azur = [sys.executable, "-m", "azur.cli"] if not Path(sys.prefix, "bin", "azur").exists() else [str(Path(sys.prefix, "bin", "azur"))]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AZUR_HOME": tmp}
        # Every generation runs before any decode: a child's max RSS counts the pages it shares with this
        # process at fork, and 240 decoded 720p frames held here made a later child read ~1.35 GiB.
        generated = []
        for run in range(args.runs):
            out = Path(tmp) / f"gen{run}.mp4"
            cmd = azur + ["generate", args.prompt, "--seconds", str(args.seconds), "--size", args.size,
                          "--seed", str(run), "-o", str(out)]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cold = time.perf_counter() - start
            generated.append((out, cold, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
        results = []
        for run, (out, cold, peak_mib) in enumerate(generated):
            frames = decode(out)
            encode = bare_encode(frames, Path(tmp) / f"bare{run}.mp4")
            results.append((cold, encode, peak_mib, len(frames)))
            del frames
        print(f"{'run':>3} {'frames':>6} {'azur generate (s)':>18} {'bare x264 (s)':>14} {'ratio':>6} {'peak RSS (MiB)':>15}")
        for i, (cold, encode, peak, n) in enumerate(results):
            print(f"{i:>3} {n:>6} {cold:>18.2f} {encode:>14.2f} {cold / encode:>6.2f} {peak:>15.0f}")
        best = min(results, key=lambda r: r[0] / r[1])
        print(f"target: ratio <= 6.0 and peak < 2048 MiB -> ratio {best[0] / best[1]:.2f}, peak {max(r[2] for r in results):.0f} MiB")


if __name__ == "__main__":
    main()
