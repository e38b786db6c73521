"""Workers: take a job, make its video (engine → media → provenance), store the files, mark it done.

One worker runs one job at a time (it owns its device). ``azur serve`` starts ``server.workers`` worker
*processes* beside the API (a separate process keeps model work off the API's interpreter, so polling stays
fast), and ``azur worker`` runs the same loop on any machine that reaches the same database and storage.

A job is idempotent: a re-claimed job makes its video again from the stored request and overwrites the
files of the attempt before it. While it runs, a heartbeat thread renews the lease, progress is written
at most every ``queue.progress_seconds``, and a deleted job is noticed and abandoned.
"""

from __future__ import annotations

import contextvars
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

from azur.config import Settings
from azur.db.models import Video
from azur.db.session import Database
from azur.jobs.fleet import WorkerRegistry
from azur.jobs.queue import FAILED, ClaimedJob, DatabaseQueue, JobQueue
from azur.logs import configure_logging, job_context
from azur.safety.guard import SafetyGuard
from azur.storage.base import Storage, video_prefix

log = logging.getLogger("azur.jobs")

WORKER_NICENESS = 10
VIDEO_FILE = "video.mp4"
THUMBNAIL_FILE = "thumbnail.webp"
SPRITESHEET_FILE = "spritesheet.jpg"


class JobCancelled(Exception):
    """The job was deleted, taken over by another worker, or this worker is stopping."""


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs jobs from ``queue`` one at a time. ``stop`` ends the loop (a running job is given back)."""

    def __init__(self, settings: Settings, queue: JobQueue, storage: Storage, *, worker_id: str | None = None,
                 guard: SafetyGuard | None = None, models: list[str] | None = None,
                 registry: WorkerRegistry | None = None) -> None:
        self.settings = settings
        self.queue = queue
        self.storage = storage
        self.guard = guard  # output moderation; None runs without (tests of the queue alone)
        self.models = models or None  # run only jobs of these models (None: any)
        self.worker_id = worker_id or new_worker_id()
        self.registry = registry  # this worker's row in `workers` (azur workers list, models ready now)
        self.stop = threading.Event()

    def run(self, *, parent_pid: int | None = None) -> None:
        """Work until ``stop`` is set (or, with ``parent_pid``, until that process is gone)."""
        log.info("worker %s started", self.worker_id)
        while not self.stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("worker %s: its server is gone; stopping", self.worker_id)
                return
            try:
                worked = self.run_once()
            except Exception:  # a database hiccup must not end the worker
                log.exception("worker %s: error outside a job", self.worker_id)
                worked = False
            if not worked:
                self.stop.wait(self.settings.queue.poll_seconds)

    def run_once(self) -> bool:
        """Claim and run one job; False when there was none."""
        if self.registry is not None:
            self.registry.beat(None)  # idle and alive (written at most every heartbeat_seconds)
        job = self.queue.claim(self.worker_id, self.models)
        if job is None:
            return False
        self.process(job)
        return True

    def process(self, job: ClaimedJob) -> None:
        with job_context(job.video_id, self.worker_id):  # every log line of the job carries its video id
            self._process(job)

    def _process(self, job: ClaimedJob) -> None:
        from azur.engine.backend import GenerationFailed, UnknownModel
        from azur.engine.request import InvalidRequest
        from azur.metrics import worker_metrics
        from azur.safety.guard import Blocked

        video = self.queue.load(job)
        if video is None:
            return
        metrics = worker_metrics()
        log.info("job %s: attempt %d (%s)", job.video_id, job.attempt, video.kind)
        if self.registry is not None:
            self.registry.beat(job.video_id)
        lost = threading.Event()
        beating = threading.Event()
        beat = threading.Thread(target=contextvars.copy_context().run, args=(self._heartbeat, job, lost, beating),
                                daemon=True)
        beat.start()
        outcome = "completed"
        try:
            files, notes, provenance, timings = self._make(video, job, lost)
            if not self.queue.complete(job, files=files, notes=notes, provenance=provenance,
                                       retention_days=self.settings.video_retention_days):
                raise JobCancelled("the job was deleted or taken over while it ran")
            metrics.observe_job(video.model, timings)
            log.info("job %s: completed in %.1f s", job.video_id, timings.get("total_s", 0.0))
        except JobCancelled as exc:
            if self.stop.is_set() and not lost.is_set():
                self.queue.release(job)
                outcome = "released"
                log.info("job %s: given back (worker stopping)", job.video_id)
            else:
                outcome = "abandoned"
                log.info("job %s: abandoned (%s)", job.video_id, exc)
                self._remove_files_if_deleted(job.video_id)
        except (InvalidRequest, UnknownModel) as exc:
            outcome = self._fail(job, "invalid_request", str(exc), retry=False)
        except GenerationFailed as exc:  # the backend's own verdict (a remote engine's failure, timeout, 429s)
            log.warning("job %s: attempt %d failed: %s", job.video_id, job.attempt, exc.message)
            outcome = self._fail(job, exc.code, exc.message, retry=exc.retry)
        except Blocked as exc:
            # Withheld: nothing is stored, the reservation is refunded by the queue.
            outcome = self._fail(job, "moderation_blocked", exc.message, retry=False)
        except Exception as exc:
            log.error("job %s: attempt %d failed\n%s", job.video_id, job.attempt, traceback.format_exc())
            outcome = self._fail(job, "generation_failed", f"Video generation failed: {_describe(exc)}", retry=True)
        finally:
            beating.set()
            beat.join(timeout=5)
            metrics.jobs_finished.labels(model=video.model, outcome=outcome).inc()
            metrics.record_gpu_memory()

    def _fail(self, job: ClaimedJob, code: str, message: str, *, retry: bool) -> str:
        from azur.metrics import worker_metrics

        worker_metrics().failures.labels(code=code).inc()
        status = self.queue.fail(job, code=code, message=message, retry=retry)
        return "failed" if status == FAILED else "retried" if status is not None else "abandoned"

    def _make(self, video: Video, job: ClaimedJob,
              lost: threading.Event) -> tuple[dict[str, str], list[str], dict, dict[str, float]]:
        from azur import characters
        from azur.engine.request import make_request
        from azur.jobs.compositions import clip_source_for, generated_seconds
        from azur.media.images import load_image
        from azur.pipeline import make_video
        from azur.sound.options import plan_of

        first_frame = load_image(self.storage.read_bytes(video.first_frame_key), self.settings.media) if video.first_frame_key else None
        request = make_request(
            video.prompt,
            seconds=generated_seconds(video),
            size=(video.width, video.height),
            seed=video.seed,
            style=video.style,
            model=video.model,
            fps=self.settings.fps,
            first_frame=first_frame,
            max_seconds=self.settings.max_seconds,
            loras=(video.options or {}).get("loras"),
            quality=(video.options or {}).get("quality"),
        )
        request = characters.restore(request, video.options)  # the look it was accepted with
        # A storyboard, a loop, a blend or a stitched extension makes its frames its own way (None: the model's).
        clip_source = clip_source_for(video, request, self.storage, self.settings)
        report = self._progress_reporter(job, lost)
        prefix = video_prefix(video.id)
        with tempfile.TemporaryDirectory(prefix="azur-job-") as tmp:
            result = make_video(request, Path(tmp) / VIDEO_FILE, video_id=video.id, progress=report,
                                settings=self.settings, visible_mark=video.visible_mark, sound=plan_of(video.options),
                                clip_source=clip_source)
            if lost.is_set() or self.stop.is_set():
                raise JobCancelled("stopped before storing")
            moderating = time.perf_counter()
            self._moderate(video, result.path, result.frame_count)
            storing = time.perf_counter()
            files = {
                "video": prefix + VIDEO_FILE,
                "thumbnail": prefix + THUMBNAIL_FILE,
                "spritesheet": prefix + SPRITESHEET_FILE,
            }
            try:
                self.storage.put_file(files["video"], result.path)
                self.storage.put_bytes(files["thumbnail"], result.thumbnail)
                self.storage.put_bytes(files["spritesheet"], result.spritesheet)
            except BaseException:
                # A full disk after the video fitted, a stop mid-way: a failed attempt leaves none of its
                # outputs (each write is already atomic, so no half file either); the first frame stays
                # for the next attempt.
                self._remove_outputs(video.id, files.values())
                raise
            stored = time.perf_counter()
        provenance = {"c2pa_signed": result.c2pa_signed, "watermark_id": result.watermark_payload,
                      "visible_mark": result.visible_mark}
        if result.soundtrack is not None and result.soundtrack.parts:
            provenance["ai_generated_audio"] = result.soundtrack.parts  # what of the sound Azur made
        timings = {**result.timings, "moderate_s": storing - moderating, "store_s": stored - storing,
                   "total_s": result.timings.get("total_s", 0.0) + stored - moderating}
        if video.started_at is not None:
            timings["queued_s"] = video.started_at - video.created_at
        return files, list(result.notes), provenance, timings

    def _moderate(self, video: Video, path: Path, frame_count: int) -> None:
        """Inspect a few evenly spaced frames of the finished video; raises ``Blocked`` to withhold it."""
        if self.guard is None or not self.settings.safety.check_outputs:
            return
        from azur.media.images import spaced_indices
        from azur.media.read import iter_frames

        wanted = set(spaced_indices(frame_count, self.settings.safety.output_frames))
        frames = [f for i, f in enumerate(iter_frames(path)) if i in wanted]
        self.guard.check_output(video.user_id, video.id, frames)

    def _progress_reporter(self, job: ClaimedJob, lost: threading.Event):  # type: ignore[no-untyped-def]
        interval = self.settings.queue.progress_seconds
        last = {"time": 0.0, "value": -1}

        def report(fraction: float, stage: str) -> None:  # noqa: ARG001
            if lost.is_set() or self.stop.is_set():
                raise JobCancelled("the job was deleted, taken over, or the worker is stopping")
            value = int(max(0.0, min(0.99, fraction)) * 100)
            now = time.monotonic()
            if value != last["value"] and now - last["time"] >= interval:
                last["time"], last["value"] = now, value
                if not self.queue.report_progress(job, value):
                    lost.set()
                    raise JobCancelled("the job was deleted or taken over")

        return report

    def _heartbeat(self, job: ClaimedJob, lost: threading.Event, done: threading.Event) -> None:
        from azur.metrics import worker_metrics

        while not done.wait(self.settings.queue.heartbeat_seconds):
            worker_metrics().record_gpu_memory()
            if self.registry is not None:
                self.registry.beat(job.video_id)
            try:
                if not self.queue.heartbeat(job):
                    lost.set()
                    return
            except Exception:  # a locked database: try again at the next beat, the lease has slack
                log.exception("job %s: heartbeat failed", job.video_id)

    def _remove_outputs(self, video_id: str, keys) -> None:  # type: ignore[no-untyped-def]
        from azur.storage.base import StorageError

        for key in keys:
            try:
                self.storage.delete(key)
            except StorageError as exc:  # `azur purge` removes it once no row owns it
                log.error("job %s: %s", video_id, exc)

    def _remove_files_if_deleted(self, video_id: str) -> None:
        from azur.db.models import Video as VideoRow

        db = getattr(self.queue, "db", None)
        if db is None:
            return
        from azur.storage.base import StorageError

        with db.session() as session:
            if session.get(VideoRow, video_id) is None:
                try:
                    self.storage.delete_prefix(video_prefix(video_id))
                except StorageError as exc:  # no row owns them now: `azur purge` removes them later
                    log.error("job %s: %s", video_id, exc)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_worker(settings: Settings, *, parent_pid: int | None = None, install_signals: bool = True,
               models: list[str] | None = None, metrics_dir: str | None = None,
               metrics_port: int | None = None) -> None:
    """The body of a worker process: build the database, storage and queue, then work until told to
    stop (SIGTERM/SIGINT) or, with ``parent_pid``, until the server that started it is gone.

    ``models``: take only jobs of these models, and load them before the first job (so a GPU worker
    fails at start, not mid-job, when its weights are missing). ``metrics_dir``: write metrics there for
    the API's ``/metrics`` (workers of ``azur serve``); ``metrics_port``: serve them on this port instead.

    Stopping (SIGTERM, SIGINT): a running job is given back to the queue at its next progress report or
    poll (its attempt is not counted), and the process exits; a second signal exits at once."""
    from azur.storage import make_storage

    if parent_pid is not None:
        # Inside `azur serve` the workers share the machine with the API: a lower scheduling priority keeps
        # polling answers fast while a video encodes on every core (the job itself barely slows down).
        os.nice(WORKER_NICENESS)
    configure_logging(settings.log_format)
    from azur.metrics import serve_worker_metrics, use_multiprocess_dir, worker_metrics

    if metrics_dir:
        use_multiprocess_dir(metrics_dir)
    worker_metrics()
    if metrics_port is not None:
        serve_worker_metrics(metrics_port)
    from azur.provenance.identity import check_signing_key, shared_installation

    db = Database(settings.resolved_database_url)
    db.migrate()
    # Sign and watermark as the fleet's installation, or not at all (a foreign key raises here, before jobs).
    check_signing_key(settings, shared_installation(settings, db), db)
    for name in models or []:
        from azur.engine.backend import get_backend

        get_backend(name)
    worker_id = new_worker_id()
    registry = WorkerRegistry(db, worker_id, models, every=settings.queue.heartbeat_seconds)
    worker = Worker(settings, DatabaseQueue(db, settings.queue), make_storage(settings), guard=SafetyGuard(settings, db),
                    models=models, worker_id=worker_id, registry=registry)
    if install_signals:
        def on_signal(signum: int, frame: object) -> None:  # noqa: ARG001
            if worker.stop.is_set():
                os._exit(128 + signum)  # asked twice: the job's lease runs out and another worker takes it
            log.info("worker %s: stopping (signal %d)", worker.worker_id, signum)
            worker.stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
    registry.start()
    try:
        worker.run(parent_pid=parent_pid)
    finally:
        registry.stop()
        db.dispose()


def start_worker_processes(settings: Settings, count: int,
                           metrics_dir: str | None = None) -> list[multiprocessing.Process]:
    """Start ``count`` worker processes for ``azur serve``; each stops when this process dies. Their metrics
    go to ``metrics_dir`` (read by the API's ``/metrics``)."""
    context = multiprocessing.get_context("spawn")
    processes = []
    for i in range(count):
        process = context.Process(
            target=run_worker, args=(settings,),
            kwargs={"parent_pid": os.getpid(), "models": settings.server.worker_models, "metrics_dir": metrics_dir},
            name=f"azur-worker-{i}", daemon=True
        )
        process.start()
        processes.append(process)
    return processes


def stop_worker_processes(processes: list[multiprocessing.Process], timeout: float = 10.0) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)
