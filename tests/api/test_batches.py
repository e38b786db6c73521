"""OpenAI's Batch API for videos on a real ``azur serve`` with a worker and the real model, driven by the
official client: upload a JSONL file, create the batch, poll it, read its output and error files."""

from __future__ import annotations

import io
import json
import subprocess
import time

import zipfile

import av
import httpx
import openai
import pytest
from sqlalchemy import func, select

from azur.batches.runner import BATCH_PRIORITY
from azur.db.models import Batch, BatchRequest, UserFile, Video
from azur.db.session import Database
from tests.accounts.conftest import database_env
from tests.conftest import AZUR, AzurServer, assert_openai_error, plain_png

pytestmark = pytest.mark.slow

SMALL = {"seconds": "1", "size": "480x480"}
RUNNER_ENV = {"AZUR_BATCHES__POLL_SECONDS": "0.2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-batches"), env=RUNNER_ENV).start()
    yield srv
    srv.stop()


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def create_line(custom_id: str, **body) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/videos", "body": {**SMALL, **body}}


def wait_for(client: openai.OpenAI, batch_id: str, statuses: tuple[str, ...], timeout: float = 300):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = client.batches.retrieve(batch_id)
        if not seen or seen[-1] != batch.status:
            seen.append(batch.status)
        if batch.status in statuses:
            return batch, seen
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} stayed {seen}")


def read_jsonl(client: openai.OpenAI, file_id: str) -> list[dict]:
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def video_priorities(server: AzurServer, ids: list[str]) -> set[int]:
    db = Database(f"sqlite:///{server.home / 'azur.db'}")
    try:
        with db.session() as session:
            return set(session.scalars(select(Video.priority).where(Video.id.in_(ids))))
    finally:
        db.dispose()


def test_ten_lines_two_invalid_complete_with_output_and_error_files(server, client):
    prompts = [f"a {colour} circle moving right on a black background" for colour in
               ("red", "green", "blue", "yellow", "white", "orange", "purple", "pink")]
    lines = [create_line(f"line-{i}", prompt=p, seed=i) for i, p in enumerate(prompts[:4])]
    lines.append(create_line("bad-size", prompt="a red square", size="123x456"))
    lines += [create_line(f"line-{i}", prompt=p, seed=i) for i, p in enumerate(prompts[4:], start=4)]
    lines.append(create_line("blocked", prompt="a naked woman lying on a bed"))
    assert len(lines) == 10

    upload = client.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h",
                                  metadata={"project": "test"})
    assert batch.id.startswith("batch_") and batch.status == "validating" and batch.object == "batch"
    assert batch.input_file_id == upload.id and batch.metadata == {"project": "test"}
    assert batch.expires_at == batch.created_at + 24 * 3600

    # The batch runs below interactive work: a video asked for once its lines are queued starts first.
    deadline = time.monotonic() + 60
    while len(client.videos.list(limit=100).data) < 8 and time.monotonic() < deadline:
        time.sleep(0.1)
    batch_video_ids = [v.id for v in client.videos.list(limit=100).data]
    assert len(batch_video_ids) == 8
    assert video_priorities(server, batch_video_ids) == {BATCH_PRIORITY}
    single = client.videos.poll(client.videos.create(prompt="a white star on a blue background", **SMALL).id,
                                poll_interval_ms=100)
    assert single.status == "completed"
    assert client.batches.retrieve(batch.id).request_counts.completed < 8

    done, seen = wait_for(client, batch.id, ("completed", "failed", "expired", "cancelled"))
    assert done.status == "completed", done
    assert seen[0] in ("validating", "in_progress") and seen[-1] == "completed"
    assert "in_progress" in seen
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (10, 8, 2)
    assert done.in_progress_at <= done.finalizing_at <= done.completed_at
    assert done.output_file_id and done.error_file_id

    output = read_jsonl(client, done.output_file_id)
    assert [line["custom_id"] for line in output] == [f"line-{i}" for i in range(8)]
    for line, prompt in zip(output, prompts):
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert line["response"]["status_code"] == 200 and line["response"]["request_id"]
        video = line["response"]["body"]
        assert video["object"] == "video" and video["status"] == "completed" and video["prompt"] == prompt
        assert (video["seconds"], video["size"]) == ("1", "480x480")
    assert sorted(line["response"]["body"]["id"] for line in output) == sorted(batch_video_ids)
    mp4 = client.videos.download_content(output[0]["response"]["body"]["id"]).content
    with av.open(io.BytesIO(mp4)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 24 and frames[0].shape == (480, 480, 3)

    errors = {line["custom_id"]: line for line in read_jsonl(client, done.error_file_id)}
    assert set(errors) == {"bad-size", "blocked"}
    size_error = errors["bad-size"]["response"]
    assert size_error["status_code"] == 400 and size_error["body"]["error"]["param"] == "size"
    assert "123x456" in size_error["body"]["error"]["message"]
    blocked = errors["blocked"]["response"]
    assert blocked["status_code"] == 400 and blocked["body"]["error"]["code"] == "moderation_blocked"

    for file_id in (done.output_file_id, done.error_file_id):
        assert client.files.retrieve(file_id).purpose == "batch_output"
    assert client.batches.list().data[0].id == batch.id

    shown = server.cli("batches", "show", batch.id)
    assert "8 completed, 2 failed, 10 in all" in shown and "refused: moderation_blocked" in shown
    assert f"{batch_video_ids[0]} completed" in shown
    listed = server.cli("batches", "list", "--user", "alice")
    assert batch.id in listed and "completed" in listed and "8/2/10" in listed


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_batch_survives_a_crash_of_the_server(tmp_path, database):
    srv = AzurServer(tmp_path / "home", env={**RUNNER_ENV, **database_env(database)}).start()
    try:
        client = srv.client(srv.add_user("crash"))
        upload = client.files.create(file=("r.jsonl", jsonl([create_line(f"c{i}", prompt=f"a blue ball {i}")
                                                              for i in range(3)])), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
        deadline = time.monotonic() + 120
        while client.batches.retrieve(batch.id).request_counts.completed < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.batches.retrieve(batch.id).status == "in_progress"
        srv.kill()
        srv.start()
        done, _ = wait_for(client, batch.id, ("completed", "failed", "expired", "cancelled"))
        assert done.status == "completed"
        assert (done.request_counts.completed, done.request_counts.failed) == (3, 0)
        assert [line["custom_id"] for line in read_jsonl(client, done.output_file_id)] == ["c0", "c1", "c2"]
        assert len(client.videos.list().data) == 3  # every line made exactly one video
    finally:
        srv.stop()


def test_cancel_stops_waiting_requests_and_the_batch_is_exported_and_erased(server):
    key = server.add_user("canceller")
    client = server.client(key)
    lines = [create_line(f"k{i}", prompt=f"a green ball {i}") for i in range(4)]
    upload = client.files.create(file=("r.jsonl", jsonl(lines)), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
    deadline = time.monotonic() + 60
    while len(client.videos.list().data) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    done, _ = wait_for(client, batch.id, ("cancelled",))
    counts = done.request_counts
    assert counts.total == 4 and counts.completed + counts.failed == 4 and counts.failed >= 2
    errors = read_jsonl(client, done.error_file_id)
    assert len(errors) == counts.failed
    assert all(line["error"]["code"] == "batch_cancelled" and line["response"] is None for line in errors)
    assert len(client.videos.list().data) == counts.completed  # cancelled videos are gone (and refunded)
    with pytest.raises(openai.ConflictError) as err:
        client.batches.cancel(batch.id)
    assert_openai_error(err.value, 409, code="batch_not_cancellable")

    auth = {"Authorization": f"Bearer {key}"}
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(server.url + "/v1/me/export", headers=auth).content))
    [exported] = json.loads(archive.read("batches.json"))
    assert exported["id"] == batch.id and [r["custom_id"] for r in exported["requests"]] == ["k0", "k1", "k2", "k3"]
    assert archive.read(f"uploads/{upload.id}/r.jsonl") == jsonl(lines)
    assert httpx.delete(server.url + "/v1/me", headers=auth).status_code == 200
    db = Database(f"sqlite:///{server.home / 'azur.db'}")
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Batch)
                                  .where(Batch.id == batch.id)) == 0
            assert session.scalar(select(func.count()).select_from(BatchRequest)
                                  .where(BatchRequest.batch_id == batch.id)) == 0
            assert session.scalar(select(func.count()).select_from(UserFile)
                                  .where(UserFile.id.in_([upload.id, done.error_file_id]))) == 0
    finally:
        db.dispose()
    assert not (server.home / "files" / "files" / upload.id).exists()


def test_a_malformed_file_fails_the_batch_and_bad_requests_are_refused(server, client):
    text = (json.dumps(create_line("ok", prompt="a red ball")) + "\n{not json\n"
            + json.dumps({**create_line("ok", prompt="again"), "url": "/v1/chat/completions"}) + "\n").encode()
    upload = client.files.create(file=("bad.jsonl", text), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
    failed, _ = wait_for(client, batch.id, ("failed", "completed"), timeout=60)
    assert failed.status == "failed" and failed.failed_at and failed.output_file_id is None
    assert [(e.code, e.line) for e in failed.errors.data] == [("invalid_json_line", 2), ("duplicate_custom_id", 3)]
    assert "error (line 2): Line 2: The body is not valid JSON" in server.cli("batches", "show", batch.id)
    unknown = subprocess.run([AZUR, "batches", "show", "batch_nope"], env=server.env, capture_output=True, text=True)
    assert unknown.returncode == 2 and unknown.stderr.strip() == "azur: No batch found with id 'batch_nope'."

    image = client.files.create(file=("a.png", plain_png(4, 4)), purpose="vision")
    with pytest.raises(openai.BadRequestError) as err:
        client.batches.create(input_file_id=image.id, endpoint="/v1/videos", completion_window="24h")
    assert_openai_error(err.value, 400, param="input_file_id", code="invalid_input_file")
    other = server.client(server.add_user("other-batcher"))
    with pytest.raises(openai.NotFoundError) as err:
        other.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
    assert_openai_error(err.value, 404, param="input_file_id")
    with pytest.raises(openai.NotFoundError):
        other.batches.retrieve(batch.id)
    with pytest.raises(openai.BadRequestError) as err:
        client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert_openai_error(err.value, 400, param="endpoint")
    with pytest.raises(openai.BadRequestError) as err:
        client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="1h")
    assert_openai_error(err.value, 400, param="completion_window")


def test_remix_and_extension_lines(server):
    client = server.client(server.add_user("remixer"))
    source = client.videos.poll(client.videos.create(prompt="a red circle on a blue background", **SMALL).id,
                                poll_interval_ms=100)
    assert source.status == "completed"
    lines = [
        {"custom_id": "remix", "method": "POST", "url": f"/v1/videos/{source.id}/remix",
         "body": {"prompt": "a yellow circle on a blue background"}},
        {"custom_id": "extend", "method": "POST", "url": "/v1/videos/extensions",
         "body": {"prompt": "the circle keeps going", "seconds": "1", "video": {"id": source.id}}},
        {"custom_id": "unknown", "method": "POST", "url": "/v1/videos/video_" + "0" * 32 + "/remix",
         "body": {"prompt": "nothing to remix"}},
    ]
    upload = client.files.create(file=("r.jsonl", jsonl(lines)), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
    done, _ = wait_for(client, batch.id, ("completed", "failed"))
    assert (done.status, done.request_counts.completed, done.request_counts.failed) == ("completed", 2, 1)
    output = {line["custom_id"]: line["response"]["body"] for line in read_jsonl(client, done.output_file_id)}
    assert output["remix"]["remixed_from_video_id"] == source.id and output["remix"]["size"] == source.size
    # An extension is its source and the new second, stitched: seconds is the total, as the spec says.
    assert output["extend"]["seconds"] == str(int(source.seconds) + 1)
    assert output["extend"]["prompt"] == "the circle keeps going"
    [missing] = read_jsonl(client, done.error_file_id)
    assert missing["custom_id"] == "unknown" and missing["response"]["status_code"] == 404


def test_past_its_window_a_batch_expires_and_its_waiting_requests_are_refunded(tmp_path):
    srv = AzurServer(tmp_path / "home", workers=0, env=RUNNER_ENV).start()  # no worker: nothing runs
    try:
        key = srv.add_user("late", plan="plus")
        client = srv.client(key)
        upload = client.files.create(file=("r.jsonl", jsonl([create_line(f"e{i}", prompt=f"a red box {i}")
                                                              for i in range(2)])), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/videos", completion_window="24h")
        deadline = time.monotonic() + 60
        while len(client.videos.list().data) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        usage = httpx.get(srv.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}).json()
        assert usage["videos"]["used"] == 2
        db = Database(f"sqlite:///{srv.home / 'azur.db'}")
        try:
            with db.session() as session:  # the 24 hours have passed
                session.get(Batch, batch.id).expires_at = time.time() - 1
        finally:
            db.dispose()
        done, _ = wait_for(client, batch.id, ("expired", "completed"), timeout=60)
        assert done.status == "expired" and done.expired_at and done.output_file_id is None
        assert (done.request_counts.completed, done.request_counts.failed) == (0, 2)
        errors = read_jsonl(client, done.error_file_id)
        assert [(e["custom_id"], e["error"]["code"]) for e in errors] == [("e0", "batch_expired"), ("e1", "batch_expired")]
        assert client.videos.list().data == []
        usage = httpx.get(srv.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}).json()
        assert usage["videos"]["used"] == 0
    finally:
        srv.stop()
