"""Remote engines (family ``openai-videos``): Azur sends the job to another OpenAI-style video server.

Azur behind Azur: a second real ``azur serve`` with its own home is the remote engine of the first; the
video comes back through the first server's whole pipeline (its watermark, its C2PA signature, its id).
A remote that answers 429, fails or never finishes is played by a small real HTTP server on loopback
(:class:`ScriptedRemote`): an edge Azur cannot reproduce with itself on demand.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path

import av
import numpy as np
import openai
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image

from azur.config import ProvenanceSettings, Settings
from azur.provenance.verify import verify_file
from azur.provenance.watermark import video_ref
from tests.conftest import AzurServer, free_port, plain_png

pytestmark = pytest.mark.slow

PROMPT = "a red ball moving right on a blue background"


def decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_azur_behind_azur(tmp_path: Path) -> None:
    remote = AzurServer(tmp_path / "remote").start()
    front = AzurServer(tmp_path / "front").start()
    try:
        remote_key = remote.add_user("gateway")
        front.cli("models", "add", "via-remote", "--family", "openai-videos", "--url", remote.url + "/v1",
                  "--api-key", remote_key, "--remote-model", "azur-tiny", "--option", 'send=["seed","style"]')
        listed = front.cli("models", "list", "--json")
        assert "via-remote" in listed and remote_key not in listed  # the key is never shown
        client = front.client(front.add_user("alice"))
        assert "via-remote" in [m.id for m in client.models.list().data]

        video = client.videos.create_and_poll(prompt=PROMPT, model="via-remote", seconds="2", size="480x480",
                                              extra_body={"seed": 3}, poll_interval_ms=200)
        assert video.status == "completed", video.error
        assert video.model == "via-remote"
        mp4 = client.videos.download_content(video.id).content
        frames = decode(mp4)
        assert len(frames) == 48 and frames[0].shape == (480, 480, 3)
        # The remote's picture: a blue background with a red ball somewhere.
        middle = frames[24].astype(int)
        Image.fromarray(frames[24]).save(tmp_path / "middle.png")  # to look at when this test fails
        assert (middle[..., 2] - middle[..., 0] > 60).mean() > 0.3
        assert ((middle[..., 0] - middle[..., 2] > 60) & (middle[..., 0] > 120)).mean() > 0.001

        # The remote made it under its own id, and deleted its copy once downloaded.
        remote_client = remote.client(remote_key)
        assert remote_client.videos.list().data == []
        path = tmp_path / "out.mp4"
        path.write_bytes(mp4)
        report = verify_file(path, settings=Settings(home=front.home, provenance=ProvenanceSettings()))
        assert report.manifest_verdict == "valid" and report.manifest_valid_azur
        assert report.manifest.azur["video_id"] == video.id
        assert report.watermark_found and report.made_here
        assert report.watermark.payload.video_ref == video_ref(video.id)
        # The note in the front's database names the remote's own id: another id than the front's.
        with sqlite3.connect(front.home / "azur.db") as db:
            notes = json.loads(db.execute("SELECT notes FROM videos WHERE id = ?", (video.id,)).fetchone()[0])
        remote_id = next(n for n in notes if "remote engine" in n).split(" as ")[1].split()[0]
        assert remote_id.startswith("video_") and remote_id != video.id
        assert remote_client.videos.with_raw_response.list().parse().data == []
        log = (front.home / "serve.log").read_text()
        assert remote_key not in log
    finally:
        front.stop()
        remote.stop()


class ScriptedRemote:
    """A loopback OpenAI-style video server whose behaviour is chosen by the ``model`` asked for:
    ``flaky`` answers 429 (Retry-After: 1) to the first create, ``broken`` fails the job, ``stuck`` never
    finishes. Completed jobs serve a real 320x240 MP4 at 16 fps. Every request is recorded."""

    def __init__(self, tmp: Path) -> None:
        self.calls: list[tuple[float, str, str]] = []
        self.jobs: dict[str, dict] = {}
        self.bodies: list[dict] = []
        self.mp4 = _clip(tmp / "remote.mp4")
        self.port = free_port()
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
            self.calls.append((time.monotonic(), request.method, request.url.path))
            return await call_next(request)

        @app.post("/v1/videos")
        async def create(request: Request) -> Response:
            body = await request.json()
            self.bodies.append(body)
            model = body.get("model")
            if model == "flaky" and sum(1 for b in self.bodies if b.get("model") == "flaky") == 1:
                return JSONResponse({"error": {"message": "Too many requests", "type": "rate_limit", "param": None,
                                               "code": "rate_limited"}}, status_code=429,
                                    headers={"Retry-After": "1"})
            job = {"id": f"remote_{len(self.jobs)}", "object": "video", "model": model, "status": "queued",
                   "progress": 0, "polls": 0}
            self.jobs[job["id"]] = job
            return JSONResponse(self._public(job))

        @app.get("/v1/videos/{video_id}")
        async def retrieve(video_id: str) -> Response:
            job = self.jobs[video_id]
            job["polls"] += 1
            if job["model"] == "broken":
                job.update(status="failed", error={"code": "internal_error",
                                                   "message": "CUDA out of memory on gpu-3"})
            elif job["model"] != "stuck" and job["polls"] >= 2:
                job.update(status="completed", progress=100)
            else:
                job.update(status="in_progress", progress=min(90, job["polls"] * 10))
            return JSONResponse(self._public(job), headers={"openai-poll-after-ms": "100"})

        @app.get("/v1/videos/{video_id}/content")
        async def content(video_id: str) -> Response:
            return Response(self.mp4, media_type="video/mp4")

        @app.delete("/v1/videos/{video_id}")
        async def delete(video_id: str) -> Response:
            self.jobs.pop(video_id, None)
            return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if k != "polls"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ScriptedRemote:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _clip(path: Path) -> bytes:
    """A real MP4: a white square crossing a green field, 32 frames of 320x240 at 16 fps."""
    from azur.media.encode import VideoWriter

    with VideoWriter(path, 320, 240, 16) as writer:
        for i in range(32):
            frame = np.zeros((240, 320, 3), np.uint8)
            frame[..., 1] = 160
            frame[100:140, 8 * i:8 * i + 40] = 255
            writer.write(frame)
    return path.read_bytes()


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scripted")
    with ScriptedRemote(tmp) as remote:
        front = AzurServer(tmp / "front").start()
        for name in ("flaky", "broken"):
            front.cli("models", "add", f"remote-{name}", "--family", "openai-videos", "--url", remote.url,
                      "--remote-model", name, "--option", "num_inference_steps=30", "--option", "guidance_scale=5",
                      "--option", 'send=["width","height","num_frames","seed"]', "--option", "fps=16")
        front.cli("models", "add", "remote-stuck", "--family", "openai-videos", "--url", remote.url,
                  "--remote-model", "stuck", "--option", "timeout_seconds=3")
        try:
            yield remote, front.client(front.add_user("alice"))
        finally:
            front.stop()


def test_a_remote_that_answers_429_is_retried_after_its_retry_after(scripted) -> None:
    remote, client = scripted
    video = client.videos.create_and_poll(prompt=PROMPT, model="remote-flaky", seconds="2", size="480x480",
                                          extra_body={"seed": 11}, poll_interval_ms=200)
    assert video.status == "completed", video.error
    creates = [t for t, method, path in remote.calls if method == "POST"]
    assert len(creates) == 2 and creates[1] - creates[0] >= 0.95  # Retry-After: 1 honoured
    sent = [b for b in remote.bodies if b.get("model") == "flaky"][-1]
    assert sent == {"prompt": PROMPT, "seconds": "2", "size": "480x480", "model": "flaky", "width": 480,
                    "height": 480, "num_frames": 32, "seed": 11, "num_inference_steps": 30, "guidance_scale": 5,
                    "fps": 16}
    # The remote's 320x240 at 16 fps came back as the asked 480x480 at 24 fps, 2 s, and the square moved.
    frames = decode(client.videos.download_content(video.id).content)
    assert len(frames) == 48 and frames[0].shape == (480, 480, 3)
    first, last = (np.argwhere(f.min(axis=2) > 200)[:, 1].mean() for f in (frames[2], frames[-3]))
    assert last - first > 150
    assert ("DELETE", f"/v1/videos/{'remote_0'}") in [(m, p) for _, m, p in remote.calls]


def test_a_remote_failure_fails_the_video_with_its_message(scripted) -> None:
    remote, client = scripted
    video = client.videos.create_and_poll(prompt=PROMPT, model="remote-broken", seconds="1", size="480x480",
                                          poll_interval_ms=200)
    assert video.status == "failed"
    assert video.error.code == "remote_failed"
    assert "CUDA out of memory on gpu-3" in video.error.message and "remote-broken" in video.error.message
    creates = [b for b in remote.bodies if b.get("model") == "broken"]
    assert len(creates) == 1  # the remote's verdict is final: not retried


def test_a_remote_that_never_finishes_times_out_and_is_cancelled(scripted) -> None:
    remote, client = scripted
    started = time.monotonic()
    video = client.videos.create_and_poll(prompt=PROMPT, model="remote-stuck", seconds="1", size="480x480",
                                          poll_interval_ms=200)
    assert video.status == "failed" and video.error.code == "remote_timeout"
    assert "within 3 s" in video.error.message
    assert time.monotonic() - started < 30
    stuck = [job_id for job_id, job in remote.jobs.items() if job["model"] == "stuck"]
    assert stuck == []  # cancelled (deleted) on the remote
    assert sum(1 for b in remote.bodies if b.get("model") == "stuck") == 1


def test_bad_remote_entries_are_refused_with_one_line(tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import AZUR, TEST_ENV
    import os

    env = {**os.environ, **TEST_ENV, "AZUR_HOME": str(tmp_path)}
    cases = [
        (["--url", "ftp://gpu-1/v1"], "Invalid --url 'ftp://gpu-1/v1'"),
        (["--url", "http://gpu-1/v1", "--option", "steps=4"], "unknown option 'steps'"),
        (["--url", "http://gpu-1/v1", "--path", str(tmp_path)], "has a --url, not a --path"),
        ([], "Invalid --url ''"),
    ]
    for extra, message in cases:
        result = subprocess.run([AZUR, "models", "add", "r", "--family", "openai-videos", *extra], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and message in result.stderr + result.stdout, result
        assert "Traceback" not in result.stderr


def test_retry_after_reads_seconds_milliseconds_and_http_dates() -> None:
    import email.utils

    import httpx

    from azur.engine.backends.remote import _retry_after

    def answer(**headers: str) -> httpx.Response:
        return httpx.Response(429, headers=headers)

    assert _retry_after(answer(**{"Retry-After": "7"})) == 7
    assert _retry_after(answer(**{"retry-after-ms": "1500", "Retry-After": "7"})) == 1.5  # the finer one wins
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= _retry_after(answer(**{"Retry-After": later})) <= 20
    assert _retry_after(answer(**{"Retry-After": "soon"})) is None and _retry_after(answer()) is None


def test_a_first_frame_for_a_text_only_remote_is_refused_at_once(scripted) -> None:
    from tests.conftest import assert_openai_error

    remote, client = scripted
    before = len(remote.bodies)
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt=PROMPT, model="remote-flaky", seconds="1", size="480x480",
                             input_reference=("first.png", plain_png(64, 64), "image/png"))
    error = assert_openai_error(caught.value, 400, param="input_reference")
    assert "remote-flaky" in error["message"] and "text only" in error["message"]
    assert len(remote.bodies) == before  # nothing was sent to the remote
