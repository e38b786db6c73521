"""The outbox and its deliverer on a real database, sending to a real receiver on 127.0.0.1: events
written with the video's status, signed so that the official client's ``unwrap`` accepts them, retried
after errors, refused for loopback targets unless the operator allowed them, and never lost to a kill -9.
Each runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
from sqlalchemy import select

from azur.accounts.users import create_user
from azur.config import QueueSettings, Settings
from azur.db.models import Video, WebhookDelivery
from azur.db.session import open_database
from azur.jobs.queue import DatabaseQueue
from azur.webhooks.delivery import Deliverer
from azur.webhooks.endpoints import InvalidEndpoint, create_endpoint
from azur.webhooks.events import emit
from tests.accounts.conftest import required_postgres_url
from tests.webhooks.receiver import Receiver

AZUR = str(Path(sys.executable).parent / "azur")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def allowing(receiver: Receiver, tmp_path: Path, **webhooks) -> Settings:
    """Settings whose outbound guard lets this receiver through (loopback is refused by default)."""
    return Settings(home=tmp_path, outbound={"allowed_networks": ["127.0.0.0/8"], "allowed_ports": [receiver.port]},
                    webhooks={"retry_base_seconds": 0.2, "poll_seconds": 0.05, **webhooks})


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'azur.db'}" if request.param == "sqlite" else required_postgres_url()
    database = open_database(url)
    yield database
    database.dispose()


def new_user(db) -> int:
    with db.session() as session:
        return create_user(session, f"user{time.time_ns()}").id


def add_endpoint(db, settings, user_id, url, types=("video.completed", "video.failed")) -> tuple[str, str]:
    with db.session() as session:
        endpoint = create_endpoint(session, settings, user_id, url=url, event_types=list(types))
        return endpoint.id, endpoint.secret


def queue_video(db, queue, user_id, n) -> str:
    with db.session() as session:
        video = Video(id=f"video_{n:032x}", user_id=user_id, created_at=1000.0 + n, model="azur-tiny",
                      prompt="p", seconds=1, width=480, height=480, seed=1, style="flat", running_limit=5)
        queue.submit(session, video)
        return video.id


def deliveries(db) -> list[WebhookDelivery]:
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def deliver_until_done(deliverer: Deliverer, db, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliverer.run_once()
        if all(d.status != "pending" for d in deliveries(db)):
            return
        time.sleep(0.05)
    raise AssertionError(f"still pending: {deliveries(db)}")


def test_completed_and_failed_videos_send_events_the_official_client_verifies(db, receiver, tmp_path):
    settings = allowing(receiver, tmp_path)
    user = new_user(db)
    endpoint_id, secret = add_endpoint(db, settings, user, receiver.url)
    queue = DatabaseQueue(db, QueueSettings(max_attempts=1))
    done, broken = queue_video(db, queue, user, 1), queue_video(db, queue, user, 2)
    assert deliveries(db) == []  # queued videos send nothing

    first, second = queue.claim("w"), queue.claim("w")
    assert {first.video_id, second.video_id} == {done, broken}
    by_id = {first.video_id: first, second.video_id: second}
    assert queue.complete(by_id[done], files={"video": "x"}, notes=[], retention_days=1)
    assert queue.fail(by_id[broken], code="generation_failed", message="boom", retry=False) == "failed"
    assert [d.event_type for d in deliveries(db)] == ["video.completed", "video.failed"]

    deliver_until_done(Deliverer(db, settings), db)
    got = receiver.wait_for(2)
    client = openai.OpenAI(api_key="unused", webhook_secret=secret)
    events = {}
    for request in got:
        assert request.path == "/hooks" and request.headers["content-type"] == "application/json"
        event = client.webhooks.unwrap(request.body, request.headers)  # raises unless the signature is right
        assert event.object == "event" and event.id == request.headers["webhook-id"]
        assert event.id.startswith("evt_") and abs(event.created_at - time.time()) < 60
        events[event.type] = event.data.id
    assert events == {"video.completed": done, "video.failed": broken}

    tampered = got[0].body.replace(b'"video_', b'"video_0')
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(tampered, got[0].headers)
    with pytest.raises(openai.InvalidWebhookSignatureError):  # another endpoint's secret does not verify it
        openai.OpenAI(api_key="unused").webhooks.unwrap(got[0].body, got[0].headers,
                                                         secret=add_endpoint(db, settings, user, receiver.url)[1])
    assert all(d.status == "delivered" and d.attempts == 1 and d.last_status_code == 200 for d in deliveries(db))


def test_only_subscribed_events_of_the_owner_are_sent(db, receiver, tmp_path):
    settings = allowing(receiver, tmp_path)
    owner, other = new_user(db), new_user(db)
    add_endpoint(db, settings, owner, receiver.url, types=["video.failed"])
    with db.session() as session:
        assert emit(session, owner, "video.completed", {"id": "video_a"}) == []
        assert emit(session, other, "video.failed", {"id": "video_b"}) == []
        assert len(emit(session, owner, "video.failed", {"id": "video_c"})) == 1
        with pytest.raises(ValueError, match="unknown event type"):
            emit(session, owner, "video.exploded", {"id": "video_d"})
    deliver_until_done(Deliverer(db, settings), db)
    assert [json.loads(r.body)["data"]["id"] for r in receiver.wait_for(1)] == ["video_c"]


def test_a_receiver_answering_500_gets_the_event_again_with_growing_waits(db, receiver, tmp_path):
    settings = allowing(receiver, tmp_path)
    user = new_user(db)
    add_endpoint(db, settings, user, receiver.url)
    receiver.answers = [500, 503, 200]
    with db.session() as session:
        emit(session, user, "video.completed", {"id": "video_x"})
    deliver_until_done(Deliverer(db, settings), db)
    got = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in got}) == 1  # the same event, so a receiver can deduplicate
    assert len({r.body for r in got}) == 1
    waits = [b.at - a.at for a, b in zip(got, got[1:])]
    assert waits[0] >= 0.2 and waits[1] >= 0.4, waits  # retry_base_seconds, then doubled
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 3, 200, None)


def test_an_event_never_delivered_within_the_window_ends_failed(db, receiver, tmp_path):
    # Three seconds: room for several retries (0.2, 0.4, 0.8 s apart) even when a loaded machine is slow to
    # make the first attempt, and still a window that closes while the receiver keeps failing.
    settings = allowing(receiver, tmp_path, retry_window_hours=3.0 / 3600)
    user = new_user(db)
    add_endpoint(db, settings, user, receiver.url)
    receiver.answers = [500] * 100
    with db.session() as session:
        emit(session, user, "video.failed", {"id": "video_x"})
    deliver_until_done(Deliverer(db, settings), db)
    [row] = deliveries(db)
    assert row.status == "failed" and row.attempts >= 2 and row.last_status_code == 500
    assert row.last_error == "the receiver answered HTTP 500"


def test_a_loopback_target_is_refused_unless_the_operator_allows_it(db, receiver, tmp_path):
    # The port is allowed, the network is not: what is refused is the loopback address itself.
    strict = Settings(home=tmp_path, outbound={"allowed_ports": [receiver.port]}, webhooks={"retry_base_seconds": 0.2})
    user = new_user(db)
    with db.session() as session, pytest.raises(InvalidEndpoint) as refused:
        create_endpoint(session, strict, user, url=receiver.url, event_types=["video.completed"])
    assert refused.value.param == "url" and "127.0.0.1" in refused.value.message
    with db.session() as session, pytest.raises(InvalidEndpoint):
        create_endpoint(session, strict, user, url="http://169.254.169.254/latest/meta-data",
                        event_types=["video.completed"])

    # Registered while allowed, then the operator closed the door: the delivery is refused at send time too.
    add_endpoint(db, allowing(receiver, tmp_path), user, receiver.url)
    with db.session() as session:
        emit(session, user, "video.completed", {"id": "video_x"})
    Deliverer(db, strict).run_once()
    [row] = deliveries(db)
    assert receiver.received == []
    assert row.status == "pending" and row.attempts == 1 and "outbound guard" in row.last_error


def test_kill_9_of_the_deliverer_mid_request_loses_no_event(db, receiver, tmp_path):
    """``azur webhooks deliver`` is killed while the receiver holds its request; a new one sends the event
    again once the dead one's lease has run out."""
    settings = allowing(receiver, tmp_path)
    user = new_user(db)
    _, secret = add_endpoint(db, settings, user, receiver.url)
    with db.session() as session:
        emit(session, user, "video.completed", {"id": "video_k"})
    env = {**os.environ, "AZUR_HOME": str(tmp_path), "AZUR_DATABASE_URL": db.url,
           "AZUR_OUTBOUND__ALLOWED_NETWORKS": '["127.0.0.0/8"]', "AZUR_OUTBOUND__ALLOWED_PORTS": f"[{receiver.port}]",
           "AZUR_WEBHOOKS__TIMEOUT_SECONDS": "10", "AZUR_WEBHOOKS__LEASE_SECONDS": "12",
           "AZUR_WEBHOOKS__POLL_SECONDS": "0.1"}
    env.pop("AZUR_CONFIG", None)

    def deliverer() -> subprocess.Popen:
        return subprocess.Popen([AZUR, "webhooks", "deliver"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    receiver.hold.set()
    first = deliverer()
    try:
        assert receiver.arrived.wait(60), "the deliverer never sent the event"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    receiver.hold.clear()
    [row] = deliveries(db)
    assert row.status == "pending" and row.lease_owner is not None  # claimed by the dead one, not recorded

    second = deliverer()
    try:
        got = receiver.wait_for(2, timeout=60)  # after the 12 s lease
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    event = openai.OpenAI(api_key="unused", webhook_secret=secret).webhooks.unwrap(got[1].body, got[1].headers)
    assert (event.type, event.data.id) == ("video.completed", "video_k")
    deadline = time.monotonic() + 10
    while deliveries(db)[0].status != "delivered" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert deliveries(db)[0].status == "delivered"
