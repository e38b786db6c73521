"""A tiny Wan model installed with ``azur models add`` and used through the real ``azur serve``, driven by
the official ``openai`` client: ``GET /v1/models`` lists it, ``model=`` picks it, progress moves, and the
MP4 has the asked size and duration."""

from __future__ import annotations

import importlib.util
import io
import json
import time
from pathlib import Path

import av
import httpx
import numpy as np
import openai
import pytest

pytestmark = pytest.mark.slow


def _root_conftest():
    """tests/conftest.py (its ``AzurServer``: the real server on loopback); the name ``conftest`` is this
    folder's own, so it is loaded by path."""
    spec = importlib.util.spec_from_file_location("azur_root_conftest", Path(__file__).parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _root_conftest()
AzurServer, assert_openai_error = _root.AzurServer, _root.assert_openai_error


@pytest.fixture(scope="module")
def wan_server(tmp_path_factory, tiny_models):
    home = tmp_path_factory.mktemp("azur-home-diffusers")
    # No invisible watermark: it carries each video's id, so clips of the same seed would differ by it.
    server = AzurServer(home, env={"HF_HUB_OFFLINE": "1", "AZUR_PROVENANCE__WATERMARK": "false"})
    server.home.mkdir(parents=True, exist_ok=True)
    import tiny_pipelines

    lora = tiny_pipelines.build_wan_lora(tmp_path_factory.mktemp("lora") / "sketch")
    server.cli("models", "add", "tiny-wan", "--family", "wan", "--path", str(tiny_models["wan"]),
               "--option", "steps=3", "--option", "area=1024", "--option", "max_frames=9",
               "--option", "max_sequence_length=16", "--lora-choice", f"sketch={lora}:0.8")
    listed = {row["name"] for row in json.loads(server.cli("models", "list", "--json"))}
    assert "tiny-wan" in listed
    server.start()
    yield server
    server.stop()


def test_api_lists_and_runs_an_installed_model(wan_server):
    client = wan_server.client(wan_server.add_user("bob"))
    assert "tiny-wan" in {model.id for model in client.models.list()}

    video = client.videos.create(prompt="a red ball bounces on a blue floor", model="tiny-wan", seconds="2",
                                 size="854x480")
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        video = client.videos.retrieve(video.id)
        seen.append(video.progress)
        if video.status in ("completed", "failed"):
            break
        time.sleep(0.05)
    assert video.status == "completed", video
    assert video.model == "tiny-wan"
    # Per-step progress of the model's share (pipeline.make_video gives it 0-85%) moves forward.
    model_part = [p for p in seen if p <= 85]
    assert model_part == sorted(model_part) and any(0 < p < 85 for p in seen), seen
    data = client.videos.download_content(video.id).content
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 48 and frames[0].shape == (480, 854, 3)


def _frames(client, video) -> np.ndarray:
    deadline = time.monotonic() + 600  # a loaded CI machine; the tiny model itself takes seconds
    while video.status not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        video = client.videos.retrieve(video.id)
    assert video.status == "completed", video
    with av.open(io.BytesIO(client.videos.download_content(video.id).content)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(float)


def test_models_describe_family_licence_capabilities_presets_and_loras(wan_server):
    client = wan_server.client(wan_server.add_user("carol"))
    models = {model.id: model.model_dump() for model in client.models.list()}
    wan = models["tiny-wan"]
    assert wan["family"] == "wan" and wan["capabilities"] == {"first_frame": True, "sound": False, "max_seconds": 20}
    assert {q: p["steps"] for q, p in wan["presets"].items()} == {"draft": 2, "standard": 3, "high": 5}
    assert wan["loras"] == [{"name": "sketch", "scale": 0.8}]
    assert wan["licence"] is None  # added from a folder: Azur does not know its licence
    tiny = models["azur-tiny"]
    assert tiny["family"] == "embedded" and tiny["licence"]["id"] == "apache-2.0" and tiny["presets"] == {}
    assert client.models.retrieve("tiny-wan").model_dump()["loras"] == wan["loras"]


def test_a_request_picks_a_lora_and_a_quality_through_extra_body(wan_server):
    client = wan_server.client(wan_server.add_user("dave"))
    asked = dict(prompt="a red ball bounces on a blue floor", model="tiny-wan", seconds="1", size="480x480")
    plain = _frames(client, client.videos.create(**asked, extra_body={"seed": 7}))
    styled = _frames(client, client.videos.create(**asked, extra_body={"seed": 7, "lora": "sketch"}))
    again = _frames(client, client.videos.create(**asked, extra_body={"seed": 7, "lora": "sketch:0.8"}))
    draft = _frames(client, client.videos.create(**asked, extra_body={"seed": 7, "quality": "draft"}))
    # Same seed and adapter: the same clip up to H.264's rounding (means of grey levels over every pixel).
    effect = np.abs(styled - plain).mean()
    assert effect > 0.25 and np.abs(again - styled).mean() < 0.2 * effect  # 0.8: its registered scale
    # The JSON form of several adapters (the openai client sends multipart, which carries only `lora`).
    listed = httpx.post(wan_server.url + "/v1/videos", headers={"Authorization": f"Bearer {client.api_key}"},
                        json={**asked, "seed": 7, "loras": [{"name": "sketch", "scale": 0.8}]}, timeout=60)
    assert listed.status_code == 200, listed.text
    assert np.abs(_frames(client, client.videos.retrieve(listed.json()["id"])) - styled).mean() < 0.2 * effect
    assert np.abs(draft - plain).mean() > 0.5 * effect  # 2 steps instead of 3

    for extra, param, words in (({"lora": "watercolor"}, "loras", "has no LoRA 'watercolor'. Its LoRAs: sketch."),
                                ({"quality": "ultra"}, "quality", "quality")):
        with pytest.raises(openai.BadRequestError) as error:
            client.videos.create(**asked, extra_body=extra)
        assert words in assert_openai_error(error.value, 400, param=param)["message"]
    with pytest.raises(openai.BadRequestError) as error:
        client.videos.create(prompt="a cat", model="azur-tiny", extra_body={"quality": "draft"})
    assert "has no quality presets" in assert_openai_error(error.value, 400, param="quality")["message"]


def test_remix_extension_and_edit_go_on_with_the_sources_lora(wan_server):
    client = wan_server.client(wan_server.add_user("erin"))
    asked = dict(prompt="a red ball bounces on a blue floor", model="tiny-wan", seconds="1", size="480x480")
    plain = _frames(client, client.videos.create(**asked, extra_body={"seed": 7}))
    source = client.videos.create(**asked, extra_body={"seed": 7, "lora": "sketch"})
    styled = _frames(client, source)
    assert client.videos.retrieve(source.id).model_extra["loras"] == [{"name": "sketch", "scale": None}]
    effect = np.abs(styled - plain).mean()
    assert effect > 0.25
    # The same prompt and seed remixed: the LoRA comes along, so the clip is the source's again.
    remixed = _frames(client, client.videos.remix(source.id, prompt=asked["prompt"]))
    assert np.abs(remixed - styled).mean() < 0.2 * effect
    # Unless the remix asks for its own choice.
    drafted_remix = client.videos.remix(source.id, prompt=asked["prompt"], extra_body={"quality": "draft"})
    assert drafted_remix.model_extra["quality"] == "draft" and drafted_remix.model_extra["loras"][0]["name"] == "sketch"
    drafted = _frames(client, drafted_remix)
    assert np.abs(drafted - styled).mean() > 0.5 * effect

    def made(path: str, **body) -> np.ndarray:
        answer = httpx.post(wan_server.url + path, headers={"Authorization": f"Bearer {client.api_key}"},
                            json={"prompt": asked["prompt"], "video": {"id": source.id}, **body}, timeout=60)
        assert answer.status_code == 200, answer.text
        return _frames(client, client.videos.retrieve(answer.json()["id"]))

    # Naming the source's LoRA again changes nothing: an extension or edit without it already has it.
    for path, body in (("/v1/videos/extensions", {"seconds": "1", "stitch": False}), ("/v1/videos/edits", {})):
        assert np.abs(made(path, **body) - made(path, **body, lora="sketch")).mean() < 0.2 * effect, path
