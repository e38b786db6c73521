"""Azur against OpenAI's published Videos contract: responses validated with the schemas of OpenAI's OpenAPI
document (vendored in ``openai_spec/``, see its PROVENANCE.md), the spec's defaults, 32,000-character
prompts, ``x-request-id``, ``HEAD`` on content, ``limit=0``, and Azur's own OpenAPI document stating every
field its responses always carry."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import openai
import pytest

from tests.conftest import assert_openai_error

pytestmark = pytest.mark.slow

SPEC = json.loads((Path(__file__).parent / "openai_spec" / "openai_videos_schema.json").read_text())


def check(instance: dict, schema_name: str) -> None:
    """Raise unless ``instance`` is valid for OpenAI's ``components.schemas[schema_name]``."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def raw(server, key: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return httpx.request(method, server.url + path, headers=headers, timeout=60, **kwargs)


def test_the_vendored_schema_refuses_what_openai_would_not_send():
    """The check can fail: a video without ``error`` or with an unknown status is not OpenAI's shape."""
    good = {"id": "video_1", "object": "video", "model": "sora-2", "status": "queued", "progress": 0,
            "created_at": 1, "completed_at": None, "expires_at": None, "prompt": "p", "size": "720x1280",
            "seconds": "4", "remixed_from_video_id": None, "error": None}
    check(good, "VideoResource")
    for broken in ({k: v for k, v in good.items() if k != "error"}, {**good, "status": "done"},
                   {**good, "seconds": 4}, {**good, "size": "640x480"}):
        with pytest.raises(jsonschema.ValidationError):
            check(broken, "VideoResource")


def test_a_video_made_with_the_spec_defaults_matches_openais_schemas_at_every_step(server, client, alice_key):
    created = raw(server, alice_key, "POST", "/v1/videos", json={"prompt": "a red circle moving right"})
    assert created.status_code == 200, created.text
    check(created.json(), "VideoResource")
    assert (created.json()["size"], created.json()["seconds"]) == ("720x1280", "4")  # the spec's defaults
    video_id = created.json()["id"]

    done = client.videos.poll(video_id, poll_interval_ms=300)
    assert done.status == "completed", done.error
    got = raw(server, alice_key, "GET", f"/v1/videos/{video_id}").json()
    check(got, "VideoResource")
    assert got["status"] == "completed" and got["completed_at"] and got["expires_at"]
    check(raw(server, alice_key, "GET", "/v1/videos?limit=2").json(), "VideoListResource")

    head = raw(server, alice_key, "HEAD", f"/v1/videos/{video_id}/content")
    body = raw(server, alice_key, "GET", f"/v1/videos/{video_id}/content")
    assert head.status_code == body.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "video/mp4"
    assert int(head.headers["content-length"]) == len(body.content) > 1000
    thumb = raw(server, alice_key, "HEAD", f"/v1/videos/{video_id}/content?variant=thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"

    deleted = raw(server, alice_key, "DELETE", f"/v1/videos/{video_id}").json()
    check(deleted, "DeletedVideoResource")
    assert raw(server, alice_key, "HEAD", f"/v1/videos/{video_id}/content").status_code == 404


def test_a_plan_below_720p_gets_the_largest_portrait_size_it_allows_by_default(server):
    free = server.client(server.add_user("frugal", plan="free"))
    video = free.videos.create(prompt="a blue square moving up", seconds="1")
    assert video.size == "480x854"


def test_a_32000_character_prompt_is_accepted_and_the_unread_part_is_noted(server, client, alice_key):
    prompt = ("a red circle moving right on a blue background " * 700)[:32_000]
    video = client.videos.create_and_poll(prompt=prompt, seconds="1", size="480x480", poll_interval_ms=300)
    assert video.status == "completed", video.error
    assert video.prompt == prompt.strip()
    notes = raw(server, alice_key, "GET", f"/v1/videos/{video.id}").json()["notes"]
    assert any("reads the first 32" in note for note in notes), notes
    with pytest.raises(openai.BadRequestError) as too_long:
        client.videos.create(prompt=prompt + "x", seconds="1", size="480x480")
    assert_openai_error(too_long.value, 400, param="prompt")


def test_every_response_carries_a_request_id_and_a_clients_own_is_kept(server, alice_key):
    answers = [
        httpx.get(server.url + "/healthz"),
        httpx.get(server.url + "/v1/videos"),  # 401
        raw(server, alice_key, "GET", "/v1/videos/video_" + "0" * 32),  # 404
        raw(server, alice_key, "GET", "/v1/videos?limit=abc"),  # 400
        httpx.get(server.url + "/"),  # the studio
    ]
    ids = [a.headers.get("x-request-id") for a in answers]
    assert all(i and i.startswith("req_") for i in ids), ids
    assert len(set(ids)) == len(ids)
    mine = raw(server, alice_key, "GET", "/v1/videos", headers={"x-request-id": "trace-42.abc"})
    assert mine.headers["x-request-id"] == "trace-42.abc"
    hostile = raw(server, alice_key, "GET", "/v1/videos", headers={"x-request-id": "a b" + "c" * 300})
    assert hostile.headers["x-request-id"].startswith("req_")
    # The official client reads it too.
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=alice_key, max_retries=0)
    assert client.videos.with_raw_response.list().headers["x-request-id"].startswith("req_")


def test_limit_zero_lists_nothing_and_says_whether_there_is_more(server, client, alice_key):
    client.videos.create(prompt="a yellow star", seconds="1", size="480x480")
    page = client.videos.list(limit=0)
    assert page.data == [] and page.has_more is True
    answer = raw(server, alice_key, "GET", "/v1/videos?limit=0").json()
    check(answer, "VideoListResource")
    assert answer["first_id"] is None and answer["last_id"] is None


def test_azurs_openapi_document_requires_every_field_responses_always_carry(server):
    schemas = httpx.get(server.url + "/openapi.json").json()["components"]["schemas"]
    for name in ("VideoPublic", "VideoList", "VideoDeleted", "ErrorBody", "ErrorDetail", "VideoError",
                 "WebhookEndpointPublic", "WebhookEndpointWithSecret", "WebhookDeliveryPublic"):
        schema = schemas[name]
        assert set(schema.get("required", [])) == set(schema["properties"]), name
    # Required and nullable, as in OpenAI's document: the field is always there, its value may be null.
    completed_at = schemas["VideoPublic"]["properties"]["completed_at"]
    assert {"type": "null"} in completed_at["anyOf"]
