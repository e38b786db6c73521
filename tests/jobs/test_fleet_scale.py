"""A fleet on one machine, as if on four: PostgreSQL and an S3 stand-in (moto's server mode, the S3 protocol
over HTTP through boto3; see tests/s3_store.py), ``azur serve --workers 0`` and three ``azur worker``s, each
process with its own empty AZUR_HOME and no directory in common: only the database, the bucket and the
signing key (given to workers as a secret in their environment) are shared.

20 clients (threads, the official ``openai`` client) ask for 60 videos; one worker is killed with SIGKILL in
the middle of a job. Every video completes exactly once (one charge each in the ledger, its three files and
nothing else in the bucket), the killed worker's job included; a worker's video verifies as made by this
installation on the API's machine; a job for a model no worker serves waits with a reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import openai
import pytest
from sqlalchemy import func, select

from azur.accounts.keys import create_key
from azur.accounts.users import create_user
from azur.db.models import UsageEntry, Video
from azur.db.session import Database
from tests.accounts.conftest import required_postgres_url
from tests.conftest import AZUR, TEST_ENV, AzurServer
from tests.s3_store import s3_server  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

CLIENTS = 20
JOBS_PER_CLIENT = 3
PROMPTS = ["a red ball moving right", "a green star rising on a black background", "a small blue square falling"]


def start_worker(home: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    home.mkdir(parents=True)
    with open(log, "ab") as out:
        return subprocess.Popen([AZUR, "worker", "--model", "azur-tiny"], env={**env, "AZUR_HOME": str(home)},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition, timeout: float, what: str, step: float = 0.2):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def test_sixty_jobs_from_twenty_clients_on_three_workers_survive_a_killed_worker(tmp_path, s3_server):  # noqa: F811
    database_url = required_postgres_url()
    bucket = s3_server.new_bucket()
    env = {**os.environ, **TEST_ENV, **s3_server.env(bucket, "fleet"), "AZUR_DATABASE_URL": database_url}
    env.pop("AZUR_CONFIG", None)
    api = AzurServer(tmp_path / "api", workers=0, env=env).start()
    workers: list[subprocess.Popen] = []
    db = Database(database_url)
    try:
        # The first machine made the installation's signing key; workers get it as a secret, not a file.
        provenance = api.home / "provenance"
        worker_env = {**env, "AZUR_PROVENANCE__KEY_PEM": (provenance / "signer.key.pem").read_text(),
                      "AZUR_PROVENANCE__CERT_PEM": (provenance / "signer.chain.pem").read_text()}
        keys = []
        with db.session() as session:
            for i in range(CLIENTS):
                user = create_user(session, f"client-{i}", plan="pro")
                keys.append(create_key(session, user)[1])
        gpu_model = tmp_path / "wan-weights"  # a model only a GPU machine would serve: no worker here has it
        gpu_model.mkdir()
        (gpu_model / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
        api.cli("models", "add", "wan-gpu", "--family", "wan", "--path", str(gpu_model))

        first = api.client(keys[0])
        early = first.videos.create(prompt=PROMPTS[0], seconds="1", size="480x480")
        early = first.videos.retrieve(early.id)
        assert early.status == "queued"
        assert "No running worker serves the model 'azur-tiny'" in early.model_extra["queue_reason"]
        assert {m.id: m.model_extra["ready"] for m in first.models.list()}["azur-tiny"] is False

        for i in range(3):
            workers.append(start_worker(tmp_path / f"worker-{i}", worker_env, tmp_path / f"worker-{i}.log"))
        wait_for(lambda: {m.id: m.model_extra["ready"] for m in first.models.list()}["azur-tiny"], 90,
                 "a worker serving azur-tiny")
        waiting = first.videos.create(prompt=PROMPTS[1], seconds="1", size="480x480", model="wan-gpu")

        # 20 clients, 3 videos each (the early one counts as client 0's first).
        finished: dict[str, openai.types.Video] = {}
        errors: list[BaseException] = []

        def client_run(i: int) -> None:
            client = api.client(keys[i])
            try:
                ids = [early.id] if i == 0 else []
                while len(ids) < JOBS_PER_CLIENT:
                    ids.append(client.videos.create(prompt=PROMPTS[len(ids)], seconds="1", size="480x480",
                                                    extra_body={"seed": i * 10 + len(ids)}).id)
                for video_id in ids:
                    video = client.videos.retrieve(video_id)
                    while video.status in ("queued", "in_progress"):
                        time.sleep(0.3)
                        video = client.videos.retrieve(video_id)
                    finished[video_id] = video
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=client_run, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()

        # kill -9 the first worker while it holds a job.
        victim = workers[0]

        def victims_job() -> str | None:
            with db.session() as session:
                # Early in the job (progress is written every 0.1 s), so the kill lands before it ends.
                return session.scalar(select(Video.id).where(Video.status == "in_progress", Video.progress <= 30,
                                                             Video.lease_owner.like(f"%:{victim.pid}:%")))

        killed_job = wait_for(victims_job, 120, "the first worker to hold a job", step=0.05)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)

        for thread in threads:
            thread.join(240)
        assert not errors, errors[:3]
        assert len(finished) == CLIENTS * JOBS_PER_CLIENT
        assert {v.status for v in finished.values()} == {"completed"}, [
            (v.id, v.error) for v in finished.values() if v.status != "completed"]

        with db.session() as session:
            rows = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(finished)))}
            charges = dict(session.execute(select(UsageEntry.video_id, func.count()).where(
                UsageEntry.kind.in_(["charge", "refund"])).group_by(UsageEntry.video_id)).all())
        assert rows[killed_job].attempts >= 2  # taken over after the kill, and completed
        assert {charges.get(video_id) for video_id in finished} == {1}  # settled exactly once, never refunded
        expected = {f"fleet/videos/{video_id}/{name}" for video_id in finished
                    for name in ("video.mp4", "thumbnail.webp", "spritesheet.jpg")}
        assert set(s3_server.keys(bucket, "fleet/videos/")) == expected  # nothing lost, nothing left over
        # Nothing was written to any machine's disk but the API's own database-free home.
        for i in range(3):
            assert not (tmp_path / f"worker-{i}" / "files").exists()

        # A worker's video, verified on the API's machine: made by this installation, C2PA trusted.
        (tmp_path / "check.mp4").write_bytes(first.videos.download_content(early.id).content)
        verified = json.loads(api.cli("verify", str(tmp_path / "check.mp4"), "--json"))
        assert verified["made_by_this_installation"] is True
        assert verified["c2pa"]["trusted_by_this_installation"] is True

        # The job nobody can run still waits, and says why; the fleet is listed with the lost worker.
        waiting = first.videos.retrieve(waiting.id)
        assert waiting.status == "queued" and "'wan-gpu'" in waiting.model_extra["queue_reason"]
        ready = {m.id: m.model_extra["ready"] for m in first.models.list()}
        assert ready["azur-tiny"] is True and ready["wan-gpu"] is False
        listed = json.loads(api.cli("workers", "list", "--all", "--json"))
        states = {w["pid"]: w["state"] for w in listed}
        assert states[victim.pid] == "lost"
        assert [states[w.pid] for w in workers[1:]] == ["running", "running"]
        assert all(w["models"] == ["azur-tiny"] for w in listed)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        api.stop()
        db.dispose()

