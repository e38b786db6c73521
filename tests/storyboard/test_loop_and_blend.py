"""Loop and blend through a real ``azur serve`` and the official client, judged on the decoded MP4s."""

from __future__ import annotations

import io

import av
import numpy as np
import openai
import pytest

from azur.media.transitions import looped, morph
from tests.conftest import assert_openai_error

pytestmark = pytest.mark.slow

PROMPT = "a red circle moving right on a blue background"


def decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]


def steps(frames: list[np.ndarray]) -> list[float]:
    return [float(np.abs(frames[i + 1] - frames[i]).mean()) for i in range(len(frames) - 1)]


def seam(frames: list[np.ndarray]) -> float:
    return float(np.abs(frames[0] - frames[-1]).mean())


@pytest.fixture(scope="module")
def plain_and_looped(client):
    made = [client.videos.create(prompt=PROMPT, seconds="2", size="480x480", extra_body={"seed": 5, "loop": loop})
            for loop in (False, True)]
    return [client.videos.poll(v.id) for v in made]


def test_a_looped_video_has_no_seam(client, plain_and_looped):
    plain, loop = plain_and_looped
    assert loop.status == "completed", loop.error
    assert loop.seconds == "2" and loop.model_extra["loop"] is True and plain.model_extra["loop"] is None
    frames = decode(client.videos.download_content(loop.id).content)
    assert len(frames) == 48
    inside = steps(frames)
    # Played in a loop, the step from the last frame to the first is no larger than a step inside the clip.
    assert seam(frames) <= max(inside), (seam(frames), max(inside))
    assert seam(frames) <= np.percentile(inside, 90) + 0.5
    # Without loop the same clip jumps: the circle is somewhere else at the end.
    unlooped = decode(client.videos.download_content(plain.id).content)
    assert seam(unlooped) > 3 * max(inside)


def test_a_remix_of_a_looped_video_loops_too(client, plain_and_looped):
    remix = client.videos.remix(plain_and_looped[1].id, prompt="a yellow circle moving right on a blue background")
    done = client.videos.poll(remix.id)
    assert done.status == "completed", done.error
    assert done.model_extra["loop"] is True and done.seconds == "2"
    frames = decode(client.videos.download_content(done.id).content)
    assert seam(frames) <= max(steps(frames))


def test_a_blend_goes_from_the_end_of_one_video_to_the_start_of_the_other(client, plain_and_looped):
    other = client.videos.create_and_poll(prompt="a green square moving up on a black background", seconds="1",
                                          size="480x480", poll_interval_ms=200)
    first = plain_and_looped[0]
    blend = client.post("/videos/blends", cast_to=openai.types.Video,
                        body={"video_ids": [first.id, other.id], "seconds": 1})
    assert blend.status == "queued"
    done = client.videos.poll(blend.id)
    assert done.status == "completed", done.error
    assert done.seconds == "1" and done.size == "480x480"
    frames = decode(client.videos.download_content(done.id).content)
    end_of_first = decode(client.videos.download_content(first.id).content)[-1]
    start_of_other = decode(client.videos.download_content(other.id).content)[0]
    assert len(frames) == 24
    assert np.abs(frames[0] - end_of_first).mean() < 6
    assert np.abs(frames[-1] - start_of_other).mean() < 6
    assert max(steps(frames)) < 20  # a transition, not a cut


def test_blend_needs_two_of_your_completed_videos(client, server, plain_and_looped):
    first = plain_and_looped[0]
    for body in ({"video_ids": [first.id]}, {"video_ids": [first.id, first.id]}):
        with pytest.raises(openai.BadRequestError) as caught:
            client.post("/videos/blends", cast_to=openai.types.Video, body=body)
        assert_openai_error(caught.value, 400, param="video_ids")
    stranger = server.client(server.add_user("blend-stranger"))
    with pytest.raises(openai.NotFoundError) as caught:
        stranger.post("/videos/blends", cast_to=openai.types.Video, body={"video_ids": [first.id, first.id + "0"]})
    assert_openai_error(caught.value, 404)


def test_transitions_reach_their_ends_exactly():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 255, (2, 8, 8, 3), dtype=np.uint8)
    dissolve = list(morph(a, b, 10))
    assert np.array_equal(dissolve[0], a) and np.array_equal(dissolve[-1], b)
    frames = [np.full((4, 4, 3), i * 10, np.uint8) for i in range(14)]  # a steady ramp, 10 a frame
    out = list(looped(frames, 10, 4))
    assert len(out) == 10 and np.array_equal(out[0], frames[4])
    assert abs(int(out[-1][0, 0, 0]) - int(frames[3][0, 0, 0])) <= 1  # ends where the opening leaves off
