"""Crafted uploads are refused from their headers, before moderation, plan checks or storage, with a 400
``invalid_image`` / ``invalid_video``; the real `azur serve` process's peak memory (VmHWM) barely moves."""

from __future__ import annotations

import base64

import openai
import pytest
from tests.conftest import AzurServer, assert_openai_error, plain_png
from tests.media.crafted import forged_png, h264_video, sample_table_bomb

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), workers=0)
    yield srv.start()
    srv.stop()


def peak_rss_mb(server: AzurServer) -> int:
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))


def stored_files(server: AzurServer) -> list[str]:
    root = server.home / "files"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_crafted_images_and_videos_are_refused_from_their_headers(server):
    client = server.client(server.add_user("mallory", plan="free"))
    # Warm every path a refusal could take (Pillow, PyAV, moderation models) before measuring.
    client.videos.create(prompt="a red ball", seconds="1", size="480x480", input_reference=("ok.png", plain_png(64, 64, (30, 30, 200)), "image/png"))
    client.videos.extend(prompt="more", seconds="1", video=("ok.mp4", h264_video(480, 480, frames=2), "video/mp4"))
    files = stored_files(server)
    before = peak_rss_mb(server)

    bomb = forged_png(9500, 9500)  # 88 KB; decoded and converted it cost the server over 1 GB
    data_url = "data:image/png;base64," + base64.b64encode(bomb).decode()
    image_attacks = [
        # Refused for the image before the options that are also wrong (a size the free plan does not allow).
        dict(prompt="x", size="1920x1080", seconds="8", input_reference=("bomb.png", bomb, "image/png")),
        dict(prompt="x", input_reference=("huge.png", forged_png(50_000, 50_000, rows=2), "image/png")),
        dict(prompt="x", input_reference=openai.omit, extra_body={"input_reference": {"image_url": data_url}}),
        dict(prompt="x", input_reference=("cut.png", bomb[:3000], "image/png")),
        dict(prompt="x", input_reference=("junk.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 500, "image/png")),
    ]
    for options in image_attacks:
        with pytest.raises(openai.BadRequestError) as caught:
            client.videos.create(**options)
        assert_openai_error(caught.value, 400, code="invalid_image", param="input_reference")

    big = h264_video(8192, 8192)  # ~200 KB; probing it alone used to cost 150 MB, decoding it ~1 GB
    for call in (lambda v: client.videos.extend(prompt="more", seconds="8", video=v),
                 lambda v: client.videos.edit(prompt="again", video=v)):
        for upload in (("big.mp4", big, "video/mp4"), ("index.mp4", sample_table_bomb(50_000_000), "video/mp4"),
                       ("junk.mp4", b"\0\0\0\x18ftypisom" + b"\xff" * 800, "video/mp4")):
            with pytest.raises(openai.BadRequestError) as caught:
                call(upload)
            error = assert_openai_error(caught.value, 400, code="invalid_video", param="video")
    assert "8192x8192" not in error["message"]  # the last one was the junk file
    growth = peak_rss_mb(server) - before
    assert growth < 100, f"azur serve's peak memory grew by {growth} MB"
    assert stored_files(server) == files  # nothing was written for a refused request
    assert server.client(server.add_user("bob")).videos.create(prompt="a blue square", seconds="1").status == "queued"


def test_oversized_video_message_names_its_size(server):
    client = server.client(server.add_user("carol"))
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.extend(prompt="more", seconds="4", video=("wide.mp4", h264_video(4104, 64, frames=1), "video/mp4"))
    error = assert_openai_error(caught.value, 400, code="invalid_video", param="video")
    assert "4104x64" in error["message"]
