"""Every error path answers OpenAI's envelope with the right status; nothing answers FastAPI's 422.

These run against a server without workers (jobs stay queued), which is also how "content not ready"
and "remix of an unfinished video" are reached deterministically.
"""

from __future__ import annotations

import httpx
import openai
import pytest
from tests.conftest import AzurServer, assert_openai_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), workers=0, env={"AZUR_SERVER__MAX_UPLOAD_BYTES": "100000"})
    yield srv.start()
    srv.stop()


@pytest.fixture(scope="module")
def queued(client):
    return client.videos.create(prompt="a red ball", seconds="1", size="480x480")


def http(server, key, method, path, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"size": "640x360"}, "size"),
        ({"size": "big"}, "size"),
        ({"seconds": "0"}, "seconds"),
        ({"seconds": "21"}, "seconds"),
        ({"seconds": "four"}, "seconds"),
        ({"model": "sora-3"}, "model"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 32_001}, "prompt"),
        ({"extra_body": {"style": "baroque"}}, "style"),
        ({"extra_body": {"seed": -1}}, "seed"),
        ({"extra_body": {"seed": "abc"}}, "seed"),
        ({"extra_body": {"colour": "red"}}, "colour"),
    ],
)
def test_bad_options_answer_400_naming_the_option(client, options, param):
    options = {"prompt": "a red ball", **options}
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(**options)
    error = assert_openai_error(caught.value, 400, param=param)
    assert error["type"] == "invalid_request_error"


def test_unknown_model_names_the_allowed_ones(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="a ball", model="veo-3")
    assert "azur-tiny" in assert_openai_error(caught.value, 400, param="model")["message"]


def test_bad_bodies_answer_400(server, alice_key):
    for kwargs, code in [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, "invalid_json"),
        ({"json": ["a", "list"]}, "invalid_json"),
        ({"json": {}}, "missing_required_parameter"),
        ({"json": {"prompt": 5}}, "invalid_value"),
        ({"json": {"prompt": "x", "input_reference": {"file_id": 5}}}, None),
        ({"json": {"prompt": "x", "input_reference": {"file_id": "file-1", "image_url": "data:,"}}}, None),
        ({"json": {"prompt": "x", "input_reference": {"image_url": "https://example.com/a.png"}}}, None),
        ({"json": {"prompt": "x", "input_reference": {"image_url": "data:image/png;base64,@@@"}}}, None),
        ({"files": {"input_reference": ("a.png", b"not an image", "image/png")}, "data": {"prompt": "x"}}, None),
        ({"content": b"prompt=x", "headers": {"Content-Type": "text/plain"}}, "unsupported_content_type"),
    ]:
        headers = {"Authorization": f"Bearer {alice_key}", **kwargs.pop("headers", {})}
        response = httpx.post(server.url + "/v1/videos", headers=headers, timeout=30, **kwargs)
        assert_openai_error(response, 400, code=code)


def test_bad_keys_answer_401(server, alice_key):
    assert_openai_error(http(server, None, "GET", "/v1/videos"), 401, code="invalid_api_key")
    for key in ("wrong", "sk-azur-" + "x" * 43):
        with pytest.raises(openai.AuthenticationError) as caught:
            server.client(key).videos.list()
        assert_openai_error(caught.value, 401, code="invalid_api_key")
    # A bad key is refused before its body is looked at.
    assert_openai_error(http(server, "wrong", "POST", "/v1/videos", json={}), 401)


def test_revoked_key_answers_401(server):
    key = server.add_user("revoked-user")
    assert server.client(key).videos.list().data == []
    key_id = next(line.split()[0] for line in server.cli("keys", "list", "revoked-user").splitlines()[1:])
    server.cli("keys", "revoke", key_id)
    with pytest.raises(openai.AuthenticationError):
        server.client(key).videos.list()


def test_unknown_and_foreign_ids_answer_404(server, client, queued):
    other = server.client(server.add_user("other"))
    for video_id in ("video_" + "0" * 32, "nope", queued.id):
        who = client if video_id != queued.id else other
        for call in (who.videos.retrieve, who.videos.delete, who.videos.download_content):
            with pytest.raises(openai.NotFoundError) as caught:
                call(video_id)
            assert_openai_error(caught.value, 404, code="not_found")
    with pytest.raises(openai.NotFoundError):
        client.videos.list(after="video_" + "1" * 32)
    assert_openai_error(http(server, None, "GET", "/v1/nothing-here"), 404)
    assert_openai_error(http(server, None, "PUT", "/healthz"), 405)


def test_unfinished_video_answers_409(client, queued):
    for variant in ("video", "thumbnail", "spritesheet"):
        with pytest.raises(openai.ConflictError) as caught:
            client.videos.download_content(queued.id, variant=variant)
        assert_openai_error(caught.value, 409, code="video_not_ready")
    with pytest.raises(openai.ConflictError):
        client.videos.remix(queued.id, prompt="again")
    with pytest.raises(openai.ConflictError):
        client.videos.extend(prompt="more", seconds="4", video=openai.omit, extra_body={"video": {"id": queued.id}})


def test_too_large_upload_answers_413(client, server, alice_key):
    with pytest.raises(openai.APIStatusError) as caught:
        client.videos.create(prompt="x", input_reference=("big.png", b"0" * 200_000, "image/png"))
    assert_openai_error(caught.value, 413)

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(30):
            yield b" " * 10_000

    response = httpx.post(server.url + "/v1/videos", content=chunks(), timeout=30,
                          headers={"Authorization": f"Bearer {alice_key}", "Content-Type": "application/json"})
    assert_openai_error(response, 413)


def test_query_and_variant_errors_are_400_not_422(server, alice_key, client, queued):
    for path in ("/v1/videos?limit=abc", "/v1/videos?limit=-1", "/v1/videos?limit=101", "/v1/videos?order=sideways",
                 f"/v1/videos/{queued.id}/content?variant=gif"):
        assert_openai_error(http(server, alice_key, "GET", path), 400)


def test_a_character_from_bytes_that_are_no_picture_is_refused_clearly(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="me", video=("me.mp4", b"x", "video/mp4"))
    assert_openai_error(caught.value, 400, code="invalid_image", param="video")
