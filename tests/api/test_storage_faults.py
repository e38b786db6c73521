"""Leftovers on a real ``azur serve`` with real files: a refused request writes nothing, a removal that
storage refuses is reported and loses nothing, and ``azur purge`` sweeps files that no video owns."""

from __future__ import annotations

import os
import time

import httpx
import openai
import pytest

from tests.conftest import assert_openai_error, plain_png
from tests.faults import files_under, immutable

pytestmark = pytest.mark.slow

SHORT = {"seconds": "1", "size": "480x480"}


def blue_png() -> bytes:
    return plain_png(480, 480, (0, 0, 200))


@pytest.fixture(scope="module")
def source(client):
    """A finished video made from an uploaded first frame (so remixes copy a stored frame)."""
    video = client.videos.create(prompt="a red circle moving right", input_reference=("blue.png", blue_png(),
                                 "image/png"), **SHORT)
    return client.videos.poll(video.id, poll_interval_ms=200)


def test_refused_requests_write_nothing_and_erasure_leaves_no_file(server, source):
    key = server.add_user("refused")
    client = server.client(key)
    mine = client.videos.create(prompt="a green star rising", input_reference=("blue.png", blue_png(), "image/png"),
                                **SHORT)
    mine = client.videos.poll(mine.id, poll_interval_ms=200)
    files = server.home / "files"
    before = files_under(files)
    assert f"videos/{mine.id}/first_frame.png" in before
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.remix(mine.id, prompt="a naked woman lying on a bed")
    assert_openai_error(refused.value, 400, code="moderation_blocked", param="prompt")
    with pytest.raises(openai.BadRequestError):
        client.videos.create(prompt="a naked woman", input_reference=("blue.png", blue_png(), "image/png"), **SHORT)
    assert files_under(files) == before  # the refused remix left no first_frame.png of its own
    erased = httpx.delete(server.url + "/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert erased.status_code == 200, erased.text
    assert not [f for f in files_under(files) if source.id not in f], files_under(files)


def test_a_delete_that_storage_refuses_is_reported_and_keeps_the_video(server, client):
    video = client.videos.create_and_poll(prompt="a yellow square", poll_interval_ms=200, **SHORT)
    folder = server.home / "files" / "videos" / video.id
    stored = files_under(folder)
    with immutable(folder):
        with pytest.raises(openai.InternalServerError) as failed:
            client.videos.delete(video.id)
        error = assert_openai_error(failed.value, 500, code="storage_error")
        assert "not deleted" in error["message"] and video.id in error["message"]
        assert str(server.home) not in error["message"]
        assert client.videos.retrieve(video.id).status == "completed"  # kept, and still downloadable
        assert client.videos.download_content(video.id).content[4:8] == b"ftyp"
    assert files_under(folder) == stored
    assert client.videos.delete(video.id).deleted is True  # the retry finishes it
    assert not folder.exists()


def test_purge_removes_old_files_that_no_video_owns(server, client, source):
    files = server.home / "files"
    old = time.time() - 3 * 3600
    crashed = files / "videos" / ("video_" + "d" * 32) / ".part-x1y2"  # a write cut short, no row
    stray = files / "videos" / source.id / "video.mp4.old"  # beside a finished video's own files
    fresh = files / "videos" / ("video_" + "e" * 32) / "first_frame.png"  # maybe being accepted right now
    for path in (crashed, stray, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * 1000)
    for path in (crashed, stray):
        os.utime(path, (old, old))
    owned = set(files_under(files)) - {p.relative_to(files).as_posix() for p in (crashed, stray, fresh)}
    for name in owned:  # owned files are kept whatever their age
        os.utime(files / name, (old, old))
    out = server.cli("purge")
    assert "removed 2 files no video owns (2000 bytes)" in out, out
    assert set(files_under(files)) == owned | {fresh.relative_to(files).as_posix()}
    assert not crashed.parent.exists()
    assert client.videos.download_content(source.id).content[4:8] == b"ftyp"


def test_an_erasure_that_storage_refuses_is_reported_and_can_be_finished(server):
    key = server.add_user("stuck")
    client = server.client(key)
    video = client.videos.create_and_poll(prompt="a blue square", poll_interval_ms=200, **SHORT)
    folder = server.home / "files" / "videos" / video.id
    headers = {"Authorization": f"Bearer {key}"}
    with immutable(folder):
        failed = httpx.delete(server.url + "/v1/me", headers=headers, timeout=60)
        error = assert_openai_error(failed, 500, code="storage_error")
        assert video.id in error["message"] and str(server.home) not in error["message"]
        assert client.videos.retrieve(video.id).status == "completed"  # the account and its key still work
    erased = httpx.delete(server.url + "/v1/me", headers=headers, timeout=60)
    assert erased.status_code == 200 and not folder.exists()


def test_files_of_a_request_whose_row_cannot_commit_are_removed(server, client):
    import sqlite3

    files = server.home / "files"
    before = files_under(files)
    # A real failure of the row's transaction: the database refuses this one insert.
    with sqlite3.connect(server.home / "azur.db") as db:
        db.execute("CREATE TRIGGER refuse_one BEFORE INSERT ON videos WHEN NEW.prompt = 'a doomed green star' "
                   "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    try:
        with pytest.raises(openai.InternalServerError):
            client.videos.create(prompt="a doomed green star", input_reference=("blue.png", blue_png(), "image/png"),
                                 **SHORT)
    finally:
        with sqlite3.connect(server.home / "azur.db") as db:
            db.execute("DROP TRIGGER refuse_one")
    assert files_under(files) == before


def test_purge_says_what_it_could_not_remove_and_a_later_purge_does(server):
    import subprocess

    from tests.conftest import AZUR

    stray = server.home / "files" / "videos" / ("video_" + "f" * 32) / "video.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"\0" * 10)
    os.utime(stray, (time.time() - 7200, time.time() - 7200))
    with immutable(stray.parent):
        stuck = subprocess.run([AZUR, "purge"], env=server.env, capture_output=True, text=True, timeout=60)
    assert stuck.returncode == 2 and stray.exists()
    last = stuck.stderr.strip().splitlines()[-1]
    assert last.startswith("azur: 0 expired videos and 1 unowned files could not be removed"), stuck.stderr
    assert "Traceback" not in stuck.stderr
    assert "removed 1 files no video owns (10 bytes)" in server.cli("purge") and not stray.exists()
