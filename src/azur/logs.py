"""Logging for every Azur process: text for people, or one JSON object a line for a log pipeline.

``AZUR_LOG_FORMAT=json`` (setting ``log_format``) turns each record into
``{"time", "level", "logger", "message", "video_id", "worker_id", "exception"}`` (the last three when set).
While a worker runs a job, :func:`job_context` puts the job's video id (and the worker's id) in a context
variable that a filter copies onto every record, whichever module logs it — the queue, the backend, the
encoder, a library — so ``grep video_...`` (or a query on ``video_id``) finds every line of one job.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

current_video_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("azur_video_id", default=None)
current_worker_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("azur_worker_id", default=None)

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(job_tag)s%(message)s"


@contextmanager
def job_context(video_id: str, worker_id: str | None = None) -> Iterator[None]:
    """Every record logged inside (in this thread, and in threads started with a copy of this context)
    carries ``video_id`` and ``worker_id``."""
    video_token = current_video_id.set(video_id)
    worker_token = current_worker_id.set(worker_id) if worker_id else None
    try:
        yield
    finally:
        current_video_id.reset(video_token)
        if worker_token is not None:
            current_worker_id.reset(worker_token)


class JobContextFilter(logging.Filter):
    """Copies the context's video and worker ids onto each record (``record.video_id``, ``record.job_tag``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        video_id = getattr(record, "video_id", None) or current_video_id.get()
        record.video_id = video_id
        record.worker_id = getattr(record, "worker_id", None) or current_worker_id.get()
        record.job_tag = f"[{video_id}] " if video_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("video_id", "worker_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: LogFormat = "text", level: int | str = logging.INFO) -> None:
    """Send every logger's records to stderr in ``log_format``; replaces the root logger's handlers, so
    calling it again (a worker process started by ``azur serve``) does not duplicate lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(JobContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin list at every start says nothing
    if log_format == "json":
        # uvicorn's own handlers would print its lines as text: hand them to the root handler instead.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
