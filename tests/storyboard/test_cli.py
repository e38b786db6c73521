"""``azur generate --storyboard FILE`` and ``--loop``: the same storyboard and loop as the API, from the CLI."""

from __future__ import annotations

import json
import os
import subprocess

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import AZUR

pytestmark = pytest.mark.slow


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AZUR_HOME": str(tmp_path / "home")}
    return subprocess.run([AZUR, *args], env=env, capture_output=True, text=True, timeout=600)


def test_a_storyboard_file_makes_one_mp4_with_chapters(tmp_path):
    image = np.zeros((480, 480, 3), np.uint8)
    image[:, :, 0] = 230
    Image.fromarray(image).save(tmp_path / "start.png")
    shots = [{"prompt": "a red circle moving right on a blue background", "seconds": 1},
             {"prompt": "a circle", "seconds": 1, "transition": "cut", "image": "start.png"},
             {"prompt": "the circle keeps moving", "seconds": 1, "transition": "continue"}]
    (tmp_path / "shots.json").write_text(json.dumps(shots))
    out = tmp_path / "film.mp4"
    result = run(tmp_path, "generate", "A film", "--storyboard", str(tmp_path / "shots.json"), "--size", "480x480",
                 "--seed", "3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        chapters = container.chapters()
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    assert len(frames) == 72
    assert [c["start"] * c["time_base"] for c in chapters] == [0, 1, 2]
    assert np.abs(frames[24] - image).mean() < 15  # shot 2 starts from its image

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"prompt": "a", "seconds": 1}, {"prompt": "b", "transition": "wipe"}]))
    result = run(tmp_path, "generate", "x", "--storyboard", str(bad), "-o", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and "wipe" in result.stderr and "Traceback" not in result.stderr


def test_loop_from_the_cli(tmp_path):
    out = tmp_path / "loop.mp4"
    result = run(tmp_path, "generate", "a green square moving up on a black background", "--loop", "--seconds", "1",
                 "--size", "480x480", "--seed", "4", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    inside = [np.abs(frames[i + 1] - frames[i]).mean() for i in range(len(frames) - 1)]
    assert len(frames) == 24 and np.abs(frames[0] - frames[-1]).mean() <= max(inside)
