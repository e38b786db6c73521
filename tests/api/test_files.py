"""OpenAI's Files API on a real ``azur serve``, driven by the official client: upload, list, retrieve,
content and delete, per user, size-limited, and covered by export, erasure and the retention purge."""

from __future__ import annotations

import io
import json
import time
import zipfile

import httpx
import openai
import pytest

from azur.accounts.privacy import purge_expired
from azur.config import Settings
from azur.db.session import Database
from azur.storage.local import LocalStorage
from tests.conftest import AzurServer, assert_openai_error, plain_png

LIMIT = 64 * 1024  # the server's max_upload_bytes in this module


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-files"), workers=0,
                     env={"AZUR_SERVER__MAX_UPLOAD_BYTES": str(LIMIT)}).start()
    yield srv
    srv.stop()


def stored_files(server: AzurServer) -> list[str]:
    root = server.home / "files" / "files"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_list_retrieve_content_delete(server, client):
    lines = b'{"custom_id": "a", "method": "POST", "url": "/v1/videos", "body": {"prompt": "a red ball"}}\n'
    batch_file = client.files.create(file=("requests.jsonl", lines), purpose="batch")
    image = client.files.create(file=("cat.png", plain_png(8, 6)), purpose="vision")
    notes = client.files.create(file=("notes.txt", "été ✓".encode()), purpose="user_data")

    assert batch_file.id.startswith("file-") and batch_file.object == "file"
    assert (batch_file.filename, batch_file.purpose, batch_file.bytes) == ("requests.jsonl", "batch", len(lines))
    assert batch_file.status == "processed" and batch_file.created_at <= time.time() + 1
    assert batch_file.expires_at == batch_file.created_at + 30 * 86400  # file_retention_days

    assert client.files.retrieve(image.id) == image
    assert client.files.content(batch_file.id).content == lines
    assert client.files.content(notes.id).text == "été ✓"

    listed = client.files.list()
    assert [f.id for f in listed.data] == [notes.id, image.id, batch_file.id]
    assert [f.id for f in client.files.list(purpose="vision").data] == [image.id]
    first = client.files.list(limit=2, order="asc")
    assert [f.id for f in first.data] == [batch_file.id, image.id] and first.has_more
    assert [f.id for f in client.files.list(order="asc", limit=2, after=image.id).data] == [notes.id]

    deleted = client.files.delete(image.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (image.id, True, "file")
    with pytest.raises(openai.NotFoundError) as err:
        client.files.retrieve(image.id)
    assert_openai_error(err.value, 404, code="not_found")
    assert f"{image.id}/content" not in stored_files(server)
    assert f"{notes.id}/content" in stored_files(server)


def test_a_vision_file_must_be_an_image(server, client):
    before = stored_files(server)
    with pytest.raises(openai.BadRequestError) as err:
        client.files.create(file=("cat.png", b"\x89PNG\r\n\x1a\n not really"), purpose="vision")
    assert "must be an image" in assert_openai_error(err.value, 400, code="invalid_image", param="file")["message"]
    assert stored_files(server) == before  # nothing kept
    # The same bytes as user data are the user's business.
    assert client.files.create(file=("cat.png", b"\x89PNG\r\n\x1a\n not really"), purpose="user_data").bytes == 19


def test_another_users_file_is_not_found(server, client):
    mine = client.files.create(file=("mine.txt", b"private words"), purpose="user_data")
    bob = server.client(server.add_user("bob-files"))
    for call in (lambda: bob.files.retrieve(mine.id), lambda: bob.files.content(mine.id),
                 lambda: bob.files.delete(mine.id)):
        with pytest.raises(openai.NotFoundError) as err:
            call()
        assert_openai_error(err.value, 404, code="not_found")
    assert mine.id not in [f.id for f in bob.files.list().data]
    assert client.files.content(mine.id).content == b"private words"  # bob's delete did nothing


def test_bad_purpose_empty_and_oversized_files_are_refused(server, client, alice_key):
    with pytest.raises(openai.BadRequestError) as err:
        client.files.create(file=("x.jsonl", b"{}"), purpose="fine-tune")
    assert_openai_error(err.value, 400, param="purpose")
    with pytest.raises(openai.BadRequestError) as err:
        client.files.create(file=("x.jsonl", b""), purpose="batch")
    assert_openai_error(err.value, 400, param="file", code="empty_file")

    before = stored_files(server)
    # Just over the limit (the body as a whole fits the request allowance): the route refuses it.
    with pytest.raises(openai.APIStatusError) as err:
        client.files.create(file=("big.bin", b"x" * (LIMIT + 1)), purpose="user_data")
    assert_openai_error(err.value, 413, code="request_too_large")
    # Far over: the body is cut off as it streams.
    response = httpx.post(server.url + "/v1/files", headers={"Authorization": f"Bearer {alice_key}"},
                          files={"file": ("huge.bin", b"x" * (4 * LIMIT))}, data={"purpose": "user_data"})
    assert_openai_error(response, 413, code="request_too_large")
    assert stored_files(server) == before
    exactly = client.files.create(file=("limit.bin", b"y" * LIMIT), purpose="user_data")
    assert exactly.bytes == LIMIT


def test_files_are_exported_erased_and_purged_when_expired(server):
    key = server.add_user("carol-files")
    carol = server.client(key)
    kept = carol.files.create(file=("keep.txt", b"carol's own words"), purpose="user_data")
    short = carol.files.create(file=("short.txt", b"gone soon"), purpose="user_data",
                               expires_after={"anchor": "created_at", "seconds": 3600})
    assert short.expires_at == short.created_at + 3600

    export = httpx.get(server.url + "/v1/me/export", headers={"Authorization": f"Bearer {key}"})
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert archive.read(f"uploads/{kept.id}/keep.txt") == b"carol's own words"
    assert {f["id"] for f in json.loads(archive.read("files.json"))} == {kept.id, short.id}

    settings = Settings(home=server.home)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            done = purge_expired(session, LocalStorage(settings.resolved_storage_dir), settings,
                                 now=time.time() + 3700)
            session.commit()
    finally:
        db.dispose()
    assert done.files_expired >= 1
    with pytest.raises(openai.NotFoundError):
        carol.files.retrieve(short.id)
    assert f"{short.id}/content" not in stored_files(server)
    assert carol.files.content(kept.id).content == b"carol's own words"

    assert httpx.delete(server.url + "/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert f"{kept.id}/content" not in stored_files(server)
