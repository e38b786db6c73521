"""The worker on a real database and storage: jobs that cannot succeed end ``failed`` with a clear error."""

from __future__ import annotations

import time

import pytest

from azur.accounts.users import create_user
from azur.config import Settings
from azur.db.models import Video
from azur.db.session import open_database
from azur.jobs.queue import DatabaseQueue
from azur.jobs.worker import Worker
from azur.storage import make_storage


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
        video = Video(id="video_" + "a" * 32, user_id=user.id, created_at=time.time(), prompt="a red ball",
                      seconds=1, width=480, height=480, seed=1, style="flat", **{"model": "azur-tiny", **fields})
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
