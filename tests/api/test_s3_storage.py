"""A real ``azur serve`` whose files live in an S3-compatible store (moto's server mode on loopback, a
stand-in for the protocol reached through boto3 over HTTP; see tests/s3_store.py): the worker stores the
video in the bucket, downloads stream from it with Range requests or redirect to a presigned URL, and
erasure and purge delete the objects, reporting the ones the store refuses to delete."""

from __future__ import annotations

import subprocess
import time

import httpx
import openai
import pytest
from sqlalchemy import update

from azur.db.models import Video
from azur.db.session import Database
from tests.conftest import AZUR, AzurServer, assert_openai_error
from tests.s3_store import S3Server, s3_server  # noqa: F401 - fixture

PREFIX = "school"


@pytest.fixture(scope="module")
def store(s3_server) -> tuple[S3Server, str]:
    return s3_server, s3_server.new_bucket(ObjectLockEnabledForBucket=True)


@pytest.fixture(scope="module")
def s3_serve(store, tmp_path_factory):
    s3, bucket = store
    srv = AzurServer(tmp_path_factory.mktemp("home"), env=s3.env(bucket, PREFIX)).start()
    yield srv
    srv.stop()


def make_video(server: AzurServer, name: str) -> tuple[openai.OpenAI, str, str]:
    key = server.add_user(name)
    client = server.client(key)
    video = client.videos.create_and_poll(prompt="a red ball moving right on a blue background", seconds="4",
                                          size="480x480", poll_interval_ms=200)
    assert video.status == "completed", video.error
    return client, key, video.id


def test_videos_are_stored_in_the_bucket_and_stream_with_ranges(s3_serve, store):
    s3, bucket = store
    client, key, video_id = make_video(s3_serve, "ada")
    assert s3.keys(bucket, f"{PREFIX}/videos/{video_id}/") == [
        f"{PREFIX}/videos/{video_id}/{name}" for name in ("spritesheet.jpg", "thumbnail.webp", "video.mp4")]
    assert not (s3_serve.home / "files").exists()  # nothing on the server's disk
    stored = s3.client().get_object(Bucket=bucket, Key=f"{PREFIX}/videos/{video_id}/video.mp4")["Body"].read()
    assert client.videos.download_content(video_id).content == stored
    assert stored[4:8] == b"ftyp"

    url = f"{s3_serve.url}/v1/videos/{video_id}/content"
    auth = {"Authorization": f"Bearer {key}"}
    part = httpx.get(url, headers={**auth, "Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(stored)}"
    assert part.content == stored[100:1100]
    tail = httpx.get(url, headers={**auth, "Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == stored[-500:]
    beyond = httpx.get(url, headers={**auth, "Range": f"bytes={len(stored) + 10}-"})
    assert_openai_error(beyond, 416, code="range_not_satisfiable")
    assert beyond.headers["content-range"] == f"bytes */{len(stored)}"
    thumbnail = client.videos.download_content(video_id, variant="thumbnail").content
    assert thumbnail[:4] == b"RIFF" and thumbnail[8:12] == b"WEBP"


def test_downloads_can_redirect_to_a_presigned_url(s3_serve, store, tmp_path):
    s3, bucket = store
    client, key, video_id = make_video(s3_serve, "grace")
    # A second API process on the same database and bucket, configured for presigned downloads.
    front = AzurServer(s3_serve.home, workers=0, env={**s3.env(bucket, PREFIX),
                                                       "AZUR_STORAGE_PRESIGNED_DOWNLOADS": "true",
                                                       "AZUR_STORAGE_PRESIGNED_SECONDS": "60"})
    front.log = tmp_path / "front.log"
    front.start()
    try:
        answer = httpx.get(f"{front.url}/v1/videos/{video_id}/content", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 307
        location = answer.headers["location"]
        assert location.startswith(s3.endpoint + f"/{bucket}/{PREFIX}/videos/{video_id}/video.mp4?")
        assert "Expires=" in location or "X-Amz-Expires=60" in location
        # The official client follows the redirect and gets the bytes from the store.
        content = front.client(key).videos.download_content(video_id).content
        assert content == client.videos.download_content(video_id).content
        # The URL asks the store to answer with the video's type (moto, the stand-in here, has not always
        # honoured it under load; a real store does: that part is the store's).
        assert "response-content-type=video%2Fmp4" in location
    finally:
        front.stop()


def test_erasure_deletes_the_objects_and_reports_those_the_store_keeps(s3_serve, store):
    s3, bucket = store
    _, key, kept = make_video(s3_serve, "hedy")
    kept_key = f"{PREFIX}/videos/{kept}/video.mp4"
    s3.client().put_object_legal_hold(Bucket=bucket, Key=kept_key, LegalHold={"Status": "ON"})
    refused = httpx.delete(f"{s3_serve.url}/v1/me", headers={"Authorization": f"Bearer {key}"})
    error = assert_openai_error(refused, 500, code="storage_error")
    assert f"videos/{kept}/video.mp4" in error["message"] and "AccessDenied" in error["message"]
    assert s3.keys(bucket, f"{PREFIX}/videos/{kept}/") == [kept_key]  # the rest went; the user is still there
    s3.client().put_object_legal_hold(Bucket=bucket, Key=kept_key, LegalHold={"Status": "OFF"})
    erased = httpx.delete(f"{s3_serve.url}/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert erased.status_code == 200, erased.text
    assert s3.keys(bucket, f"{PREFIX}/videos/{kept}/") == []


def test_purge_deletes_expired_objects_and_reports_failures(s3_serve, store):
    s3, bucket = store
    _, _, held = make_video(s3_serve, "alan")
    _, _, free = make_video(s3_serve, "barbara")
    db = Database(f"sqlite:///{s3_serve.home / 'azur.db'}")
    with db.session() as session:
        session.execute(update(Video).where(Video.id.in_([held, free])).values(expires_at=time.time() - 60))
    db.dispose()
    s3.client().put_object_legal_hold(Bucket=bucket, Key=f"{PREFIX}/videos/{held}/thumbnail.webp",
                                      LegalHold={"Status": "ON"})
    run = subprocess.run([AZUR, "purge"], env=s3_serve.env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "1 expired videos and 0 unowned files could not be removed" in run.stderr
    assert f"videos/{held}/thumbnail.webp: AccessDenied" in run.stderr
    assert "Traceback" not in run.stderr
    assert s3.keys(bucket, f"{PREFIX}/videos/{free}/") == []
    assert s3.keys(bucket, f"{PREFIX}/videos/{held}/") == [f"{PREFIX}/videos/{held}/thumbnail.webp"]
    s3.client().put_object_legal_hold(Bucket=bucket, Key=f"{PREFIX}/videos/{held}/thumbnail.webp",
                                      LegalHold={"Status": "OFF"})
    again = subprocess.run([AZUR, "purge"], env=s3_serve.env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "purged 1 expired videos" in again.stdout
    assert s3.keys(bucket, f"{PREFIX}/videos/{held}/") == []
