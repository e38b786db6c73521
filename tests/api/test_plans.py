"""Plans on a real ``azur serve`` through the official client: exact quotas under a burst, plan limits,
usage, refunds, and Pro jobs starting before Plus jobs. Also against PostgreSQL when the test server runs."""

from __future__ import annotations

import subprocess
import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.accounts.conftest import database_env
from tests.conftest import AZUR, AzurServer, assert_openai_error

SHORT = {"seconds": "1", "size": "480x480"}


def burst(server: AzurServer, key: str, n: int) -> tuple[list[str], list[openai.APIStatusError]]:
    """``n`` creates at the same moment, each from its own client; returns accepted ids and refusals."""

    def one(i: int):
        try:
            return server.client(key).videos.create(prompt=f"a blue star moving up, take {i}", **SHORT).id
        except openai.APIStatusError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    return [r for r in results if isinstance(r, str)], [r for r in results if not isinstance(r, str)]


@pytest.fixture(params=["sqlite", "postgres"])
def idle_server(request, tmp_path):
    """A server without workers: accepted jobs stay queued, so only the accounting is exercised."""
    env = {}
    env.update(database_env(request.param))
    srv = AzurServer(tmp_path / "home", workers=0, env=env).start()
    yield srv
    srv.stop()


def test_sixty_simultaneous_creates_on_a_fresh_plus_month_accept_exactly_fifty(idle_server):
    key = idle_server.add_user("burst", plan="plus")
    accepted, refused = burst(idle_server, key, 60)
    assert len(accepted) == 50 and len(set(accepted)) == 50
    assert len(refused) == 10
    for error in refused:
        body = assert_openai_error(error, 429, code="quota_exceeded")
        assert "Plus includes 50 videos a month" in body["message"] and "resets on" in body["message"]
        assert error.response.headers["x-should-retry"] == "false"
        assert int(error.response.headers["retry-after"]) > 0
    usage = httpx.get(idle_server.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}).json()
    assert usage["videos"] == {"used": 50, "limit": 50, "remaining": 0}
    assert len(idle_server.client(key).videos.list(limit=100).data) == 50


def test_options_beyond_the_plan_are_refused_with_the_limit_named(idle_server):
    client = idle_server.client(idle_server.add_user("plain", plan="plus"))
    with pytest.raises(openai.BadRequestError) as too_long:
        client.videos.create(prompt="a red ball moving right", seconds="12", size="1280x720")
    body = assert_openai_error(too_long.value, 400, code="plan_limit", param="seconds")
    assert body["message"] == "Plus allows up to 10 s; upgrade to Pro for 20 s."
    with pytest.raises(openai.BadRequestError) as too_big:
        client.videos.create(prompt="a red ball moving right", seconds="4", size="1920x1080")
    assert "upgrade to Pro for 1080p" in assert_openai_error(too_big.value, 400, code="plan_limit", param="size")["message"]
    assert client.videos.list().data == []  # nothing was queued


def test_usage_reports_plan_costs_and_deleting_a_queued_video_refunds_it(idle_server):
    key = idle_server.add_user("ursula", plan="plus")
    client = idle_server.client(key)
    headers = {"Authorization": f"Bearer {key}"}
    fresh = httpx.get(idle_server.url + "/v1/usage", headers=headers).json()
    assert fresh["plan"]["id"] == "plus" and fresh["plan"]["max_seconds"] == 10 and fresh["plan"]["max_resolution"] == 720
    assert fresh["videos"]["used"] == 0 and fresh["credits"]["remaining"] == 1000
    assert fresh["period"]["end"] > time.time() > fresh["period"]["start"]
    video = client.videos.create(prompt="a yellow square shrinking", seconds="10", size="1280x720")
    after = httpx.get(idle_server.url + "/v1/usage", headers=headers).json()
    assert after["videos"]["used"] == 1 and after["credits"]["used"] == 20  # 10 s at 720p, 2 credits a second
    client.videos.delete(video.id)
    refunded = httpx.get(idle_server.url + "/v1/usage", headers=headers).json()
    assert refunded["videos"]["used"] == 0 and refunded["credits"]["used"] == 0
    out = idle_server.cli("usage", "ursula")
    assert "0/50" in out and "Plus" in out


@pytest.mark.slow
def test_pro_jobs_start_before_plus_jobs_queued_earlier(tmp_path):
    srv = AzurServer(tmp_path / "home", workers=0).start()
    try:
        plus = srv.client(srv.add_user("plus-user", plan="plus"))
        pro = srv.client(srv.add_user("pro-user", plan="pro"))
        plus_ids = [plus.videos.create(prompt=f"a red ball moving left {i}", **SHORT).id for i in range(2)]
        pro_ids = [pro.videos.create(prompt=f"a green star growing {i}", **SHORT).id for i in range(2)]
        worker = subprocess.Popen([AZUR, "worker"], env=srv.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                pro_status = [pro.videos.retrieve(v).status for v in pro_ids]
                plus_status = [plus.videos.retrieve(v).status for v in plus_ids]
                if any(s != "queued" for s in plus_status):
                    # One worker: a Plus job may only have started once both Pro jobs are done.
                    assert pro_status == ["completed", "completed"], (pro_status, plus_status)
                if plus_status == ["completed", "completed"]:
                    break
                time.sleep(0.1)
            assert plus_status == ["completed", "completed"]
        finally:
            worker.terminate()
            worker.wait(30)
    finally:
        srv.stop()


def test_parallel_deletes_of_queued_videos_refund_each_once_and_the_quota_still_holds(idle_server):
    """The attack seen in review: the same DELETE sent many times at once refunded a video many times, so
    "used" went negative and a later burst got more videos than the plan."""
    from sqlalchemy import func, select

    from azur.db.models import UsageEntry
    from azur.db.session import Database

    key = idle_server.add_user("racer", plan="plus")
    # 10 queued videos, each deleted by 20 simultaneous requests (200 DELETEs in all). Before the fix, one
    # run on SQLite answered 12 of them 200 and wrote 11 refunds: usage read -1.
    headers = {"Authorization": f"Bearer {key}"}
    videos, copies = 10, 20
    ids = [idle_server.client(key).videos.create(prompt=f"a red ball moving right, take {i}", **SHORT).id
           for i in range(videos)]

    # A second server process on the same database and files: the DELETEs come from two processes' pools.
    shared = {k: v for k, v in idle_server.env.items() if k == "AZUR_DATABASE_URL"}
    twin = AzurServer(idle_server.home, workers=0, env=shared).start()
    urls = [idle_server.url, twin.url]

    def delete(numbered: tuple[int, str]) -> int:
        i, video_id = numbered
        return httpx.delete(f"{urls[i % 2]}/v1/videos/{video_id}", headers=headers, timeout=60).status_code

    try:
        with ThreadPoolExecutor(max_workers=copies) as pool:
            answers = [list(pool.map(delete, enumerate([video_id] * copies))) for video_id in ids]
    finally:
        twin.stop()
    usage = httpx.get(idle_server.url + "/v1/usage", headers=headers).json()
    db = Database(idle_server.env.get("AZUR_DATABASE_URL") or f"sqlite:///{idle_server.home / 'azur.db'}")
    try:
        with db.session() as session:
            refunds = dict(session.execute(
                select(UsageEntry.video_id, func.count()).where(UsageEntry.kind == "refund")
                .group_by(UsageEntry.video_id)
            ).all())
    finally:
        db.dispose()
    seen = {"deleted": sum(a.count(200) for a in answers), "refunds": sum(refunds.values()), "usage": usage["videos"]}
    assert refunds == {video_id: 1 for video_id in ids}, seen
    assert usage["videos"] == {"used": 0, "limit": 50, "remaining": 50} and usage["credits"]["used"] == 0, seen
    for per_video in answers:
        # One DELETE wins; the others find the video gone, as any later DELETE would.
        assert per_video.count(200) == 1 and per_video.count(404) == copies - 1, per_video

    accepted, refused = burst(idle_server, key, 60)
    assert len(accepted) == 50 and len(refused) == 10
    usage = httpx.get(idle_server.url + "/v1/usage", headers=headers).json()
    assert usage["videos"] == {"used": 50, "limit": 50, "remaining": 0}, usage
