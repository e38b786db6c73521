"""Prometheus metrics (``prometheus-client``): what the queue holds, how long jobs take, what fails.

Two kinds, from two places:

* **The queue's state**, read from the database at scrape time by :class:`QueueCollector` (``GET /metrics``
  on the API): jobs queued per model and plan, running per model, the oldest queued job's age, the age of
  the last heartbeat of every worker holding a job, failed videos by error code. Any API replica answers the
  same numbers, since they come from the shared database.
* **What workers measure** (:class:`WorkerMetrics`): job durations per stage (histogram), finished jobs by
  outcome, failed attempts by code, GPU memory where a GPU is. A worker process owns these, so each worker is
  scraped where it runs: ``azur worker --metrics-port N`` serves them on its own port (one scrape target per
  worker, as Prometheus expects of separate machines). The worker processes that ``azur serve`` starts beside
  the API write them through prometheus-client's multiprocess mode into a directory the API reads, so that
  one ``/metrics`` shows a single-machine installation whole.

Why not write stage timings to the database and aggregate them in the API: a histogram's counts must only
grow, and rows are deleted (users, retention); Prometheus' own per-process exposition keeps that true.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: a job stage takes from milliseconds (signing) to an hour (a long open-weight model clip).
STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
STAGES = ("queued", "model", "encode", "sign", "moderate", "store", "total")


def use_multiprocess_dir(path: str) -> None:
    """Make this process's metrics write to ``path`` (call before the first metric is made): the worker
    processes of ``azur serve``, whose numbers the API's ``/metrics`` reads back."""
    os.environ[MULTIPROCESS_ENV] = path
    if "prometheus_client" in sys.modules:
        from prometheus_client import values

        values.ValueClass = values.get_value_class()


class WorkerMetrics:
    """The metrics one worker process records, in their own registry."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.stage_seconds = Histogram(
            "azur_job_stage_seconds", "Seconds one job spent in a stage (queued: from accepted to started).",
            ["model", "stage"], buckets=STAGE_BUCKETS, registry=self.registry,
        )
        self.jobs_finished = Counter(
            "azur_jobs_finished", "Jobs a worker finished, by outcome (completed, failed, retried, released).",
            ["model", "outcome"], registry=self.registry,
        )
        self.failures = Counter(
            "azur_job_failures", "Failed job attempts by error code (a retried attempt counts too).",
            ["code"], registry=self.registry,
        )
        self.gpu_used = Gauge("azur_gpu_memory_used_bytes", "GPU memory in use on the device (all processes).",
                              ["device"], registry=self.registry, multiprocess_mode="liveall")
        self.gpu_total = Gauge("azur_gpu_memory_total_bytes", "GPU memory of the device.",
                               ["device"], registry=self.registry, multiprocess_mode="liveall")
        self.gpu_peak = Gauge("azur_gpu_memory_peak_allocated_bytes",
                              "Most GPU memory this worker's tensors held since it started.",
                              ["device"], registry=self.registry, multiprocess_mode="liveall")

    def observe_job(self, model: str, timings: dict[str, float]) -> None:
        """Record a completed job's stage durations (keys ``<stage>_s``, as in ``VideoResult.timings``)."""
        for stage in STAGES:
            seconds = timings.get(f"{stage}_s")
            if seconds is not None and seconds >= 0:
                self.stage_seconds.labels(model=model, stage=stage).observe(seconds)

    def record_gpu_memory(self) -> None:
        """Update the GPU gauges when this process has PyTorch loaded with CUDA (else leave them absent)."""
        torch = sys.modules.get("torch")  # never import torch for this: a CPU worker stays light
        if torch is None:
            return
        try:
            if not torch.cuda.is_available() or not torch.cuda.is_initialized():
                return
            for index in range(torch.cuda.device_count()):
                free, total = torch.cuda.mem_get_info(index)
                device = f"cuda:{index}"
                self.gpu_used.labels(device=device).set(total - free)
                self.gpu_total.labels(device=device).set(total)
                self.gpu_peak.labels(device=device).set(torch.cuda.max_memory_allocated(index))
        except Exception:  # a driver hiccup must not fail a job over a metric
            return


_worker_metrics: WorkerMetrics | None = None


def worker_metrics() -> WorkerMetrics:
    """This process's :class:`WorkerMetrics`, made at first use (after :func:`use_multiprocess_dir`)."""
    global _worker_metrics
    if _worker_metrics is None:
        _worker_metrics = WorkerMetrics()
    return _worker_metrics


def serve_worker_metrics(port: int, host: str = "0.0.0.0") -> None:
    """``azur worker --metrics-port``: serve this worker's metrics at ``http://HOST:PORT/metrics``."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=worker_metrics().registry)


class QueueCollector:
    """Gauges computed from the database at each scrape."""

    def __init__(self, db: Any, lease_seconds: float) -> None:
        self.db = db
        self.lease_seconds = lease_seconds

    def describe(self) -> list[Any]:
        return []  # computed at scrape time: nothing to check at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily
        from sqlalchemy import func, select

        from azur.db.models import User, Video, VideoStatus

        now = time.time()
        queued = GaugeMetricFamily("azur_queue_depth", "Jobs waiting in the queue, by model and the owner's plan.",
                                   labels=["model", "plan"])
        running = GaugeMetricFamily("azur_jobs_running", "Jobs a worker holds a live lease on, by model.",
                                    labels=["model"])
        oldest = GaugeMetricFamily("azur_queue_oldest_seconds", "Age of the oldest queued job, by model.",
                                   labels=["model"])
        heartbeat = GaugeMetricFamily(
            "azur_worker_heartbeat_age_seconds",
            "Seconds since each worker holding a job last renewed its lease (a stuck worker's age grows).",
            labels=["worker"],
        )
        failed = GaugeMetricFamily("azur_videos_failed", "Failed videos kept in the database, by error code.",
                                   labels=["code"])
        with self.db.session() as session:
            rows = session.execute(
                select(Video.model, User.plan, func.count(), func.min(Video.created_at))
                .join(User, User.id == Video.user_id)
                .where(Video.status == VideoStatus.queued.value)
                .group_by(Video.model, User.plan)
            ).all()
            first: dict[str, float] = {}
            for model, plan, count, created in rows:
                queued.add_metric([model, plan], count)
                first[model] = min(first.get(model, created), created)
            for model, created in first.items():
                oldest.add_metric([model], max(0.0, now - float(created)))
            live = session.execute(
                select(Video.model, func.count())
                .where(Video.status == VideoStatus.in_progress.value, Video.lease_expires_at >= now)
                .group_by(Video.model)
            ).all()
            for model, count in live:
                running.add_metric([model], count)
            # A heartbeat sets lease_expires_at = beat time + lease_seconds: the newest lease of each owner
            # tells when it last beat.
            leases = session.execute(
                select(Video.lease_owner, func.max(Video.lease_expires_at))
                .where(Video.status == VideoStatus.in_progress.value, Video.lease_owner.is_not(None))
                .group_by(Video.lease_owner)
            ).all()
            for owner, expires in leases:
                heartbeat.add_metric([owner], max(0.0, now - (float(expires) - self.lease_seconds)))
            for code, count in session.execute(
                select(Video.error_code, func.count()).where(Video.status == VideoStatus.failed.value)
                .group_by(Video.error_code)
            ).all():
                failed.add_metric([code or "unknown"], count)
        yield from (queued, running, oldest, heartbeat, failed)


def render(db: Any, lease_seconds: float, multiprocess_dir: str | None) -> tuple[bytes, str]:
    """The API's ``/metrics`` page: the queue's gauges, plus the in-process workers' metrics when
    ``multiprocess_dir`` is given (``azur serve --workers N``). Returns the body and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(db, lease_seconds))
    if multiprocess_dir:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return generate_latest(registry), CONTENT_TYPE_LATEST
