"""What a storyboard costs over one clip of the same length, and how seamless its joins and a loop are.

    python bench/storyboard.py [--size 854x480] [--seconds-per-shot 2]

Makes, through the real pipeline and the embedded model: one clip of 3 x N seconds; a storyboard of three
N-second shots (cut, crossfade, continue); and a looped clip of 3 x N seconds. Prints the wall time of each,
the mean pixel step at each join (and the median step inside shots, for scale), and the loop's seam.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from azur.config import Settings
from azur.engine.compose import looping_clip
from azur.engine.request import make_request
from azur.media.read import iter_frames
from azur.pipeline import make_video
from azur.storyboard.render import storyboard_clip
from azur.storyboard.shots import parse_storyboard


def steps(path: Path) -> list[float]:
    frames = [f.astype(np.int16) for f in iter_frames(path)]
    return [float(np.abs(frames[i + 1] - frames[i]).mean()) for i in range(len(frames) - 1)] + \
        [float(np.abs(frames[0] - frames[-1]).mean())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--seconds-per-shot", type=int, default=2)
    args = parser.parse_args()
    n = args.seconds_per_shot
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        base = make_request("a red circle moving right on a blue background", seconds=3 * n, size=args.size, seed=1)
        shots = parse_storyboard([
            {"prompt": "a red circle moving right on a blue background", "seconds": n},
            {"prompt": "a green square moving up on a black background", "seconds": n, "transition": "crossfade"},
            {"prompt": "the green square keeps moving up", "seconds": n, "transition": "continue"},
        ], max_shots=12, max_seconds=60, fps=base.fps)
        runs = {
            "one clip": None,
            "storyboard": storyboard_clip(shots, base, lambda i: None, crossfade_seconds=0.5),
            "loop": looping_clip(base, 12),
        }
        for name, source in runs.items():
            out = Path(tmp) / f"{name.replace(' ', '_')}.mp4"
            started = time.perf_counter()
            result = make_video(base, out, settings=settings, clip_source=source)
            took = time.perf_counter() - started
            inside = steps(out)
            seam = inside.pop()
            joins = ""
            if name == "storyboard":
                joins = "  join steps: " + ", ".join(f"{inside[k * n * base.fps - 1]:.2f}" for k in (1, 2))
            print(f"{name:11s} {result.frame_count} frames in {took:5.1f} s  median step {np.median(inside):.2f}"
                  f"  max step {max(inside):.2f}  last->first {seam:.2f}{joins}")


if __name__ == "__main__":
    main()
