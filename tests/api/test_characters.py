"""Characters on a real ``azur serve`` through the official client: made from an image, then used by two
clips with different prompts (by id and by name); the object in both is the character's, judged from the
delivered pixels, and not what the prompts alone give. Also: retrieve, list, delete, ownership, the name
and likeness rules, and GDPR export and erasure."""

from __future__ import annotations

import io
import json
import zipfile

import av
import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from azur.embedded.delivered import judge_delivered, judge_picture
from azur.embedded.world import Scene, render
from tests.conftest import assert_openai_error, png_bytes


def drawn(colour: str, shape: str, background: str, radius: float = 0.18, side: int = 384) -> np.ndarray:
    """A picture of one object, drawn by the embedded world's own renderer (the ground truth)."""
    scene = Scene(colour, background, shape, "right", 0.5, 0.5, radius, 0.0)
    return (render([scene], np.zeros((1, 1), np.float32), resolution=side)[0, 0] * 255 + 0.5).astype(np.uint8)


def decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def made(client: openai.OpenAI, prompt: str, **extra) -> list[np.ndarray]:
    video = client.videos.create_and_poll(prompt=prompt, seconds="2", size="854x480", **extra)
    assert video.status == "completed", video.error
    return decode(client.videos.download_content(video.id).read())


@pytest.fixture(scope="module")
def rex(client):
    return client.videos.create_character(name="Rex", video=("rex.png", png_bytes(drawn("red", "star", "white")),
                                                             "image/png"))


def test_a_character_looks_the_same_in_clips_whatever_their_prompts_say(server, client, rex):
    assert rex.id.startswith("char_") and rex.name == "Rex" and rex.created_at > 0
    assert client.videos.get_character(rex.id).name == "Rex"
    first_prompt = "a blue circle moving right on a yellow background"
    second_prompt = "Rex, a small green square falling on a black background"
    by_id = made(client, first_prompt, extra_body={"character_ids": [rex.id], "seed": 3})
    by_name = made(client, second_prompt, extra_body={"seed": 4})
    # The prompts alone (a user with no character called Rex): what the words would give.
    alone = server.client(server.add_user("no-characters"))
    plain = [judge_delivered(made(alone, prompt, extra_body={"seed": 3})) for prompt in (first_prompt, second_prompt)]
    assert [(v.object_color, v.shape) for v in plain] == [("blue", "circle"), ("green", "square")]

    sizes = []
    for frames, background, motion in ((by_id, "yellow", "right"), (by_name, "black", "down")):
        verdict = judge_delivered(frames)
        # The character's colour and shape; the prompt still sets the background and the motion.
        assert (verdict.object_color, verdict.shape) == ("red", "star"), verdict.labels()
        assert (verdict.background_color, verdict.motion) == (background, motion), verdict.labels()
        assert verdict.whole > 0.9
        sizes.append(judge_picture(frames[0]).reach)
    look = client.videos.get_character(rex.id).model_extra["look"]
    assert look == {"object_color": "red", "shape": "star", "size": pytest.approx(look["size"])}
    # The same size in both ("small" in the second prompt changes nothing), near the character's own.
    assert abs(sizes[0] - sizes[1]) < 0.1 * sizes[0], sizes
    assert all(abs(s - look["size"]) < 0.25 * look["size"] for s in sizes), (sizes, look)


def test_list_retrieve_delete_and_ownership(server, client):
    ids = [client.videos.create_character(name=f"Blob {i}", video=("b.png", png_bytes(drawn(c, "circle", "black")),
                                                                     "image/png")).id
           for i, c in enumerate(("green", "orange"))]
    headers = {"Authorization": f"Bearer {client.api_key}"}
    listed = httpx.get(server.url + "/v1/videos/characters", headers=headers, params={"limit": 1}).json()
    assert listed["object"] == "list" and listed["data"][0]["id"] == ids[1] and listed["has_more"]
    page = httpx.get(server.url + "/v1/videos/characters", headers=headers,
                     params={"limit": 100, "after": ids[1]}).json()
    assert ids[0] in [c["id"] for c in page["data"]] and ids[1] not in [c["id"] for c in page["data"]]
    assert listed["data"][0]["look"]["object_color"] == "orange"

    stranger = server.client(server.add_user("stranger"))
    with pytest.raises(openai.NotFoundError) as hidden:
        stranger.videos.get_character(ids[0])
    assert_openai_error(hidden.value, 404)
    with pytest.raises(openai.NotFoundError) as not_theirs:  # nor can they use it
        stranger.videos.create(prompt="a ball", extra_body={"character_ids": [ids[0]]})
    assert_openai_error(not_theirs.value, 404, param="character_ids")

    deleted = httpx.delete(f"{server.url}/v1/videos/characters/{ids[0]}", headers=headers).json()
    assert deleted == {"id": ids[0], "object": "character.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.videos.get_character(ids[0])


def test_names_pictures_and_counts_are_checked(client, rex):
    star = ("s.png", png_bytes(drawn("yellow", "star", "blue")), "image/png")
    with pytest.raises(openai.ConflictError) as taken:
        client.videos.create_character(name="rex", video=star)  # a prompt's "rex" names "Rex"
    assert_openai_error(taken.value, 409, code="character_name_taken", param="name")
    with pytest.raises(openai.BadRequestError) as nameless:
        client.videos.create_character(name=" -- ", video=star)
    assert_openai_error(nameless.value, 400, param="name")
    flat = np.full((64, 64, 3), 200, np.uint8)
    with pytest.raises(openai.BadRequestError) as empty:
        client.videos.create_character(name="Nobody", video=("flat.png", png_bytes(flat), "image/png"))
    assert_openai_error(empty.value, 400, code="invalid_image", param="video")
    with pytest.raises(openai.BadRequestError) as garbage:
        client.videos.create_character(name="Noise", video=("x.mp4", b"not a video at all", "video/mp4"))
    assert_openai_error(garbage.value, 400, code="invalid_image", param="video")
    client.videos.create_character(name="Sunny", video=star)
    with pytest.raises(openai.BadRequestError) as two:
        client.videos.create(prompt="Rex and Sunny on a white background")
    assert_openai_error(two.value, 400, param="prompt")


def test_a_character_from_a_video_and_from_a_photograph(server, client):
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width = stream.height = 256
        stream.pix_fmt = "yuv420p"
        for _ in range(12):
            for packet in stream.encode(av.VideoFrame.from_ndarray(drawn("purple", "triangle", "white", side=256),
                                                                   format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    made_from_video = client.videos.create_character(name="Tri", video=("tri.mp4", buffer.getvalue(), "video/mp4"))
    assert made_from_video.model_extra["look"]["shape"] == "triangle"
    assert made_from_video.model_extra["look"]["object_color"] == "purple"

    skimage = pytest.importorskip("skimage.data")
    photo = ("astronaut.png", png_bytes(skimage.astronaut()), "image/png")
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create_character(name="Eileen", video=photo)
    assert assert_openai_error(refused.value, 400, code="moderation_blocked", param="video")["category"] == "likeness"
    consented = client.videos.create_character(name="Eileen", video=photo, extra_body={"likeness_consent": "true"})
    assert consented.name == "Eileen"
    assert "likeness.consent_given" in server.cli("audit", "--action", "likeness.")


def test_export_and_erasure_cover_characters(server):
    key = server.add_user("leaving")
    client = server.client(key)
    picture = png_bytes(drawn("white", "square", "black"))
    character = client.videos.create_character(name="Cube", video=("cube.png", picture, "image/png"))
    headers = {"Authorization": f"Bearer {key}"}
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(server.url + "/v1/me/export", headers=headers, timeout=60).content))
    listed = json.loads(archive.read("characters.json"))
    assert [(c["id"], c["name"], c["look"]["shape"]) for c in listed] == [(character.id, "Cube", "square")]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(archive.read(f"files/{character.id}/reference.png")))),
                          np.asarray(Image.open(io.BytesIO(picture))))
    stored = list((server.home / "files").rglob(f"*{character.id}*"))
    assert stored
    assert httpx.delete(server.url + "/v1/me", headers=headers, timeout=60).status_code == 200
    assert not any(p.exists() for p in stored)
    assert not list((server.home / "files").rglob(f"*{character.id}*"))


def test_an_extension_and_an_edit_go_on_showing_the_sources_character(client, rex):
    source = client.videos.create_and_poll(prompt="a blue circle moving right on a yellow background", seconds="2",
                                           size="854x480", extra_body={"character_ids": [rex.id], "seed": 3})
    assert source.status == "completed", source.error
    assert source.model_extra["character_ids"] == [rex.id]
    new_prompt = "a green square moving left on a black background"
    for path, body in (("/v1/videos/extensions", {"seconds": "2", "stitch": False}), ("/v1/videos/edits", {})):
        answer = httpx.post(f"{client.base_url}videos{path.removeprefix('/v1/videos')}",
                            headers={"Authorization": f"Bearer {client.api_key}"},
                            json={"prompt": new_prompt, "video": {"id": source.id}, "seed": 5, **body}, timeout=60)
        assert answer.status_code == 200, answer.text
        video = client.videos.poll(answer.json()["id"])
        assert video.status == "completed", video.error
        assert video.model_extra["character_ids"] == [rex.id]
        verdict = judge_delivered(decode(client.videos.download_content(video.id).read()))
        # Rex's colour and shape whatever the new prompt says (without it: an orange square, half Rex, half the
        # prompt); the motion is the new prompt's; both start from the source's frame, so its yellow stays.
        assert verdict.labels() == {"object_color": "red", "shape": "star", "motion": "left",
                                    "background_color": "yellow"}, path
