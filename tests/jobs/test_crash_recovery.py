"""Nothing accepted is lost: SIGKILL the server mid-job, restart it, and every job completes."""

from __future__ import annotations

import time

import pytest
from tests.conftest import AzurServer

pytestmark = pytest.mark.slow


def test_jobs_survive_a_sigkill_of_the_server(tmp_path):
    server = AzurServer(tmp_path / "home").start()
    try:
        client = server.client(server.add_user("alice"))
        ids = [client.videos.create(prompt=f"a red ball {i}", seconds="2", size="854x480").id for i in range(3)]
        deadline = time.monotonic() + 120
        while client.videos.retrieve(ids[0]).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.videos.retrieve(ids[0]).status == "in_progress"
        server.kill()  # the server and its worker, mid-job

        server.start()
        done = [client.videos.poll(video_id, poll_interval_ms=200) for video_id in ids]
        assert [v.status for v in done] == ["completed"] * 3, [v.error for v in done]
        for video in done:
            assert len(client.videos.download_content(video.id).content) > 1000
    finally:
        server.stop()
