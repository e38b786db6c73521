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
import pytest

pytestmark = pytest.mark.slow


def _root_conftest():
    """tests/conftest.py (its ``AzurServer``: the real server on loopback); the name ``conftest`` is this
    folder's own, so it is loaded by path."""
    spec = importlib.util.spec_from_file_location("azur_root_conftest", Path(__file__).parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AzurServer = _root_conftest().AzurServer


@pytest.fixture(scope="module")
def wan_server(tmp_path_factory, tiny_models):
    home = tmp_path_factory.mktemp("azur-home-diffusers")
    server = AzurServer(home, env={"HF_HUB_OFFLINE": "1"})
    server.home.mkdir(parents=True, exist_ok=True)
    server.cli("models", "add", "tiny-wan", "--family", "wan", "--path", str(tiny_models["wan"]),
               "--option", "steps=3", "--option", "area=1024", "--option", "max_frames=9",
               "--option", "max_sequence_length=16")
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
