"""The pixel judge must be right on ground truth before its verdicts on generated clips mean anything."""

from __future__ import annotations

import numpy as np
import pytest

from azur.embedded import world
from azur.embedded.judge import judge


def test_judge_is_right_on_rendered_clips():
    rng = np.random.default_rng(11)
    scenes = [world.sample_scene(rng, clamped_starts=0.0) for _ in range(240)]
    frames = world.render(scenes, np.tile(world.clip_times(12), (len(scenes), 1)))
    verdicts = [judge(f).labels() for f in frames]
    for name in world.ATTRIBUTES:
        accuracy = np.mean([v[name] == s.labels()[name] for v, s in zip(verdicts, scenes)])
        assert accuracy >= (0.97 if name == "shape" else 0.99), (name, accuracy)


def test_judge_unwraps_motion_across_the_edge():
    scene = world.Scene("yellow", "blue", "star", "right", x=0.85, y=0.3, radius=0.12, speed=0.4)
    verdict = judge(world.render([scene], world.clip_times(10)[None])[0])
    assert verdict.motion == "right" and 0.3 < verdict.translation[0] < 0.5


def test_judge_refuses_malformed_input():
    with pytest.raises(ValueError, match="expected frames"):
        judge(np.zeros((32, 32, 3)))
