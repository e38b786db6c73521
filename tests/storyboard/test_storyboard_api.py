"""Storyboards through a real ``azur serve`` and the official client: one job, one MP4 with a chapter per
shot, remix of one shot, extension stitched after the last shot, and the refusals."""

from __future__ import annotations

import io
import json
import time

import av
import httpx
import numpy as np
import openai
import pytest

from tests.conftest import assert_openai_error, png_bytes

pytestmark = pytest.mark.slow

SHOTS = [
    {"prompt": "a red circle moving right on a blue background", "seconds": "1", "transition": "cut"},
    {"prompt": "a green square moving up on a black background", "seconds": "1", "transition": "crossfade"},
    {"prompt": "the green square keeps moving up", "seconds": "1", "transition": "continue"},
]


def decode(data: bytes) -> tuple[list[np.ndarray], list[dict]]:
    with av.open(io.BytesIO(data)) as container:
        chapters = container.chapters()
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    return frames, chapters


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


@pytest.fixture(scope="module")
def storyboard_video(client):
    video = client.videos.create(prompt="Two shapes, three shots", size="480x480",
                                 extra_body={"storyboard": SHOTS, "seed": 11})
    assert video.status == "queued" and video.seconds == "3"
    seen = []
    deadline = time.monotonic() + 300
    while video.status in ("queued", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.1)
        video = client.videos.retrieve(video.id)
        seen.append(video.progress)
    video.progress_seen = seen
    return video


def test_three_shots_make_one_mp4_with_a_chapter_per_shot(client, storyboard_video):
    video = storyboard_video
    assert video.status == "completed", video.error
    assert video.seconds == "3" and video.size == "480x480" and video.progress == 100
    # Progress counts over all the shots: it never goes back when a shot starts, and moves through them.
    seen = video.progress_seen
    assert seen == sorted(seen), seen
    assert any(0 < p < 50 for p in seen) and any(60 < p < 100 for p in seen), seen
    shots = client.videos.retrieve(video.id).model_extra["storyboard"]
    assert [s["prompt"] for s in shots] == [s["prompt"] for s in SHOTS]
    assert [s["transition"] for s in shots] == ["cut", "crossfade", "continue"]
    assert [s["seconds"] for s in shots] == [1, 1, 1]

    frames, chapters = decode(client.videos.download_content(video.id).content)
    assert len(frames) == 72  # the sum of the shots: the crossfade is made of extra frames of shot 1
    assert [(c["start"] * c["time_base"], c["end"] * c["time_base"]) for c in chapters] == [(0, 1), (1, 2), (2, 3)]
    assert [c["metadata"]["title"] for c in chapters] == [f"{i + 1}. {s['prompt']}" for i, s in enumerate(SHOTS)]
    # Shot 1 is blue, shot 2 black: the crossfade passes through in-between colours over frames 24-35.
    blue, black = frames[12].mean(axis=(0, 1)), frames[40].mean(axis=(0, 1))
    assert blue[2] > 150 and black.max() < 60
    assert black[2] + 20 < frames[29].mean(axis=(0, 1))[2] < blue[2] - 20
    steps = [difference(frames[i], frames[i + 1]) for i in range(71)]
    assert max(steps[22:36]) < 20  # no jump at the crossfade
    # "continue": shot 3 starts from shot 2's last frame.
    assert steps[47] <= 2 * np.median(steps) + 1


def test_remix_changes_one_shot_and_keeps_the_others(client, storyboard_video):
    remix = client.videos.remix(storyboard_video.id, prompt="a yellow circle moving left on a blue background",
                                extra_body={"shot": 0})
    done = client.videos.poll(remix.id)
    assert done.status == "completed", done.error
    assert done.remixed_from_video_id == storyboard_video.id and done.seconds == "3"
    shots = done.model_extra["storyboard"]
    assert shots[0]["prompt"].startswith("a yellow circle") and shots[1]["prompt"] == SHOTS[1]["prompt"]
    before, _ = decode(client.videos.download_content(storyboard_video.id).content)
    after, chapters = decode(client.videos.download_content(done.id).content)
    assert len(after) == 72 and len(chapters) == 3
    assert difference(before[10], after[10]) > 10  # shot 1 is new
    assert difference(before[60], after[60]) < 3  # shot 3 is as it was (same seed, same start)


def test_extension_of_a_storyboard_adds_a_shot_after_the_last(client, storyboard_video):
    extension = client.videos.extend(prompt="the green square rests", seconds="1", video=openai.omit,
                                     extra_body={"video": {"id": storyboard_video.id}})
    done = client.videos.poll(extension.id)
    assert done.status == "completed", done.error
    assert done.seconds == "4"
    assert [s["prompt"] for s in done.model_extra["storyboard"]][-1] == "the green square rests"
    source, _ = decode(client.videos.download_content(storyboard_video.id).content)
    frames, chapters = decode(client.videos.download_content(done.id).content)
    assert len(frames) == 96 and len(chapters) == 4
    assert chapters[3]["start"] * chapters[3]["time_base"] == 3
    assert max(difference(source[i], frames[i]) for i in (0, 30, 71)) < 4  # the source, re-encoded once
    assert difference(frames[71], frames[72]) < 12  # the new shot starts on the last frame


def test_storyboard_sent_as_json_text_with_a_shot_image(server, client):
    image = np.zeros((480, 480, 3), np.uint8)
    image[:, :240] = (250, 200, 20)
    import base64

    url = "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode()
    shots = [{"prompt": "a red circle moving right on a blue background", "seconds": 1},
             {"prompt": "a circle", "seconds": 1, "image": url}]
    video = client.videos.create_and_poll(prompt="with an image", size="480x480", poll_interval_ms=200,
                                          extra_body={"storyboard": json.dumps(shots)})
    assert video.status == "completed", video.error
    stored = video.model_extra["storyboard"]
    assert [s["has_image"] for s in stored] == [False, True]
    frames, _ = decode(client.videos.download_content(video.id).content)
    assert len(frames) == 48 and difference(frames[24], image.astype(int)) < 15

    # The shot's image comes back (a re-opened storyboard keeps it); a shot without one, or another user, 404.
    from PIL import Image as PILImage

    headers = {"Authorization": f"Bearer {client.api_key}"}
    got = httpx.get(f"{client.base_url}videos/{video.id}/shots/1/image", headers=headers)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(got.content)).convert("RGB")), image)
    none = httpx.get(f"{client.base_url}videos/{video.id}/shots/0/image", headers=headers)
    assert_openai_error(none, 404, param="index")
    stranger = server.add_user("storyboard-stranger")
    hidden = httpx.get(f"{client.base_url}videos/{video.id}/shots/1/image",
                       headers={"Authorization": f"Bearer {stranger}"})
    assert_openai_error(hidden, 404)


@pytest.mark.parametrize(("shots", "param"), [
    ([], "storyboard"),
    ([{"prompt": "a", "seconds": 1, "transition": "continue"}], "storyboard[0].transition"),
    ([{"prompt": "a", "seconds": 1}, {"prompt": "b", "seconds": 1, "transition": "wipe"}], "storyboard[1].transition"),
    ([{"prompt": "a", "seconds": 1}, {"prompt": "b", "seconds": 0}], "storyboard[1].seconds"),
    ([{"prompt": "a", "seconds": 1}, {"seconds": 1}], "storyboard[1].prompt"),
    ([{"prompt": "a", "seconds": 1, "colour": "red"}], "storyboard[0].colour"),
    ([{"prompt": "a", "seconds": 15}, {"prompt": "b", "seconds": 10}], "storyboard"),
])
def test_bad_storyboards_are_refused_naming_the_shot(client, shots, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", size="480x480", extra_body={"storyboard": json.dumps(shots)})
    assert_openai_error(caught.value, 400, param=param)


def test_the_plan_limit_applies_to_the_total(server):
    free = server.client(server.add_user("storyboard-free", plan="free"))
    shots = [{"prompt": "a red circle", "seconds": "2"}] * 3  # 6 s in all; Free allows 5 s
    with pytest.raises(openai.BadRequestError) as caught:
        free.videos.create(prompt="too long", size="480x480", extra_body={"storyboard": shots})
    assert_openai_error(caught.value, 400, code="plan_limit", param="seconds")


def test_remix_of_a_storyboard_names_the_shot(client, storyboard_video):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.remix(storyboard_video.id, prompt="something else")
    assert_openai_error(caught.value, 400, param="shot")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.remix(storyboard_video.id, prompt="something else", extra_body={"shot": 3})
    assert_openai_error(caught.value, 400, param="shot")


def test_a_storyboard_on_postgresql(tmp_path):
    from tests.accounts.conftest import database_env
    from tests.conftest import AzurServer

    server = AzurServer(tmp_path / "home", env=database_env("postgres")).start()
    try:
        client = server.client(server.add_user("pg-storyboarder"))
        shots = [{"prompt": "a red circle moving right on a blue background", "seconds": 1, "transition": "cut"},
                 {"prompt": "the red circle keeps moving right", "seconds": 1, "transition": "continue"}]
        # Shots with different fields go as JSON text: a multipart form loses which field went with which shot.
        video = client.videos.create_and_poll(prompt="On PostgreSQL", size="480x480", poll_interval_ms=200,
                                              extra_body={"storyboard": json.dumps(shots)})
        assert video.status == "completed", video.error
        assert [s["transition"] for s in client.videos.retrieve(video.id).model_extra["storyboard"]] == ["cut", "continue"]
        frames, chapters = decode(client.videos.download_content(video.id).content)
        assert len(frames) == 48 and len(chapters) == 2
    finally:
        server.stop()


@pytest.mark.parametrize(("extra", "param"), [
    ({"loop": True}, "loop"),
    ({"seconds": "5"}, "seconds"),  # the shots last 2 s
    ({"input_reference": {"image_url": "data:image/png;base64,AAAA"}}, "input_reference"),
])
def test_options_a_storyboard_cannot_take_are_refused(client, extra, param):
    shots = [{"prompt": "a red circle", "seconds": 1}, {"prompt": "a blue star", "seconds": 1}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", size="480x480", extra_body={"storyboard": json.dumps(shots), **extra})
    assert_openai_error(caught.value, 400, param=param)
