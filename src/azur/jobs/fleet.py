"""The fleet's workers, as the database sees them: who runs where, serving which models, doing what.

Each worker (inside ``azur serve`` or ``azur worker`` on any machine) writes its row in ``workers`` at
start and refreshes ``last_seen`` while it lives, idle or busy; a clean stop stamps ``stopped_at``. A
worker not seen for ``queue.lease_seconds`` is gone (the same patience its job's lease gets), so a
``kill -9`` or a lost machine shows as such in ``azur workers list`` and stops counting as serving its
models. From the live rows the API tells which models are ready now (``GET /v1/models``) and why a job
waits (``queue_reason`` on a queued video whose model no live worker serves).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from azur.db.models import WorkerRecord
from azur.db.session import Database

log = logging.getLogger("azur.jobs")

FORGET_AFTER_SECONDS = 7 * 86400  # rows of workers gone this long are removed when a worker starts


def detect_gpus() -> list[dict[str, Any]]:
    """This machine's NVIDIA GPUs as ``nvidia-smi`` lists them (name, memory); empty without one. Asked of
    the driver's tool rather than torch, which a CPU worker need not import."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        out = subprocess.run([tool, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, _, memory = line.rpartition(",")
        try:
            gpus.append({"name": name.strip(), "memory_gb": round(float(memory) / 1024, 1)})
        except ValueError:
            continue
    return gpus


class WorkerRegistry:
    """One worker's row: :meth:`start`, :meth:`beat` (at most every ``every`` seconds unless the job
    changed), :meth:`stop`. A failing beat or stop is logged, not raised: the registry informs, the queue's
    leases decide."""

    def __init__(self, db: Database, worker_id: str, models: list[str] | None, *, every: float) -> None:
        self.db = db
        self.worker_id = worker_id
        self.models = models
        self.every = every
        self._last = 0.0
        self._job: str | None = None

    def start(self) -> None:
        now = time.time()
        with self.db.session() as session:
            session.execute(delete(WorkerRecord).where(WorkerRecord.last_seen < now - FORGET_AFTER_SECONDS))
            session.merge(WorkerRecord(id=self.worker_id, host=socket.gethostname(), pid=os.getpid(),
                                       models=self.models, gpus=detect_gpus(), current_video_id=None,
                                       started_at=now, last_seen=now, stopped_at=None))
        self._last = now

    def beat(self, current_video_id: str | None = None) -> None:
        now = time.time()
        if current_video_id == self._job and now - self._last < self.every:
            return
        try:
            with self.db.session() as session:
                session.execute(update(WorkerRecord).where(WorkerRecord.id == self.worker_id)
                                .values(last_seen=now, current_video_id=current_video_id))
        except Exception:  # a database hiccup: the next beat tries again
            log.exception("worker %s: could not record its heartbeat", self.worker_id)
            return
        self._last, self._job = now, current_video_id

    def stop(self) -> None:
        try:
            with self.db.session() as session:
                session.execute(update(WorkerRecord).where(WorkerRecord.id == self.worker_id)
                                .values(stopped_at=time.time(), current_video_id=None))
        except Exception:
            log.exception("worker %s: could not record its stop", self.worker_id)


@dataclass(frozen=True)
class WorkerView:
    id: str
    host: str
    pid: int
    models: list[str] | None
    gpus: list[dict[str, Any]]
    current_video_id: str | None
    started_at: float
    last_seen: float
    state: str  # "running", "stopped" (cleanly) or "lost" (no heartbeat for the lease time)


def workers(session: Session, *, stale_seconds: float, now: float | None = None) -> list[WorkerView]:
    """Every registered worker, live ones first, then by host."""
    now = time.time() if now is None else now
    views = []
    for row in session.scalars(select(WorkerRecord)):
        state = "stopped" if row.stopped_at else ("running" if row.last_seen >= now - stale_seconds else "lost")
        views.append(WorkerView(row.id, row.host, row.pid, row.models, row.gpus or [],
                                row.current_video_id if state == "running" else None, row.started_at,
                                row.last_seen, state))
    return sorted(views, key=lambda w: (w.state != "running", w.host, w.started_at))


@dataclass(frozen=True)
class Serving:
    """What the live workers serve right now: ``any_model`` when one of them takes every model."""

    any_model: bool
    models: frozenset[str]
    workers: int

    def serves(self, model: str) -> bool:
        return self.any_model or model in self.models


def serving(session: Session, *, stale_seconds: float, now: float | None = None) -> Serving:
    now = time.time() if now is None else now
    rows = session.execute(
        select(WorkerRecord.models).where(WorkerRecord.stopped_at.is_(None),
                                          WorkerRecord.last_seen >= now - stale_seconds)
    ).all()
    named: set[str] = set()
    for (models,) in rows:
        named.update(models or [])
    return Serving(any(models is None for (models,) in rows), frozenset(named), len(rows))


def queue_reason(model: str, now_serving: Serving) -> str | None:
    """Why a queued job of ``model`` does not start, when the reason is that nothing can run it."""
    if now_serving.serves(model):
        return None
    return (f"No running worker serves the model '{model}': the job stays queued until one does "
            f"(`azur worker --model {model}` on a machine that has it).")

