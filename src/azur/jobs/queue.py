"""The durable job queue, kept in the database's ``videos`` table.

A job is a video row: the API commits it ``queued`` before answering, so an accepted job survives any
crash. Workers (threads of ``azur serve``'s worker processes, or ``azur worker`` on other machines) claim
jobs with a *lease*: the claim sets ``lease_owner`` and ``lease_expires_at``, a heartbeat keeps pushing
the expiry forward, and a job whose lease ran out (its worker died) is claimable again. Every write a
worker makes is conditional on still owning the lease, so a worker that lost its job cannot overwrite the
work of the one that took it over.

A job that ends ``completed`` or ``failed`` writes its webhook event (:func:`azur.webhooks.events.emit`) in
the same transaction as its status, so no finished video goes unannounced and no event names an unfinished one.

The queue is behind :class:`JobQueue` so that another transport (Celery + Redis for GPU workers) can
replace :class:`DatabaseQueue` later; :func:`claim_next` is the one place that decides which job runs next.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from azur.accounts import ledger
from azur.config import QueueSettings
from azur.db.models import Video, VideoStatus
from azur.db.session import Database
from azur.webhooks import events

QUEUED = VideoStatus.queued.value
RUNNING = VideoStatus.in_progress.value
COMPLETED = VideoStatus.completed.value
FAILED = VideoStatus.failed.value


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds the lease of. ``attempt`` counts claims, this one included."""

    video_id: str
    worker_id: str
    attempt: int


class JobQueue(Protocol):
    def submit(self, session: Session, video: Video) -> None: ...
    def delete(self, session: Session, video_id: str) -> str | None: ...
    def cancel_queued(self, session: Session, video_id: str, *, reason: str) -> bool: ...
    def claim(self, worker_id: str, models: list[str] | None = None) -> ClaimedJob | None: ...
    def load(self, job: ClaimedJob) -> Video | None: ...
    def heartbeat(self, job: ClaimedJob) -> bool: ...
    def report_progress(self, job: ClaimedJob, progress: int) -> bool: ...
    def complete(self, job: ClaimedJob, *, files: dict[str, str], notes: list[str], retention_days: int,
                 provenance: dict[str, Any] | None = None) -> bool: ...
    def fail(self, job: ClaimedJob, *, code: str, message: str, retry: bool) -> str | None: ...
    def release(self, job: ClaimedJob) -> None: ...


def _claimable(now: float) -> Any:
    """Queued jobs, and running jobs whose worker stopped renewing its lease."""
    return or_(
        Video.status == QUEUED,
        and_(Video.status == RUNNING, Video.lease_expires_at < now),
    )


def _under_running_limit(now: float) -> Any:
    """The owner runs fewer jobs than the job's plan allows at once (a live lease counts as running), so
    one user cannot take every worker: their further jobs wait while other users' jobs start."""
    running = aliased(Video)
    live = (
        select(func.count())
        .select_from(running)
        .where(running.user_id == Video.user_id, running.status == RUNNING, running.lease_expires_at >= now)
        .scalar_subquery()
    )
    return live < Video.running_limit


def _eligible(now: float, models: list[str] | None) -> tuple[Any, ...]:
    conditions = (_claimable(now), _under_running_limit(now))
    return (*conditions, Video.model.in_(models)) if models else conditions


def claim_next(session: Session, worker_id: str, *, now: float, lease_seconds: float,
               models: list[str] | None = None) -> ClaimedJob | None:
    """Atomically take the next job: highest ``priority`` first, then oldest. The only claim query.

    ``models`` limits the claim to jobs of those models (a GPU worker that holds only some weights).

    Postgres: one ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)``, so concurrent workers skip
    each other's rows. SQLite (one writer at a time): pick a candidate, then a conditional UPDATE that only
    succeeds if the row is still claimable; on a lost race, try the next candidate.
    """
    order = (Video.priority.desc(), Video.created_at, Video.id)
    claim_values = {
        "status": RUNNING,
        "lease_owner": worker_id,
        "lease_expires_at": now + lease_seconds,
        "attempts": Video.attempts + 1,
    }
    if session.get_bind().dialect.name == "postgresql":
        next_id = (
            select(Video.id).where(*_eligible(now, models)).order_by(*order).limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_subquery()
        row = session.execute(
            update(Video).where(Video.id == next_id).values(**claim_values).returning(Video.id, Video.attempts)
        ).first()
        return None if row is None else ClaimedJob(row[0], worker_id, row[1])

    eligible = _eligible(now, models)
    candidates = session.scalars(select(Video.id).where(*eligible).order_by(*order).limit(8)).all()
    for video_id in candidates:
        result = session.execute(update(Video).where(Video.id == video_id, *eligible).values(**claim_values))
        if result.rowcount == 1:
            attempts = session.scalar(select(Video.attempts).where(Video.id == video_id))
            return ClaimedJob(video_id, worker_id, int(attempts or 1))
    return None


class DatabaseQueue:
    """The job queue in the database. Each method is one short transaction."""

    def __init__(self, db: Database, settings: QueueSettings) -> None:
        self.db = db
        self.settings = settings

    def submit(self, session: Session, video: Video) -> None:
        """Add a new job in the caller's transaction: it exists once the caller commits."""
        video.status = QUEUED
        video.progress = 0
        session.add(video)

    def delete(self, session: Session, video_id: str) -> str | None:
        """Remove a job in the caller's transaction, refunding it if it had not started. Returns the status
        it was deleted in, or None when it was already gone (another DELETE won).

        Each step is one conditional statement, so the refund follows only the DELETE that removed a
        queued row: of many simultaneous DELETEs, or a DELETE racing a claim, exactly one sees it queued.
        """
        if self.cancel_queued(session, video_id, reason="deleted before it started"):
            return QUEUED
        # Started (a running worker notices at its next heartbeat and stops) or finished: nothing to give back.
        deleted = session.execute(delete(Video).where(Video.id == video_id).returning(Video.status)).first()
        return None if deleted is None else deleted[0]

    def cancel_queued(self, session: Session, video_id: str, *, reason: str) -> bool:
        """Remove a job that has not started, refunding it, in the caller's transaction; False when it has
        started, ended or is gone (it is then left alone). A cancelled batch stops its waiting jobs so."""
        queued = delete(Video).where(Video.id == video_id, Video.status == QUEUED).returning(Video.id)
        if session.execute(queued).first() is None:
            return False
        ledger.refund(session, video_id, reason=reason)
        return True

    def claim(self, worker_id: str, models: list[str] | None = None) -> ClaimedJob | None:
        """The next job for ``worker_id`` (of one of ``models``, when given), or None. A job that lost its worker ``max_attempts`` times is
        marked failed here instead of being run again."""
        while True:
            now = time.time()
            with self.db.session() as session:
                job = claim_next(session, worker_id, now=now, lease_seconds=self.settings.lease_seconds,
                                 models=models)
            if job is None:
                return None
            if job.attempt <= self.settings.max_attempts:
                return job
            self._finish_failed(
                job,
                code="worker_lost",
                message=f"The job was interrupted {job.attempt - 1} times (its worker stopped); giving up.",
            )

    def _owned(self, job: ClaimedJob) -> Any:
        return and_(Video.id == job.video_id, Video.lease_owner == job.worker_id, Video.status == RUNNING)

    def load(self, job: ClaimedJob) -> Video | None:
        """A detached copy of the job's row, or None if it was deleted or taken over."""
        with self.db.session() as session:
            video = session.scalar(select(Video).where(self._owned(job)))
            if video is not None:
                if video.started_at is None:
                    video.started_at = time.time()
                session.flush()
                session.expunge(video)
            return video

    def heartbeat(self, job: ClaimedJob) -> bool:
        """Renew the lease; False when the job was deleted or taken over (the worker should stop)."""
        with self.db.session() as session:
            result = session.execute(
                update(Video).where(self._owned(job)).values(lease_expires_at=time.time() + self.settings.lease_seconds)
            )
            return result.rowcount == 1

    def report_progress(self, job: ClaimedJob, progress: int) -> bool:
        """Record progress (0-99 while running); False when the job was deleted or taken over."""
        with self.db.session() as session:
            result = session.execute(
                update(Video)
                .where(self._owned(job))
                .values(progress=max(0, min(99, progress)), lease_expires_at=time.time() + self.settings.lease_seconds)
            )
            return result.rowcount == 1

    def complete(self, job: ClaimedJob, *, files: dict[str, str], notes: list[str], retention_days: int,
                 provenance: dict[str, Any] | None = None) -> bool:
        """Mark the job completed with its stored files, in one transaction. False when it no longer
        belongs to this worker (deleted meanwhile: the caller removes the files it stored)."""
        now = time.time()
        with self.db.session() as session:
            result = session.execute(
                update(Video)
                .where(self._owned(job))
                .values(
                    status=COMPLETED,
                    progress=100,
                    completed_at=now,
                    expires_at=now + retention_days * 86400,
                    files=files,
                    notes=notes,
                    provenance=provenance,
                    error_code=None,
                    error_message=None,
                    lease_owner=None,
                    lease_expires_at=None,
                )
                .returning(Video.user_id)
            )
            owner = result.first()
            if owner is not None:
                # Same transaction as the status: the event exists exactly when the completed video does.
                ledger.charge(session, job.video_id)
                events.emit(session, owner[0], "video.completed", {"id": job.video_id}, now=now)
            return owner is not None

    def fail(self, job: ClaimedJob, *, code: str, message: str, retry: bool) -> str | None:
        """Record a failed attempt. With ``retry`` and attempts left the job goes back to the queue;
        otherwise it ends ``failed`` with ``code`` and ``message``. Returns the new status (None if the
        job no longer belongs to this worker)."""
        if retry and job.attempt < self.settings.max_attempts:
            with self.db.session() as session:
                result = session.execute(
                    update(Video)
                    .where(self._owned(job))
                    .values(status=QUEUED, progress=0, lease_owner=None, lease_expires_at=None,
                            error_code=code, error_message=message)
                )
                return QUEUED if result.rowcount == 1 else None
        if retry:
            message = f"{message} (failed {job.attempt} times; giving up)"
        return FAILED if self._finish_failed(job, code=code, message=message) else None

    def _finish_failed(self, job: ClaimedJob, *, code: str, message: str) -> bool:
        now = time.time()
        with self.db.session() as session:
            result = session.execute(
                update(Video)
                .where(self._owned(job))
                .values(status=FAILED, completed_at=now, error_code=code, error_message=message,
                        lease_owner=None, lease_expires_at=None)
                .returning(Video.user_id)
            )
            owner = result.first()
            if owner is not None:  # a failed video costs nothing
                ledger.refund(session, job.video_id, reason=f"failed: {code}")
                events.emit(session, owner[0], "video.failed", {"id": job.video_id}, now=now)
            return owner is not None

    def release(self, job: ClaimedJob) -> None:
        """Give the job back untouched (a worker shutting down): it does not count as an attempt."""
        with self.db.session() as session:
            session.execute(
                update(Video)
                .where(self._owned(job))
                .values(status=QUEUED, progress=0, attempts=Video.attempts - 1, lease_owner=None, lease_expires_at=None)
            )
