"""Webhook endpoints on a real ``azur serve``, driven by the official client (``client.webhooks.*``), with
a real receiver on 127.0.0.1: a finished video's event arrives signed, the test action and the delivery log
work, redelivery sends the same event again, and one user never sees another's endpoints."""

from __future__ import annotations

import io
import json
import time
import zipfile

import httpx
import openai
import pytest

from tests.conftest import AzurServer, assert_openai_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, receiver):
    env = {"AZUR_OUTBOUND__ALLOWED_NETWORKS": '["127.0.0.0/8"]', "AZUR_OUTBOUND__ALLOWED_PORTS": f"[80, {receiver.port}]",
           "AZUR_WEBHOOKS__POLL_SECONDS": "0.1", "AZUR_WEBHOOKS__RETRY_BASE_SECONDS": "0.2",
           "AZUR_BATCHES__POLL_SECONDS": "0.2"}
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), env=env).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keys(server) -> dict[str, str]:
    return {name: server.add_user(name) for name in ("alice", "bob")}


def test_a_finished_video_is_announced_to_the_registered_endpoint(server, keys, receiver):
    client = server.client(keys["alice"])
    endpoint = client.webhooks.create(url=receiver.url, name="studio", event_types=["video.completed", "video.failed"])
    assert endpoint.id.startswith("whep_") and endpoint.object == "webhook_endpoint"
    assert endpoint.signing_secret.startswith("whsec_") and endpoint.event_types == ["video.completed", "video.failed"]
    shown = client.webhooks.retrieve(endpoint.id)
    assert shown.url == receiver.url and "signing_secret" not in shown.model_dump(exclude_unset=True)
    assert endpoint.signing_secret.startswith(shown.signing_secret_hint.rstrip("."))
    assert [e.id for e in client.webhooks.list()] == [endpoint.id]

    before = len(receiver.received)
    video = client.videos.create_and_poll(prompt="a red circle moving right", seconds="1", size="480x480",
                                          poll_interval_ms=200)
    assert video.status == "completed"
    request = receiver.wait_for(before + 1)[before]
    event = openai.OpenAI(api_key="unused", webhook_secret=endpoint.signing_secret).webhooks.unwrap(
        request.body, request.headers)
    assert (event.type, event.data.id, event.object) == ("video.completed", video.id, "event")

    log = httpx.get(f"{server.url}/v1/webhooks/{endpoint.id}/deliveries",
                    headers={"Authorization": f"Bearer {keys['alice']}"}).json()
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log["data"]] == [("video.completed", "delivered", 1)]
    assert log["data"][0]["payload"]["data"]["id"] == video.id and log["data"][0]["event_id"] == event.id

    again = httpx.post(f"{server.url}/v1/webhooks/{endpoint.id}/deliveries/{log['data'][0]['id']}/redeliver",
                       headers={"Authorization": f"Bearer {keys['alice']}"})
    assert again.status_code == 200 and again.json()["status"] == "pending"
    resent = receiver.wait_for(before + 2)[before + 1]
    assert resent.headers["webhook-id"] == event.id and resent.body == request.body


def test_the_test_action_sends_a_signed_sample_and_logs_it(server, keys, receiver):
    client = server.client(keys["alice"])
    endpoint = client.webhooks.create(url=receiver.url, name="test", event_types=["video.failed"])
    before = len(receiver.received)
    receiver.answers = [418]
    result = client.webhooks.test(endpoint.id, event_type="video.failed")
    assert (result.status_code, result.webhook_endpoint_id, result.event_type) == (418, endpoint.id, "video.failed")
    request = receiver.wait_for(before + 1)[before]
    event = openai.OpenAI(api_key="unused").webhooks.unwrap(request.body, request.headers,
                                                            secret=endpoint.signing_secret)
    assert event.type == "video.failed"
    log = httpx.get(f"{server.url}/v1/webhook_endpoints/{endpoint.id}/deliveries",
                    headers={"Authorization": f"Bearer {keys['alice']}"}).json()["data"]
    assert [(d["status"], d["last_status_code"]) for d in log] == [("failed", 418)]


def test_bad_endpoints_are_refused_with_openai_errors(server, keys, receiver):
    client = server.client(keys["alice"])
    with pytest.raises(openai.BadRequestError) as unknown:
        client.webhooks.create(url=receiver.url, name="x", event_types=["video.exploded"])  # type: ignore[list-item]
    assert_openai_error(unknown.value, 400, param="event_types.0")
    with pytest.raises(openai.BadRequestError) as private:  # port 80 is allowed; the private network is not
        client.webhooks.create(url="http://10.1.2.3/hook", name="x", event_types=["video.completed"])
    assert "10.1.2.3" in assert_openai_error(private.value, 400, param="url")["message"]
    with pytest.raises(openai.BadRequestError) as port:
        client.webhooks.create(url="http://127.0.0.1:1/hook", name="x", event_types=["video.completed"])
    assert_openai_error(port.value, 400, param="url")


def test_users_see_only_their_own_endpoints(server, keys, receiver):
    alice, bob = server.client(keys["alice"]), server.client(keys["bob"])
    endpoint = alice.webhooks.create(url=receiver.url, name="mine", event_types=["video.completed"])
    assert endpoint.id not in [e.id for e in bob.webhooks.list()]
    for call in (lambda: bob.webhooks.retrieve(endpoint.id), lambda: bob.webhooks.delete(endpoint.id),
                 lambda: bob.webhooks.test(endpoint.id, event_type="video.completed")):
        with pytest.raises(openai.NotFoundError) as hidden:
            call()
        assert_openai_error(hidden.value, 404)
    deleted = alice.webhooks.delete(endpoint.id)
    assert deleted.deleted and deleted.id == endpoint.id
    with pytest.raises(openai.NotFoundError):
        alice.webhooks.retrieve(endpoint.id)


def test_export_holds_endpoints_without_secrets_and_erasure_removes_them(server, receiver):
    key = server.add_user("carol")
    carol = server.client(key)
    endpoint = carol.webhooks.create(url=receiver.url, name="carol", event_types=["video.completed"])
    carol.webhooks.test(endpoint.id, event_type="video.completed")
    auth = {"Authorization": f"Bearer {key}"}
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(f"{server.url}/v1/me/export", headers=auth).content))
    hooks = json.loads(archive.read("webhook_endpoints.json"))
    assert [h["id"] for h in hooks] == [endpoint.id]
    assert endpoint.signing_secret not in archive.read("webhook_endpoints.json").decode()
    assert len(json.loads(archive.read("webhook_deliveries.json"))) == 1
    assert httpx.delete(f"{server.url}/v1/me", headers=auth).status_code == 200
    listed = server.cli("webhooks", "list")
    assert endpoint.id not in listed


def test_operators_add_list_and_remove_endpoints_from_the_cli(server, keys, receiver):
    out = server.cli("webhooks", "add", receiver.url, "--user", "bob", "--events", "video.completed,batch.completed")
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    [line] = [row for row in server.cli("webhooks", "list", "--user", "bob").splitlines() if receiver.url in row]
    endpoint_id = line.split()[0]
    assert "video.completed,batch.completed" in line
    assert [e.event_types for e in server.client(keys["bob"]).webhooks.list()] == [["video.completed", "batch.completed"]]
    server.cli("webhooks", "remove", endpoint_id)
    assert endpoint_id not in server.cli("webhooks", "list")
    import subprocess

    from tests.conftest import AZUR
    refused = subprocess.run([AZUR, "webhooks", "add", "http://10.0.0.1/x", "--user", "bob"], env=server.env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "10.0.0.1" in refused.stderr


def test_a_batch_end_is_announced_with_the_batch_events(server, keys, receiver):
    client = server.client(keys["alice"])
    endpoint = client.webhooks.create(url=receiver.url, name="batches", event_types=["batch.completed", "batch.failed"])
    unwrap = openai.OpenAI(api_key="unused", webhook_secret=endpoint.signing_secret).webhooks.unwrap

    def next_event(before: int):  # noqa: ANN202
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            # The receiver also gets this user's video events for their other endpoint (another secret).
            for request in receiver.received[before:]:
                if json.loads(request.body)["type"].startswith("batch."):
                    return unwrap(request.body, request.headers)
            time.sleep(0.1)
        raise AssertionError("no batch event arrived")

    before = len(receiver.received)
    bad = client.files.create(file=("bad.jsonl", b"this is not JSON\n"), purpose="batch")
    failed = client.batches.create(input_file_id=bad.id, endpoint="/v1/videos", completion_window="24h")
    event = next_event(before)
    assert (event.type, event.data.id) == ("batch.failed", failed.id)
    assert client.batches.retrieve(failed.id).status == "failed"

    before = len(receiver.received)
    line = {"custom_id": "one", "method": "POST", "url": "/v1/videos",
            "body": {"prompt": "a green square moving up", "seconds": "1", "size": "480x480"}}
    good = client.files.create(file=("good.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
    done = client.batches.create(input_file_id=good.id, endpoint="/v1/videos", completion_window="24h")
    event = next_event(before)
    assert (event.type, event.data.id) == ("batch.completed", done.id)
    finished = client.batches.retrieve(done.id)
    assert finished.status == "completed" and finished.request_counts.completed == 1
