"""S3 storage against an S3-compatible server (moto's server mode on loopback: a stand-in for the protocol,
reached through boto3 over HTTP exactly as a real store would be; see tests/s3_store.py)."""

from __future__ import annotations

import os

import pytest

from azur.storage.base import MissingFile, StorageError
from azur.storage.s3 import S3Storage, parse_s3_url
from tests.s3_store import s3_env, s3_server  # noqa: F401 - fixtures

MB = 1024 * 1024


def test_files_round_trip_under_the_prefix(s3_env, tmp_path):
    bucket = s3_env.new_bucket()
    storage = S3Storage(*parse_s3_url(f"s3://{bucket}/fleet/a/"), endpoint_url=s3_env.endpoint)
    source = tmp_path / "video.mp4"
    source.write_bytes(os.urandom(100_000))
    storage.put_file("videos/video_a/video.mp4", source)
    storage.put_bytes("videos/video_a/thumbnail.webp", b"thumb")
    assert s3_env.keys(bucket) == ["fleet/a/videos/video_a/thumbnail.webp", "fleet/a/videos/video_a/video.mp4"]
    assert storage.read_bytes("videos/video_a/video.mp4") == source.read_bytes()
    assert storage.stat("videos/video_a/video.mp4").size == 100_000
    with storage.open_range("videos/video_a/video.mp4", 10, 19) as part:
        assert part.read() == source.read_bytes()[10:20]
    assert {f.key for f in storage.list_files("videos/")} == {"videos/video_a/video.mp4",
                                                              "videos/video_a/thumbnail.webp"}
    assert storage.exists("videos/video_a/thumbnail.webp") and not storage.exists("videos/video_b/video.mp4")
    assert storage.local_path("videos/video_a/video.mp4") is None
    with pytest.raises(MissingFile):
        storage.read_bytes("videos/video_b/video.mp4")
    storage.put_bytes("videos/video_a/thumbnail.webp", b"again")  # a retried job replaces it whole
    assert storage.read_bytes("videos/video_a/thumbnail.webp") == b"again"
    storage.delete_prefix("videos/video_a/")
    assert s3_env.keys(bucket) == []


def test_a_large_file_goes_up_in_parts(s3_env, tmp_path):
    bucket = s3_env.new_bucket()
    storage = S3Storage(bucket, endpoint_url=s3_env.endpoint, multipart_bytes=5 * MB)
    source = tmp_path / "long.mp4"
    source.write_bytes(os.urandom(12 * MB))
    storage.put_file("videos/video_a/video.mp4", source)
    head = s3_env.client().head_object(Bucket=bucket, Key="videos/video_a/video.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # S3's ETag of a multipart object: md5-of-parts "-" part count
    assert storage.read_bytes("videos/video_a/video.mp4") == source.read_bytes()


def test_deleting_removes_every_version_of_a_versioned_bucket(s3_env):
    bucket = s3_env.new_bucket()
    s3_env.client().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    storage = S3Storage(bucket, "p/", endpoint_url=s3_env.endpoint)
    for attempt in range(3):  # three attempts of a job: three versions
        storage.put_bytes("videos/video_a/video.mp4", b"attempt %d" % attempt)
    storage.delete_prefix("videos/video_a/")
    versions = s3_env.client().list_object_versions(Bucket=bucket)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []


def test_a_removal_the_store_refuses_is_reported_and_a_retry_finishes_it(s3_env):
    bucket = s3_env.new_bucket(ObjectLockEnabledForBucket=True)
    client = s3_env.client()
    storage = S3Storage(bucket, "p/", endpoint_url=s3_env.endpoint)
    storage.put_bytes("videos/video_a/video.mp4", b"video")
    storage.put_bytes("videos/video_a/thumbnail.webp", b"thumb")
    client.put_object_legal_hold(Bucket=bucket, Key="p/videos/video_a/video.mp4", LegalHold={"Status": "ON"})
    with pytest.raises(StorageError, match="videos/video_a/video.mp4: AccessDenied") as failed:
        storage.delete_prefix("videos/video_a/")
    assert s3_env.endpoint not in str(failed.value)
    assert s3_env.keys(bucket) == ["p/videos/video_a/video.mp4"]
    client.put_object_legal_hold(Bucket=bucket, Key="p/videos/video_a/video.mp4", LegalHold={"Status": "OFF"})
    storage.delete_prefix("videos/video_a/")
    assert s3_env.keys(bucket) == []


def test_an_unreachable_store_is_a_storage_error(s3_env, tmp_path):
    from tests.conftest import free_port

    storage = S3Storage("nowhere", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StorageError, match="could not be reached") as failed:
        storage.put_bytes("videos/video_a/video.mp4", b"x")
    assert "127.0.0.1" not in str(failed.value)
    with pytest.raises(StorageError):
        storage.delete_prefix("videos/video_a/")
