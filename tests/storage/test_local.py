"""Local storage under real faults: a folder whose files cannot be removed, a file system that is full.
Errors are raised (naming keys, never the server's paths), not swallowed, and no half file stays."""

from __future__ import annotations

import os
import time

import pytest

from azur.storage.base import StorageError
from azur.storage.local import LocalStorage
from tests.faults import files_under, fill, immutable, tiny_disk


def test_a_removal_that_fails_is_reported_and_a_retry_finishes_it(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    storage.put_bytes("videos/video_a/video.mp4", b"video")
    storage.put_bytes("videos/video_a/thumbnail.webp", b"thumb")
    with immutable(tmp_path / "files" / "videos" / "video_a"):
        with pytest.raises(StorageError) as failed:
            storage.delete_prefix("videos/video_a/")
        with pytest.raises(StorageError):
            storage.delete("videos/video_a/video.mp4")
    message = str(failed.value)
    assert "videos/video_a/" in message and "Operation not permitted" in message
    assert str(tmp_path) not in message  # clients see this text: keys only, no server paths
    assert files_under(tmp_path / "files") == ["videos/video_a/thumbnail.webp", "videos/video_a/video.mp4"]
    storage.delete_prefix("videos/video_a/")
    assert files_under(tmp_path / "files") == []


def test_a_write_to_a_full_disk_is_reported_and_leaves_no_partial_file(tmp_path):
    with tiny_disk(tmp_path / "disk", 256) as disk:
        storage = LocalStorage(disk / "files")
        storage.put_bytes("videos/video_a/first_frame.png", b"x" * 1000)
        fill(disk, 16 * 1024)
        with pytest.raises(StorageError, match="Could not store videos/video_a/video.mp4: No space left"):
            storage.put_bytes("videos/video_a/video.mp4", os.urandom(64 * 1024))
        assert files_under(disk / "files") == ["videos/video_a/first_frame.png"]  # no .part-* left


def test_listing_sees_unfinished_writes_with_their_age(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put_bytes("videos/video_a/video.mp4", b"12345")
    partial = tmp_path / "videos" / "video_b" / ".part-abc"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"12")
    os.utime(partial, (time.time() - 7200, time.time() - 7200))
    listed = {f.key: f for f in storage.list_files("videos/")}
    assert set(listed) == {"videos/video_a/video.mp4", "videos/video_b/.part-abc"}
    assert listed["videos/video_a/video.mp4"].size == 5
    assert listed["videos/video_b/.part-abc"].modified < time.time() - 7000
