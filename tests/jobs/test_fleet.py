"""Worker registrations in the shared database: running, stopped and lost workers, and which models the
running ones serve (on SQLite and PostgreSQL)."""

from __future__ import annotations

import time

from azur.db.session import open_database
from azur.jobs.fleet import WorkerRegistry, queue_reason, serving, workers
from tests.accounts.conftest import database_url  # noqa: F401 - fixture


def test_workers_are_running_stopped_or_lost_and_serve_their_models(database_url):  # noqa: F811
    db = open_database(database_url)
    gpu = WorkerRegistry(db, "gpu-1:10:aa", ["wan-1.3b"], every=0.0)
    cpu = WorkerRegistry(db, "cpu-1:11:bb", None, every=0.0)
    ltx = WorkerRegistry(db, "gpu-2:12:cc", ["ltx"], every=0.0)
    for registry in (gpu, cpu, ltx):
        registry.start()
    gpu.beat("video_" + "1" * 32)
    with db.session() as session:
        now_serving = serving(session, stale_seconds=30)
        listed = {w.id: w for w in workers(session, stale_seconds=30)}
    assert now_serving.any_model and now_serving.models == {"wan-1.3b", "ltx"} and now_serving.workers == 3
    assert listed["gpu-1:10:aa"].current_video_id == "video_" + "1" * 32
    assert listed["gpu-1:10:aa"].models == ["wan-1.3b"] and listed["cpu-1:11:bb"].models is None
    assert {w.state for w in listed.values()} == {"running"}

    cpu.stop()  # a clean stop
    time.sleep(1.2)
    gpu.beat("video_" + "1" * 32)  # still alive; ltx's worker went silent (kill -9, machine lost)
    with db.session() as session:
        now_serving = serving(session, stale_seconds=1)
        listed = {w.id: w for w in workers(session, stale_seconds=1)}
    assert (listed["gpu-1:10:aa"].state, listed["cpu-1:11:bb"].state, listed["gpu-2:12:cc"].state) == (
        "running", "stopped", "lost")
    assert listed["gpu-2:12:cc"].current_video_id is None
    assert not now_serving.any_model and now_serving.models == {"wan-1.3b"}
    assert queue_reason("wan-1.3b", now_serving) is None
    reason = queue_reason("ltx", now_serving)
    assert "No running worker serves the model 'ltx'" in reason and "azur worker --model ltx" in reason
    db.dispose()
