"""Every ledger movement happens once, whatever races: many threads, each with its own connection, delete,
claim, fail and complete the same job at the same moment, on SQLite and on PostgreSQL. Afterwards each
video has one reservation and at most one settlement (a charge or a refund, never both), the settlement
matches how the job ended, and usage stays between zero and the plan."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from azur.accounts import ledger
from azur.accounts.users import create_user
from azur.config import QueueSettings, Settings
from azur.db.models import UsageEntry, User, Video, VideoKind
from azur.jobs.queue import COMPLETED, FAILED, QUEUED, ClaimedJob, DatabaseQueue
from tests.accounts.test_ledger import accept

THREADS = 24


def at_once(actions: list) -> list:
    """Run every action in its own thread, released together; returns results (or the exceptions raised)."""
    start = threading.Barrier(len(actions))

    def run(action):
        start.wait()
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - an exception is a finding, reported by the caller
            return exc

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def deleter(db, queue: DatabaseQueue, video_id: str):
    def delete() -> str | None:
        with db.session() as session:
            return queue.delete(session, video_id)
    return delete


def settled(db, video_id: str) -> Counter:
    with db.session() as session:
        return Counter(session.scalars(select(UsageEntry.kind).where(UsageEntry.video_id == video_id)))


def status_of(db, video_id: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(Video.status).where(Video.id == video_id))


def check_once(db, video_id: str, deletes: list) -> None:
    """The ledger of one video agrees with how its job ended."""
    kinds = settled(db, video_id)
    assert kinds["reserve"] == 1 and kinds["charge"] + kinds["refund"] <= 1, kinds
    status = status_of(db, video_id)
    if status == COMPLETED:
        assert kinds["charge"] == 1, kinds
    elif status == FAILED or QUEUED in deletes:
        assert kinds["refund"] == 1, (status, deletes, kinds)
    assert sum(d is not None for d in deletes) <= 1, deletes  # one DELETE found the row, the rest found nothing


@pytest.fixture
def plus_user(db):
    with db.session() as session:
        return create_user(session, "racer", plan="plus").id


def new_job(db, user_id: int, kind: VideoKind = VideoKind.create) -> str:
    with db.session() as session:
        video = accept(session, Settings(), session.get(User, user_id))
        video.kind = kind.value  # remixes, extensions and edits are reserved and settled the same way
        return video.id


def test_a_queued_job_deleted_and_claimed_from_many_threads_is_refunded_once(db, plus_user):
    queue = DatabaseQueue(db, QueueSettings(max_attempts=1))
    for kind in VideoKind:
        video_id = new_job(db, plus_user, kind)

        def claim_and_fail(worker: str):
            job = queue.claim(worker)
            return job and queue.fail(job, code="generation_failed", message="boom", retry=False)

        actions = [deleter(db, queue, video_id) for _ in range(THREADS // 2)]
        actions += [lambda w=f"w{i}": claim_and_fail(w) for i in range(THREADS // 2)]
        results = at_once(actions)
        assert not [r for r in results if isinstance(r, Exception)], results
        check_once(db, video_id, results[: THREADS // 2])


def test_a_running_job_completed_failed_and_deleted_at_once_is_settled_once(db, plus_user):
    queue = DatabaseQueue(db, QueueSettings())
    outcomes = Counter()
    for round_ in range(6):
        video_id = new_job(db, plus_user)
        job = queue.claim(f"worker-{round_}")
        assert job is not None and job.video_id == video_id
        complete = lambda: queue.complete(job, files={"video": "v.mp4"}, notes=[], retention_days=1)  # noqa: E731
        fail = lambda: queue.fail(job, code="generation_failed", message="boom", retry=False)  # noqa: E731
        deletes = [deleter(db, queue, video_id) for _ in range(THREADS // 3)]
        results = at_once([complete] * (THREADS // 3) + [fail] * (THREADS // 3) + deletes)
        assert not [r for r in results if isinstance(r, Exception)], results
        # The worker's writes are conditional on its lease: only one of them took effect.
        assert results[: THREADS // 3].count(True) + results[THREADS // 3: 2 * THREADS // 3].count(FAILED) <= 1
        check_once(db, video_id, results[2 * THREADS // 3:])
        outcomes[status_of(db, video_id) or "deleted"] += 1
    assert sum(outcomes.values()) == 6


def test_a_job_whose_lease_expired_is_settled_once_between_the_old_and_the_new_worker(db, plus_user):
    # The new worker's lease must outlast the race below even on a loaded machine.
    queue = DatabaseQueue(db, QueueSettings(lease_seconds=1.0, max_attempts=2))
    for _ in range(4):
        video_id = new_job(db, plus_user)
        old = queue.claim("old-worker")
        time.sleep(1.1)  # the old worker stopped heart-beating
        new = queue.claim("new-worker")
        assert new is not None and new.video_id == video_id and new.attempt == 2
        actions = []
        for job in (old, new):
            actions += [lambda j=job: queue.complete(j, files={"video": "v.mp4"}, notes=[], retention_days=1)] * 4
            actions += [lambda j=job: queue.fail(j, code="generation_failed", message="boom", retry=False)] * 4
        actions += [lambda: queue.claim("third-worker")] * 4 + [deleter(db, queue, video_id) for _ in range(4)]
        results = at_once(actions)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert results[:8] == [False] * 4 + [None] * 4  # the old worker lost the job: none of its writes count
        check_once(db, video_id, results[-4:])


def test_a_job_out_of_attempts_claimed_from_many_threads_fails_with_one_refund(db, plus_user):
    queue = DatabaseQueue(db, QueueSettings(lease_seconds=0.1, max_attempts=1))
    video_id = new_job(db, plus_user)
    assert queue.claim("crashed-worker") is not None
    time.sleep(0.2)
    results = at_once([lambda w=f"w{i}": queue.claim(w) for i in range(THREADS)])
    assert results == [None] * THREADS  # out of attempts: failed instead of run again
    assert status_of(db, video_id) == FAILED
    check_once(db, video_id, [])


def test_the_database_itself_refuses_a_second_settlement_or_reservation(db, plus_user):
    """Even code that bypasses the ledger functions cannot write a second refund or charge."""
    video_id = new_job(db, plus_user)
    with db.session() as session:
        assert ledger.refund(session, video_id, reason="deleted")
    for kind in ("refund", "charge", "reserve"):
        with pytest.raises(IntegrityError), db.session() as session:
            session.add(UsageEntry(user_id=plus_user, video_id=video_id, kind=kind, period="2026-12", videos=-1,
                                   credits=-4, plan="plus", created_at=time.time()))


def test_usage_never_goes_below_zero_nor_above_the_plan_under_racing_deletes_and_creates(db, plus_user):
    settings = Settings()
    queue = DatabaseQueue(db, QueueSettings())
    video_ids = [new_job(db, plus_user) for _ in range(5)]
    results = at_once([deleter(db, queue, v) for v in video_ids for _ in range(THREADS // 4)])
    assert Counter(r for r in results) == Counter({QUEUED: 5, None: 5 * (THREADS // 4) - 5})

    def create():
        with db.session() as session:
            return accept(session, settings, session.get(User, plus_user)).id

    created = at_once([create] * 60)
    accepted = [c for c in created if isinstance(c, str)]
    assert len(accepted) == 50 and all(isinstance(c, ledger.QuotaExceeded) for c in created if c not in accepted)
    with db.session() as session:
        used = ledger.usage(session, settings, session.get(User, plus_user))
        assert (used.videos_used, used.videos_remaining) == (50, 0)
        per_video = session.execute(
            select(UsageEntry.video_id, func.count()).where(UsageEntry.kind == "refund").group_by(UsageEntry.video_id)
        ).all()
        assert sorted(per_video) == sorted((v, 1) for v in video_ids)
