"""The durable queue on a real SQLite file: claim order, atomic claims, leases, retries."""

from __future__ import annotations

import threading
import time

import pytest

from azur.accounts.users import create_user
from azur.config import QueueSettings
from azur.db.models import Video
from azur.db.session import open_database
from azur.jobs.queue import DatabaseQueue


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'azur.db'}")
    yield database
    database.dispose()


def make_queue(db, **settings) -> DatabaseQueue:
    return DatabaseQueue(db, QueueSettings(**{"lease_seconds": 60, "max_attempts": 3, **settings}))


def add_jobs(db, queue, specs) -> list[str]:
    """Queue videos of one user; ``specs`` are (priority, created_at offset). The user may run them all at
    once (per-user running limits are tested in tests/accounts)."""
    ids = []
    with db.session() as session:
        user = create_user(session, f"user{time.time_ns()}")
        for i, (priority, offset) in enumerate(specs):
            video = Video(id=f"video_{i:032x}", user_id=user.id, created_at=1000.0 + offset, model="azur-tiny",
                          prompt="p", seconds=1, width=480, height=480, seed=1, style="flat", priority=priority,
                          running_limit=len(specs))
            queue.submit(session, video)
            ids.append(video.id)
    return ids


def status(db, video_id) -> Video:
    with db.session() as session:
        return session.get(Video, video_id)


def test_claims_by_priority_then_age(db):
    queue = make_queue(db)
    ids = add_jobs(db, queue, [(0, 1), (0, 0), (10, 5), (10, 3)])
    order = [queue.claim("w").video_id for _ in ids]
    assert order == [ids[3], ids[2], ids[1], ids[0]]
    assert queue.claim("w") is None


def test_concurrent_workers_never_share_a_job(db):
    queue = make_queue(db)
    ids = add_jobs(db, queue, [(0, i) for i in range(40)])
    claimed: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := queue.claim(name)) is not None:
            with lock:
                claimed.append(job.video_id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_a_dead_workers_job_is_reclaimed_after_its_lease(db):
    queue = make_queue(db, lease_seconds=1.0)  # long enough that a loaded machine gets to the second claim
    [video_id] = add_jobs(db, queue, [(0, 0)])
    first = queue.claim("dead")
    assert queue.claim("alive") is None  # leased
    time.sleep(1.1)
    second = queue.claim("alive")
    assert second.video_id == video_id and second.attempt == 2
    # The dead worker wakes up: every write it tries is refused.
    assert not queue.heartbeat(first) and not queue.report_progress(first, 50)
    assert not queue.complete(first, files={}, notes=[], retention_days=1)
    assert queue.complete(second, files={"video": "k"}, notes=[], retention_days=1)
    assert status(db, video_id).status == "completed"


def test_heartbeat_keeps_the_lease(db):
    queue = make_queue(db, lease_seconds=1.0)
    add_jobs(db, queue, [(0, 0)])
    job = queue.claim("w")
    for _ in range(4):  # 1.6 s in all, past the lease, with 0.6 s to spare between beats on a loaded machine
        time.sleep(0.4)
        assert queue.heartbeat(job)
    assert queue.claim("other") is None


def test_failing_job_is_retried_then_fails_with_its_error(db):
    queue = make_queue(db, max_attempts=3)
    [video_id] = add_jobs(db, queue, [(0, 0)])
    for attempt in (1, 2):
        job = queue.claim("w")
        assert job.attempt == attempt
        assert queue.fail(job, code="generation_failed", message="boom", retry=True) == "queued"
    job = queue.claim("w")
    assert queue.fail(job, code="generation_failed", message="boom", retry=True) == "failed"
    video = status(db, video_id)
    assert video.status == "failed" and video.error_code == "generation_failed"
    assert "boom" in video.error_message and "3 times" in video.error_message
    assert queue.claim("w") is None


def test_job_losing_its_worker_too_often_ends_failed(db):
    queue = make_queue(db, lease_seconds=0.05, max_attempts=2)
    [video_id] = add_jobs(db, queue, [(0, 0)])
    for _ in range(2):
        assert queue.claim("crashing") is not None
        time.sleep(0.1)
    assert queue.claim("w") is None
    video = status(db, video_id)
    assert video.status == "failed" and video.error_code == "worker_lost"


def test_release_gives_the_job_back_without_counting_an_attempt(db):
    queue = make_queue(db)
    add_jobs(db, queue, [(0, 0)])
    queue.release(queue.claim("stopping"))
    assert queue.claim("next").attempt == 1


def test_deleted_job_is_noticed(db):
    queue = make_queue(db)
    [video_id] = add_jobs(db, queue, [(0, 0)])
    job = queue.claim("w")
    with db.session() as session:
        session.delete(session.get(Video, video_id))
    assert not queue.report_progress(job, 10)
    assert not queue.complete(job, files={}, notes=[], retention_days=1)
