"""The FastAPI app: :func:`create_app` builds it from settings; the lifespan opens what it needs.

At start-up the lifespan migrates the database (Alembic, shipped in the package), opens the storage and
the queue, and starts ``server.workers`` worker processes (their metrics reach ``/metrics`` through a
temporary directory, see ``azur.metrics``); at shutdown it stops them (their running jobs
go back to the queue) and closes the database. Nothing is built at import time, so
``uvicorn --factory azur.api.app:app_from_environment`` and the tests' own servers work the same way.

The web studio is served at ``/`` (``azur.studio``), the API docs at ``/docs`` (``azur.api.docs``,
no ``/redoc``); every response gets the security headers of ``azur.api.security_headers``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from azur import __version__
from azur.api.body_limit import BodyLimit
from azur.api.deps import Services
from azur.api import docs
from azur.api.errors import install_error_handlers
from azur.api.request_id import RequestId
from azur.api.security_headers import SecurityHeaders
from azur import studio
from azur.api.routes import (batches, blends, characters, files, health, me, metrics, models, storyboards, usage,
                              verify, videos, webhooks)
from azur.config import Settings, get_settings

log = logging.getLogger("azur.api")


def create_app(settings: Settings, *, start_workers: bool = True) -> FastAPI:
    """The app for ``settings``. ``start_workers=False`` serves the API only (workers run elsewhere)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from azur.db.session import Database
        from azur.batches.runner import start_batch_runner
        from azur.jobs.queue import DatabaseQueue
        from azur.jobs.worker import start_worker_processes, stop_worker_processes
        from azur.provenance.identity import shared_installation
        from azur.safety.guard import SafetyGuard
        from azur.storage import make_storage

        db = Database(settings.resolved_database_url)
        db.migrate()
        shared_installation(settings, db)  # recorded by the first machine; mirrored under $home for verify
        app.state.services = Services(settings=settings, db=db, storage=make_storage(settings),
                                      queue=DatabaseQueue(db, settings.queue), safety=SafetyGuard(settings, db),
                                      started_at=time.time())
        count = settings.server.workers if start_workers else 0
        # The worker processes' metrics reach this process's /metrics through files (azur.metrics).
        app.state.metrics_dir = tempfile.mkdtemp(prefix="azur-metrics-") if count else None
        workers = start_worker_processes(settings, count, app.state.metrics_dir)
        purger = start_purger(app.state.services)
        batch_runner = start_batch_runner(app.state.services)
        deliverer = None
        if settings.webhooks.deliver_in_server:
            from azur.webhooks.delivery import start_delivery_thread

            deliverer = start_delivery_thread(db, settings)
        log.info("azur API ready: database %s, %d worker process(es)", db.engine.url.render_as_string(), len(workers))
        try:
            yield
        finally:
            purger.set()
            batch_runner.set()
            if deliverer is not None:
                deliverer.set()
            stop_worker_processes(workers)
            if app.state.metrics_dir:
                shutil.rmtree(app.state.metrics_dir, ignore_errors=True)
            db.dispose()

    app = FastAPI(
        title="Azur",
        version=__version__,
        summary="Self-hosted text-to-video with OpenAI's Videos API.",
        description="Point the official `openai` client at this server (`base_url=.../v1`, `api_key=...`).",
        lifespan=lifespan,
        docs_url=None,  # served by azur.api.docs from Azur's own files, not a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, server=settings.server)  # counts every request body as it streams
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)  # outermost: every response gets its x-request-id, errors included
    app.include_router(health.router)
    app.include_router(characters.router)  # before videos: /v1/videos/characters is not a video id
    app.include_router(metrics.router)
    app.include_router(videos.router)
    app.include_router(blends.router)
    app.include_router(storyboards.router)
    app.include_router(storyboards.video_router)
    app.include_router(models.router)
    app.include_router(verify.router)
    app.include_router(usage.router)
    app.include_router(me.router)
    app.include_router(files.router)
    app.include_router(batches.router)
    app.include_router(webhooks.router)
    app.include_router(webhooks.alias_router)
    studio.mount(app)
    docs.mount(app)
    return app


def start_purger(services: Services) -> threading.Event:
    """A thread that purges expired videos and prompts every ``purge_interval_minutes``; set the returned
    event to stop it."""
    from azur.accounts.privacy import purge_expired, remove_orphan_files

    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                with services.db.session() as session:
                    done = purge_expired(session, services.storage, services.settings)
                    swept = remove_orphan_files(session, services.storage, services.settings)
                if done.prompts_blanked or done.videos_expired:
                    services.db.scrub()  # blanked prompts must not stay readable in the file's free pages
                if done.videos_expired or done.prompts_blanked or done.files_expired or swept.files_removed:
                    log.info("purged %d expired videos and %d expired files, blanked %d prompts, removed %d "
                             "files no row owns", done.videos_expired, done.files_expired, done.prompts_blanked,
                             swept.files_removed)
            except Exception:  # a busy database: try again at the next round
                log.exception("purge failed")
            if stop.wait(services.settings.purge_interval_minutes * 60):
                return

    threading.Thread(target=loop, name="azur-purge", daemon=True).start()
    return stop


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory azur.api.app:app_from_environment``: settings from env vars and TOML."""
    return create_app(get_settings())
