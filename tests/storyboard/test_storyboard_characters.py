"""A storyboard of three shots with a character, through a real ``azur serve`` and the official client: the
character (made from a picture) is the object of every shot that names it, judged from the delivered pixels,
whatever each shot's prompt says; a shot without it shows what its prompt says."""

from __future__ import annotations

import io
import json

import av
import numpy as np
import pytest

from azur.embedded.delivered import judge_delivered
from tests.api.test_characters import drawn
from tests.conftest import png_bytes
from tests.conftest import assert_openai_error

pytestmark = pytest.mark.slow


def shots_of(data: bytes) -> list[list[np.ndarray]]:
    """The delivered frames, cut at the chapter marks (one list per shot)."""
    with av.open(io.BytesIO(data)) as container:
        chapters = container.chapters()
        stream = container.streams.video[0]
        rate = float(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    bounds = [round(float(c["start"] * c["time_base"]) * rate) for c in chapters] + [len(frames)]
    return [frames[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def test_a_character_is_the_same_in_every_shot_that_shows_it(client):
    pip = client.videos.create_character(name="Pip", video=("pip.png", png_bytes(drawn("yellow", "triangle", "white")),
                                                            "image/png"))
    shots = [
        {"prompt": "a blue circle moving right on a black background", "seconds": "2", "character": pip.id},
        {"prompt": "Pip, a small green square, moving up on a purple background", "seconds": "2"},
        {"prompt": "a red star moving left on a blue background", "seconds": "2", "transition": "crossfade"},
    ]
    video = client.videos.create_and_poll(prompt="Pip's day", size="854x480",
                                          extra_body={"storyboard": json.dumps(shots), "seed": 5})
    assert video.status == "completed", video.error
    assert video.seconds == "6"
    kept = client.videos.retrieve(video.id).model_extra["storyboard"]
    assert [s["character"] for s in kept] == [pip.id, None, None]

    parts = shots_of(client.videos.download_content(video.id).read())
    assert len(parts) == 3
    # Judged away from the crossfade (0.5 s) that opens the third shot's chapter.
    verdicts = [judge_delivered(part[12:] if i == 2 else part) for i, part in enumerate(parts)]
    for verdict, background in zip(verdicts[:2], ("black", "purple"), strict=True):
        assert (verdict.object_color, verdict.shape) == ("yellow", "triangle"), verdict.labels()
        assert verdict.background_color == background, verdict.labels()
    # The third shot names no character: its own words.
    assert (verdicts[2].object_color, verdicts[2].shape) == ("red", "star"), verdicts[2].labels()


def test_an_unknown_character_in_a_shot_is_refused(client):
    shots = [{"prompt": "a red circle", "seconds": "1", "character": "Nobody"}]
    with pytest.raises(Exception) as raised:
        client.videos.create(prompt="x", size="480x480", extra_body={"storyboard": shots})
    assert_openai_error(raised.value, 404, param="storyboard[0].character")
