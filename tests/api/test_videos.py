"""OpenAI's Videos API on a real ``azur serve``, driven by the official client, with the real model."""

from __future__ import annotations

import io
import time

import av
import numpy as np
import openai
import pytest
from PIL import Image

from tests.conftest import png_bytes

pytestmark = pytest.mark.slow

SHORT = {"seconds": "1", "size": "480x480"}


def decode_mp4(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def finished(client):
    """One completed video, made through create + poll, shared by the tests that need a source."""
    video = client.videos.create(prompt="a red circle moving right on a blue background", model="sora-2",
                                 extra_body={"seed": 7, "style": "flat"}, **SHORT)
    return client.videos.poll(video.id)


def test_create_poll_and_download_every_variant(client, finished):
    video = finished
    assert video.status == "completed" and video.progress == 100 and video.error is None
    assert video.id.startswith("video_") and len(video.id) == 6 + 32
    assert video.object == "video" and video.model == "azur-tiny" and video.prompt.startswith("a red circle")
    assert video.seconds == "1" and video.size == "480x480"
    assert video.completed_at >= video.created_at and video.expires_at > video.completed_at

    frames = decode_mp4(client.videos.download_content(video.id).content)
    assert len(frames) == 24 and frames[0].shape == (480, 480, 3)
    thumb = Image.open(io.BytesIO(client.videos.download_content(video.id, variant="thumbnail").content))
    assert thumb.format == "WEBP" and max(thumb.size) <= 512
    sheet = Image.open(io.BytesIO(client.videos.download_content(video.id, variant="spritesheet").content))
    assert sheet.format == "JPEG" and sheet.size[0] > 0


def test_downloads_from_the_local_directory_honour_ranges(server, alice_key, client, finished):
    import httpx

    whole = client.videos.download_content(finished.id).content
    url = f"{server.url}/v1/videos/{finished.id}/content"
    part = httpx.get(url, headers={"Authorization": f"Bearer {alice_key}", "Range": "bytes=8-23"})
    assert part.status_code == 206 and part.content == whole[8:24]
    assert part.headers["content-range"] == f"bytes 8-23/{len(whole)}"


def test_progress_moves_and_poll_after_header_is_sent(client):
    video = client.videos.create(prompt="a green square moving up on a black background", seconds="2",
                                 size="854x480")
    seen, header = [], None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        raw = client.videos.with_raw_response.retrieve(video.id)
        current = raw.parse()
        if current.status in ("queued", "in_progress"):
            header = raw.headers.get("openai-poll-after-ms")
        seen.append(current.progress)
        if current.status == "completed":
            break
        time.sleep(0.03)
    assert current.status == "completed", current
    assert header == "200"
    assert seen == sorted(seen), seen  # never goes back
    assert any(0 < p < 100 for p in seen), seen


def test_input_reference_image_is_the_first_frame(client):
    image = np.zeros((480, 480, 3), np.uint8)
    image[:, :240] = (250, 20, 20)
    image[:, 240:] = (20, 250, 20)
    video = client.videos.create_and_poll(prompt="a circle", input_reference=("start.png", png_bytes(image), "image/png"),
                                          poll_interval_ms=200, **SHORT)
    assert video.status == "completed", video.error
    first = decode_mp4(client.videos.download_content(video.id).content)[0].astype(int)
    assert np.abs(first - image).mean() < 12


def test_list_paginates_in_both_orders(server):
    own = server.client(server.add_user("lister"))
    ids = [own.videos.create(prompt=f"a star {i}", **SHORT).id for i in range(5)]

    page = own.videos.list(limit=2)
    assert [v.id for v in page.data] == ids[::-1][:2] and page.has_more
    assert page.first_id == ids[-1] and page.last_id == ids[-2]
    everything = [v.id for v in own.videos.list(limit=2)]  # the client follows after=last_id
    assert everything == ids[::-1]
    ascending = own.videos.list(order="asc", limit=3)
    assert [v.id for v in ascending.data] == ids[:3] and ascending.has_more
    rest = own.videos.list(order="asc", limit=3, after=ascending.last_id)
    assert [v.id for v in rest.data] == ids[3:] and not rest.has_more
    for i in ids:  # also keeps the worker free for the other tests
        own.videos.delete(i)
    assert own.videos.list().data == []


def test_remix_keeps_options_and_seed(client, finished):
    remix = client.videos.remix(finished.id, prompt="a yellow circle moving right on a blue background")
    assert remix.remixed_from_video_id == finished.id and remix.status == "queued"
    done = client.videos.poll(remix.id)
    assert done.status == "completed", done.error
    assert (done.size, done.seconds, done.model) == (finished.size, finished.seconds, finished.model)
    assert done.prompt.startswith("a yellow circle")


def test_extension_is_the_source_and_its_new_segment_stitched(client, finished):
    # The official client (3.x) cannot send video={"id": ...} itself (it expects a file there), so the
    # reference goes as an extra body field, which it encodes as video[id].
    extension = client.videos.extend(prompt="the circle keeps moving", seconds="2", video=openai.omit,
                                     extra_body={"video": {"id": finished.id}})
    done = client.videos.poll(extension.id)
    assert done.status == "completed", done.error
    assert done.seconds == "3" and done.size == finished.size  # OpenAI's spec: the stitched total
    source = decode_mp4(client.videos.download_content(finished.id).content)
    frames = decode_mp4(client.videos.download_content(done.id).content)
    assert len(frames) == 72
    assert max(np.abs(frames[i].astype(int) - source[i]).mean() for i in (0, 12, 23)) < 4
    assert np.abs(frames[24].astype(int) - source[-1]).mean() < 12  # the new segment starts on the last frame


def test_extension_without_stitching_is_the_new_segment_alone(client, finished):
    extension = client.videos.extend(prompt="the circle keeps moving", seconds="2", video=openai.omit,
                                     extra_body={"video": {"id": finished.id}, "stitch": False})
    done = client.videos.poll(extension.id)
    assert done.status == "completed", done.error
    assert done.seconds == "2"
    source_last = decode_mp4(client.videos.download_content(finished.id).content)[-1].astype(int)
    frames = decode_mp4(client.videos.download_content(done.id).content)
    assert len(frames) == 48
    assert np.abs(frames[0].astype(int) - source_last).mean() < 12


def test_extension_and_edit_of_an_uploaded_file(client, finished):
    mp4 = client.videos.download_content(finished.id).content
    extension = client.videos.extend(prompt="more", seconds="1", video=("clip.mp4", mp4, "video/mp4"))
    edit = client.videos.edit(prompt="a purple circle", video=("clip.mp4", mp4, "video/mp4"))
    assert edit.size == "480x480" and edit.seconds == "1"
    assert extension.seconds == "2"  # the upload's second and the new one
    for video in (extension, edit):
        assert client.videos.poll(video.id).status == "completed"
    assert len(decode_mp4(client.videos.download_content(extension.id).content)) == 48


def test_edit_by_id_starts_on_the_source_first_frame(client, finished):
    edit = client.videos.edit(prompt="a white circle", video=openai.omit, extra_body={"video": {"id": finished.id}})
    done = client.videos.poll(edit.id)
    assert done.status == "completed" and done.remixed_from_video_id is None
    source_first = decode_mp4(client.videos.download_content(finished.id).content)[0].astype(int)
    first = decode_mp4(client.videos.download_content(done.id).content)[0].astype(int)
    assert np.abs(first - source_first).mean() < 12


def test_delete_removes_the_video_and_its_files(server, client):
    video = client.videos.create_and_poll(prompt="a red square", poll_interval_ms=200, **SHORT)
    folder = server.home / "files" / "videos" / video.id
    assert (folder / "video.mp4").is_file() and (folder / "thumbnail.webp").is_file()
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    assert not folder.exists()
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_deleting_a_running_job_stops_it_and_leaves_no_files(server, client):
    video = client.videos.create(prompt="a long orange square", seconds="6", size="854x480")
    deadline = time.monotonic() + 60
    while client.videos.retrieve(video.id).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    client.videos.delete(video.id)
    time.sleep(2)
    assert not (server.home / "files" / "videos" / video.id).exists()


def test_another_users_video_is_invisible(server, client, finished):
    mallory = server.client(server.add_user("mallory"))
    for call in (
        lambda: mallory.videos.retrieve(finished.id),
        lambda: mallory.videos.download_content(finished.id),
        lambda: mallory.videos.remix(finished.id, prompt="mine now"),
        lambda: mallory.videos.delete(finished.id),
        lambda: mallory.videos.extend(prompt="x", seconds="1", video=openai.omit,
                                      extra_body={"video": {"id": finished.id}}),
    ):
        with pytest.raises(openai.NotFoundError):
            call()
    assert finished.id not in [v.id for v in mallory.videos.list()]
    assert client.videos.retrieve(finished.id).status == "completed"


def test_models_and_health(server, client):
    assert "azur-tiny" in [m.id for m in client.models.list()]
    assert client.models.retrieve("azur-tiny").owned_by == "azur"
    import httpx

    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    assert httpx.get(server.url + "/docs").status_code == 200
    studio = httpx.get(server.url + "/")
    assert studio.status_code == 200 and "Azur Studio" in studio.text  # the web studio


def test_verify_finds_the_video_behind_a_download(server, client, alice_key, finished):
    import httpx

    mp4 = client.videos.download_content(finished.id).content
    response = httpx.post(server.url + "/v1/verify", headers={"Authorization": f"Bearer {alice_key}"},
                          files={"file": ("clip.mp4", mp4, "video/mp4")}, timeout=120)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "azur", report
    assert report["video"] is None or report["video"]["id"] == finished.id
    garbage = httpx.post(server.url + "/v1/verify", headers={"Authorization": f"Bearer {alice_key}"},
                         files={"file": ("clip.mp4", b"not a video", "video/mp4")}, timeout=60)
    assert garbage.status_code == 200 and garbage.json()["verdict"] == "unreadable"
