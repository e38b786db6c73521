"""Untrusted images and videos are measured from their headers before anything is decoded, and decoding
stops at the limits even when the headers understate them. Memory is read from /proc (this process)."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image

from azur.config import MediaLimits
from azur.media.images import UnreadableImage, load_image
from azur.media.read import UnreadableVideo, first_frame, iter_frames, last_frame, probe_video
from tests.conftest import plain_png
from tests.media.crafted import forged_png, fragment_run_bomb, h264_video, sample_table_bomb


def peak_rss_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))


def test_image_pixel_budget_is_exact() -> None:
    limits = MediaLimits(max_image_pixels=100 * 100)
    assert load_image(plain_png(100, 100), limits).shape == (100, 100, 3)
    assert load_image(plain_png(50, 200), limits).shape == (200, 50, 3)
    with pytest.raises(UnreadableImage, match="101x100"):
        load_image(plain_png(101, 100), limits)


def test_forged_and_broken_images_are_refused_without_decoding() -> None:
    bomb = forged_png(9500, 9500)  # 88 KB, ~1 GB once decoded and converted
    assert len(bomb) < 100_000
    before = peak_rss_mb()
    for data in (bomb, forged_png(50_000, 50_000, rows=4), forged_png(9500, 9500)[:4000]):
        with pytest.raises(UnreadableImage, match="pixels"):
            load_image(data)
    assert peak_rss_mb() - before < 50
    truncated = plain_png(64, 64)
    for data in (truncated[: len(truncated) // 2], b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, b"GIF89a" + b"\xff" * 32,
                 forged_png(300, 300)[:60]):
        with pytest.raises(UnreadableImage):
            load_image(data)


def test_only_common_image_formats_are_opened() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="TIFF")
    with pytest.raises(UnreadableImage, match="PNG, JPEG"):
        load_image(buf.getvalue())
    for fmt in ("JPEG", "WEBP", "GIF", "BMP"):
        out = io.BytesIO()
        Image.new("RGB", (8, 8), (0, 0, 255)).save(out, format=fmt)
        assert load_image(out.getvalue()).shape == (8, 8, 3)


def test_huge_video_is_refused_from_its_header() -> None:
    video = h264_video(8192, 8192)
    before = peak_rss_mb()
    for read in (probe_video, first_frame, last_frame):
        with pytest.raises(UnreadableVideo, match="8192x8192"):
            read(video)
    # Without FFmpeg's max_pixels, merely probing this 200 KB file costs ~150 MB, decoding it ~1 GB.
    assert peak_rss_mb() - before < 50


def test_video_header_limits() -> None:
    video = h264_video(64, 48, frames=30)
    info = probe_video(video)
    assert (info.width, info.height, info.frame_count) == (64, 48, 30)
    with pytest.raises(UnreadableVideo, match="64x48"):
        probe_video(video, MediaLimits(max_video_side=63))
    with pytest.raises(UnreadableVideo, match="64x48"):
        probe_video(video, MediaLimits(max_video_pixels=64 * 48 - 1))
    with pytest.raises(UnreadableVideo, match="30 frames"):
        probe_video(video, MediaLimits(max_video_frames=29))
    with pytest.raises(UnreadableVideo, match="lasts 1 s"):
        probe_video(video, MediaLimits(max_video_seconds=1.0))
    assert len(list(iter_frames(video, limits=MediaLimits(max_video_frames=30)))) == 30


def test_decoding_stops_at_the_limit_when_the_header_says_nothing() -> None:
    # MPEG-TS declares no frame count: the header check passes, decoding must stop by itself.
    stream = h264_video(64, 48, frames=40, container="mpegts")
    limits = MediaLimits(max_video_frames=10)
    probe_video(stream, limits)
    decoded = []
    with pytest.raises(UnreadableVideo, match="more than 10 frames"):
        for frame in iter_frames(stream, limits=limits):
            decoded.append(frame)
    assert len(decoded) == 10
    with pytest.raises(UnreadableVideo):
        last_frame(stream, limits)
    assert isinstance(first_frame(stream, limits), np.ndarray)
    # A capture that starts ten hours in is not a ten-hour video.
    late = h264_video(64, 48, frames=10, container="mpegts", first_pts=24 * 36_000)
    assert len(list(iter_frames(late))) == 10


@pytest.mark.parametrize("data", [b"", b"\0" * 1000, b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 500])
def test_garbage_is_an_unreadable_video(data: bytes) -> None:
    with pytest.raises(UnreadableVideo):
        probe_video(data)


@pytest.mark.parametrize("build", [sample_table_bomb, fragment_run_bomb])
def test_sample_table_bomb_is_refused_before_ffmpeg_indexes_it(build) -> None:
    bomb = build(50_000_000)
    assert len(bomb) < 2000
    before = peak_rss_mb()
    for read in (probe_video, first_frame):
        with pytest.raises(UnreadableVideo, match="sample tables"):
            read(bomb)
    assert peak_rss_mb() - before < 50
    # The same file with an honest count is read as usual.
    assert probe_video(build(1)).width == 64


def _mutations(seed: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``count`` copies of ``seed``, each with a few bytes overwritten: random bytes, or large sizes."""
    out = []
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(data))
            data[i:i + 4] = rng.choice([bytes([rng.randrange(256)]), b"\x7f\xff\xff\xff",
                                        bytes([0xFF, 0xFF, rng.randrange(256), rng.randrange(256)])])
        out.append(bytes(data))
    return out


def test_mutated_files_fail_only_as_unreadable_and_stay_small() -> None:
    rng = random.Random(13)
    videos = [h264_video(64, 48, frames=10, container=c) for c in ("mp4", "matroska", "avi", "mpegts")]
    images = []
    for fmt in ("PNG", "JPEG", "WEBP", "GIF"):
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, format=fmt)
        images.append(buf.getvalue())
    before = peak_rss_mb()
    tried = 0
    for seed in videos:
        for data in _mutations(seed, rng, 100):
            tried += 1
            try:
                probe_video(data)
                first_frame(data)
                last_frame(data)
            except UnreadableVideo:
                pass
    for seed in images:
        for data in _mutations(seed, rng, 100):
            tried += 1
            try:
                load_image(data)
            except UnreadableImage:
                pass
    assert tried == 800
    # A mutated header may declare up to the pixel budget (16.7 Mpx), never more.
    assert peak_rss_mb() - before < 200
