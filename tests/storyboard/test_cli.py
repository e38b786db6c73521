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


def decoded(path) -> list[np.ndarray]:  # noqa: ANN001
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_a_character_picture_and_a_storyboard_from_the_cli(tmp_path):
    from azur.embedded.delivered import judge_delivered
    from tests.api.test_characters import drawn

    Image.fromarray(drawn("purple", "triangle", "white")).save(tmp_path / "pip.png")
    shots = [{"prompt": "a blue circle moving right on a yellow background", "seconds": 2},
             {"prompt": "a green square moving up on a black background", "seconds": 2}]
    (tmp_path / "shots.json").write_text(json.dumps(shots))
    out = tmp_path / "pip.mp4"
    result = run(tmp_path, "generate", "Pip", "--storyboard", str(tmp_path / "shots.json"), "--character",
                 str(tmp_path / "pip.png"), "--size", "854x480", "--seed", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    frames = decoded(out)
    for part, background in ((frames[:48], "yellow"), (frames[48:], "black")):
        verdict = judge_delivered(part)
        assert (verdict.object_color, verdict.shape, verdict.background_color) == ("purple", "triangle", background), \
            verdict.labels()

    empty = tmp_path / "empty.png"
    Image.fromarray(np.full((64, 64, 3), 255, np.uint8)).save(empty)
    result = run(tmp_path, "generate", "x", "--character", str(empty), "-o", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and "empty.png" in result.stderr and "Traceback" not in result.stderr

    # In a storyboard file, a shot's character is a picture beside it: only that shot shows it.
    shots[1]["character"] = "pip.png"
    (tmp_path / "shots.json").write_text(json.dumps(shots))
    result = run(tmp_path, "generate", "Pip", "--storyboard", str(tmp_path / "shots.json"), "--size", "854x480",
                 "--seed", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    frames = decoded(out)
    first, second = judge_delivered(frames[:48]), judge_delivered(frames[48:])
    assert (first.object_color, first.shape) == ("blue", "circle"), first.labels()
    assert (second.object_color, second.shape) == ("purple", "triangle"), second.labels()


def test_blend_two_videos_from_the_cli(tmp_path):
    ends = []
    for name, prompt in (("a", "a red circle moving right on a blue background"),
                         ("b", "a yellow star moving left on a black background")):
        result = run(tmp_path, "generate", prompt, "-s", "1", "--size", "480x480", "--seed", "1",
                     "-o", str(tmp_path / f"{name}.mp4"))
        assert result.returncode == 0, result.stderr
        ends.append(decoded(tmp_path / f"{name}.mp4"))
    out = tmp_path / "blend.mp4"
    result = run(tmp_path, "generate", "the circle becomes a star", "--blend", str(tmp_path / "a.mp4"),
                 str(tmp_path / "b.mp4"), "-s", "2", "--size", "480x480", "-o", str(out))
    assert result.returncode == 0, result.stderr
    frames = [f.astype(int) for f in decoded(out)]
    assert len(frames) == 48
    # It starts on A's last frame and ends on B's first (up to the encoder and the watermark).
    assert np.abs(frames[0] - ends[0][-1].astype(int)).mean() < 6
    assert np.abs(frames[-1] - ends[1][0].astype(int)).mean() < 6
    result = run(tmp_path, "generate", "x", "--blend", str(tmp_path / "a.mp4"), str(tmp_path / "nope.mp4"),
                 "-o", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and "nope.mp4" in result.stderr and "Traceback" not in result.stderr
