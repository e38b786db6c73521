"""The worker on a real database and storage: jobs that cannot succeed end ``failed`` with a clear error."""

from __future__ import annotations

import os
import time

import pytest

from azur.accounts.users import create_user
from azur.config import Settings
from azur.db.models import Video
from azur.db.session import open_database
from azur.jobs.queue import DatabaseQueue
from azur.jobs.worker import Worker
from azur.storage import make_storage
from tests.faults import files_under, fill, tiny_disk


@pytest.fixture
def setup(tmp_path):
    settings = Settings(home=tmp_path, queue={"max_attempts": 3, "heartbeat_seconds": 0.2})
    db = open_database(settings.resolved_database_url)
    queue = DatabaseQueue(db, settings.queue)
    yield settings, db, queue, Worker(settings, queue, make_storage(settings))
    db.dispose()


def add_video(db, queue, **fields) -> str:
    with db.session() as session:
        user = create_user(session, f"u{time.time_ns()}")
        video = Video(user_id=user.id, created_at=time.time(), prompt="a red ball", seconds=1, width=480,
                      height=480, seed=1, style="flat", **{"id": "video_" + "a" * 32, "model": "azur-tiny", **fields})
        queue.submit(session, video)
        return video.id


def test_a_job_that_keeps_failing_ends_failed_after_max_attempts(setup):
    settings, db, queue, worker = setup
    # Its first frame was never stored: every attempt fails the same way.
    video_id = add_video(db, queue, first_frame_key="videos/missing/first_frame.png")
    runs = 0
    while worker.run_once():
        runs += 1
    assert runs == 3
    with db.session() as session:
        video = session.get(Video, video_id)
    assert video.status == "failed" and video.error_code == "generation_failed"
    assert "MissingFile" in video.error_message and "giving up" in video.error_message


def test_an_invalid_job_fails_at_once(setup):
    settings, db, queue, worker = setup
    video_id = add_video(db, queue, model="no-such-model")
    assert worker.run_once() and not worker.run_once()
    with db.session() as session:
        video = session.get(Video, video_id)
    assert video.status == "failed" and video.error_code == "invalid_request" and "no-such-model" in video.error_message


def test_a_job_that_fills_the_disk_leaves_none_of_its_files(tmp_path):
    # Marks off, so that two jobs of the same request make byte-identical files: the first measures the
    # video, the second finds room for exactly that video and none for its thumbnail.
    with tiny_disk(tmp_path / "disk", 4096) as disk:
        settings = Settings(home=tmp_path / "home", storage_dir=disk / "files", queue={"max_attempts": 1},
                            provenance={"watermark": False, "c2pa": False})
        db = open_database(settings.resolved_database_url)
        try:
            queue = DatabaseQueue(db, settings.queue)
            worker = Worker(settings, queue, make_storage(settings))
            first = add_video(db, queue, id="video_" + "1" * 32)
            assert worker.run_once()
            video_size = (disk / "files" / "videos" / first / "video.mp4").stat().st_size
            block = os.statvfs(disk).f_frsize
            fill(disk, -(-video_size // block) * block)
            second = add_video(db, queue, id="video_" + "2" * 32)
            assert worker.run_once()
            with db.session() as session:
                failed = session.get(Video, second)
            assert failed.status == "failed" and "No space left" in failed.error_message
            assert "thumbnail.webp" in failed.error_message  # the video itself was stored, then taken back
            assert not (disk / "files" / "videos" / second).exists()
            assert files_under(disk / "files") == [f"videos/{first}/{name}" for name in
                                                   ("spritesheet.jpg", "thumbnail.webp", "video.mp4")]
        finally:
            db.dispose()


def test_a_storyboard_whose_shot_cannot_be_made_fails_naming_the_shot(tmp_path):
    settings = Settings(home=tmp_path, queue={"max_attempts": 1})
    db = open_database(settings.resolved_database_url)
    try:
        queue = DatabaseQueue(db, settings.queue)
        worker = Worker(settings, queue, make_storage(settings))
        # Shot 2's image was accepted with the job, and then lost from storage.
        shots = [{"prompt": "a red ball", "seconds": 1, "transition": "cut", "has_image": False},
                 {"prompt": "a blue star", "seconds": 1, "transition": "cut", "has_image": True}]
        video_id = add_video(db, queue, options={"storyboard": shots})
        assert worker.run_once()
        with db.session() as session:
            video = session.get(Video, video_id)
        assert video.status == "failed" and video.error_code == "generation_failed"
        assert "shot 2 of 2 ('a blue star') failed" in video.error_message, video.error_message
        assert files_under(tmp_path / "files") == []
    finally:
        db.dispose()
