"""Storyboards, loops and blends with open-weight model families (tiny random diffusers pipelines), not
only the embedded model: the same joins, the same lengths and chapter marks, encoded by the real pipeline."""

from __future__ import annotations

import av
import numpy as np
import pytest

from azur.config import Settings
from azur.engine.compose import blend_clip, looping_clip
from azur.engine.request import make_request
from azur.pipeline import make_video
from azur.storyboard.render import storyboard_clip
from azur.storyboard.shots import parse_storyboard


def decode(path) -> tuple[list[np.ndarray], list[dict]]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)], container.chapters()


@pytest.mark.parametrize("key", ["wan", "ltx"])
def test_a_storyboard_loop_and_blend_with_a_diffusers_model(installed, azur_home, tmp_path, key):
    name = installed(key)
    settings = Settings(home=azur_home, provenance={"watermark": False, "c2pa": False})
    base = make_request("a cat", seconds=2, size="480x480", seed=2, model=name)
    shots = parse_storyboard([{"prompt": "a cat", "seconds": 1},
                              {"prompt": "a dog", "seconds": 1, "transition": "crossfade"}],
                             max_shots=12, max_seconds=20, fps=24)
    made = make_video(base, tmp_path / "story.mp4", settings=settings,
                      clip_source=storyboard_clip(shots, base, lambda i: None, crossfade_seconds=0.25))
    frames, chapters = decode(made.path)
    assert len(frames) == 48 and [c["start"] * c["time_base"] for c in chapters] == [0, 1]

    loop = make_video(base, tmp_path / "loop.mp4", settings=settings, clip_source=looping_clip(base, 6))
    frames, _ = decode(loop.path)
    inside = [np.abs(frames[i + 1] - frames[i]).mean() for i in range(len(frames) - 1)]
    assert len(frames) == 48 and np.abs(frames[0] - frames[-1]).mean() <= max(inside)

    start, end = np.zeros((480, 480, 3), np.uint8), np.full((480, 480, 3), 200, np.uint8)
    blend = make_video(base.with_changes(seconds=1), tmp_path / "blend.mp4", settings=settings,
                       clip_source=blend_clip(base.with_changes(seconds=1), start, end))
    frames, _ = decode(blend.path)
    assert len(frames) == 24
    assert np.abs(frames[0] - start).mean() < 4 and np.abs(frames[-1] - end).mean() < 4
