"""The embedded model hands over where it drew its object, so the effects follow what is on screen."""

from __future__ import annotations

import numpy as np

from azur.engine.backend import get_backend
from azur.engine.request import make_request


def test_the_object_path_is_where_the_object_is_drawn() -> None:
    request = make_request("a red ball moving right on a blue background", seconds=2, size="854x480", seed=1)
    clip = get_backend("azur-tiny").generate(request)
    frames = list(clip.frames)
    scene = clip.scene
    assert scene is not None and len(scene.x) == len(frames) == clip.frame_count and scene.fps == 24
    for i in (0, len(frames) // 2, len(frames) - 1):
        frame = frames[i].astype(np.int32)
        background = np.median(frame.reshape(-1, 3), axis=0)
        ys, xs = np.nonzero(np.abs(frame - background).sum(axis=2) > 120)
        assert abs(xs.mean() / 854 - scene.x[i]) < 0.03 and abs(ys.mean() / 480 - scene.y[i]) < 0.03
        radius = np.sqrt(len(xs) / np.pi) / 480  # the drawn area as a disc, in short sides
        assert 0.6 < radius / scene.size[i] < 1.4
    assert scene.x[-1] > scene.x[0] + 0.1  # "moving right"
