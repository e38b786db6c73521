"""Operations on real processes: Prometheus metrics, liveness and readiness, JSON logs, graceful SIGTERM.

A real ``azur serve`` (with or without its own workers) and real ``azur worker`` processes on loopback;
metrics are parsed with prometheus-client's own text parser, as a Prometheus server would read them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AZUR, AzurServer, assert_openai_error, free_port
from tests.engine.test_remote import ScriptedRemote

pytestmark = pytest.mark.slow

PROMPT = "a red ball moving right on a blue background"
SHORT = {"seconds": "1", "size": "480x480"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus page, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def scrape(url: str, **headers: str) -> dict:
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def wait_for(predicate, timeout: float = 120, every: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def start_worker(server: AzurServer, *args: str, env: dict[str, str] | None = None,
                 log: Path | None = None) -> subprocess.Popen:
    out = open(log, "wb") if log else subprocess.DEVNULL
    return subprocess.Popen([AZUR, "worker", *args], env={**server.env, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT)


def test_queue_metrics_worker_metrics_and_json_logs(tmp_path: Path) -> None:
    server = AzurServer(tmp_path / "home", workers=0, env={"AZUR_SERVER__METRICS_TOKEN": "scrape-me"}).start()
    worker = None
    try:
        client = server.client(server.add_user("alice", plan="pro"))
        free = server.client(server.add_user("bob", plan="free"))
        ids = [client.videos.create(prompt=PROMPT, **SHORT).id for _ in range(2)]
        ids.append(free.videos.create(prompt=PROMPT, **SHORT).id)

        assert_openai_error(httpx.get(server.url + "/metrics"), 401, code="invalid_api_key")
        page = scrape(server.url + "/metrics", Authorization="Bearer scrape-me")
        assert page[("azur_queue_depth", (("model", "azur-tiny"), ("plan", "pro")))] == 2
        assert page[("azur_queue_depth", (("model", "azur-tiny"), ("plan", "free")))] == 1
        assert page[("azur_queue_oldest_seconds", (("model", "azur-tiny"),))] >= 0

        port = free_port()
        worker = start_worker(server, "--metrics-port", str(port), env={"AZUR_LOG_FORMAT": "json"},
                              log=tmp_path / "worker.log")
        for owner, video_id in ((client, ids[0]), (client, ids[1]), (free, ids[2])):
            assert owner.videos.poll(video_id, poll_interval_ms=200).status == "completed"
        own = scrape(f"http://127.0.0.1:{port}/metrics")
        assert own[("azur_job_stage_seconds_count", (("model", "azur-tiny"), ("stage", "total")))] == 3
        assert own[("azur_job_stage_seconds_count", (("model", "azur-tiny"), ("stage", "encode")))] == 3
        assert own[("azur_job_stage_seconds_sum", (("model", "azur-tiny"), ("stage", "model")))] > 0
        assert own[("azur_jobs_finished_total", (("model", "azur-tiny"), ("outcome", "completed")))] == 3
        assert not any(name.startswith("azur_gpu_") for name, _ in own)  # no GPU here: absent, not zero
        page = scrape(server.url + "/metrics", Authorization="Bearer scrape-me")
        assert not any(name == "azur_queue_depth" for name, _ in page)  # the queue is empty now

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        lines = (tmp_path / "worker.log").read_text().splitlines()
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        for video_id in ids:
            mine = [e for e in entries if e.get("video_id") == video_id]
            assert any("completed" in e["message"] for e in mine), mine
            assert all(e["worker_id"] for e in mine)
        # Every line that names a job carries its id as a field too.
        for entry in entries:
            named = [v for v in ids if v in entry["message"]]
            assert not named or entry.get("video_id") == named[0], entry
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        server.stop()


def test_serve_workers_metrics_liveness_and_readiness(server, client) -> None:
    video = client.videos.create_and_poll(prompt=PROMPT, poll_interval_ms=200, **SHORT)
    assert video.status == "completed"
    page = wait_for(lambda: (p := scrape(server.url + "/metrics")) and
                    p.get(("azur_job_stage_seconds_count", (("model", "azur-tiny"), ("stage", "total")))) and p)
    assert page[("azur_job_stage_seconds_count", (("model", "azur-tiny"), ("stage", "total")))] >= 1
    assert page[("azur_jobs_finished_total", (("model", "azur-tiny"), ("outcome", "completed")))] >= 1

    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "database": "ok", "storage": "ok"}

    # A database left at an older migration (a newer release's replica starting early): not ready.
    with sqlite3.connect(server.home / "azur.db") as db:
        (head,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        db.execute("UPDATE alembic_version SET version_num = '0003_exactly_once_ledger_never_reused_ids'")
    try:
        error = assert_openai_error(httpx.get(server.url + "/readyz"), 503, code="not_ready")
        assert "database schema at ['0003_exactly_once_ledger_never_reused_ids']" in error["message"]
        assert httpx.get(server.url + "/healthz").status_code == 200  # alive all the same
    finally:
        with sqlite3.connect(server.home / "azur.db") as db:
            db.execute("UPDATE alembic_version SET version_num = ?", (head,))

    from tests.faults import immutable

    with immutable(server.home / "files"):
        error = assert_openai_error(httpx.get(server.url + "/readyz"), 503, code="not_ready")
        assert error["message"].startswith("Not ready: storage:")
    assert httpx.get(server.url + "/readyz").status_code == 200
    assert not [p for p in (server.home / "files").iterdir() if p.name.startswith(".readyz")]


def test_sigterm_hands_the_running_job_back_at_once(tmp_path: Path) -> None:
    with ScriptedRemote(tmp_path) as remote:
        server = AzurServer(tmp_path / "home", workers=0).start()
        worker = None
        try:
            server.cli("models", "add", "remote-stuck", "--family", "openai-videos", "--url", remote.url,
                       "--remote-model", "stuck", "--option", "timeout_seconds=600")
            client = server.client(server.add_user("alice"))
            video = client.videos.create(prompt=PROMPT, model="remote-stuck", **SHORT)
            worker = start_worker(server, log=tmp_path / "worker.log")
            wait_for(lambda: client.videos.retrieve(video.id).status == "in_progress")
            wait_for(lambda: any(m == "GET" for _, m, _ in remote.calls))  # polling the remote

            asked = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(15) == 0
            assert time.monotonic() - asked < 5  # at once, not after the remote's 600 s
            back = client.videos.retrieve(video.id)
            assert back.status == "queued" and back.progress == 0 and back.error is None
            with sqlite3.connect(server.home / "azur.db") as db:
                attempts, owner = db.execute("SELECT attempts, lease_owner FROM videos WHERE id = ?",
                                             (video.id,)).fetchone()
            assert (attempts, owner) == (0, None)  # handed back: not counted as an attempt
            assert remote.jobs == {}  # the remote job was cancelled
            log = (tmp_path / "worker.log").read_text()
            assert "given back (worker stopping)" in log and "Traceback" not in log
        finally:
            if worker is not None and worker.poll() is None:
                worker.kill()
            server.stop()


def test_queue_metrics_and_readiness_on_postgresql(tmp_path: Path) -> None:
    from tests.accounts.conftest import database_env

    server = AzurServer(tmp_path / "home", workers=0, env=database_env("postgres")).start()
    try:
        client = server.client(server.add_user("alice", plan="plus"))
        for _ in range(2):
            client.videos.create(prompt=PROMPT, **SHORT)
        page = scrape(server.url + "/metrics")
        assert page[("azur_queue_depth", (("model", "azur-tiny"), ("plan", "plus")))] == 2
        ready = httpx.get(server.url + "/readyz")
        assert ready.status_code == 200, ready.text
    finally:
        server.stop()
