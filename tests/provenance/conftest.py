"""Shared real files for the provenance tests: a video made by the real pipeline, marked and signed."""

from __future__ import annotations

from pathlib import Path

import pytest

from azur.config import ProvenanceSettings, Settings
from azur.engine.backend import Clip, ModelInfo, register_backend, unregister_backend
from azur.engine.request import VideoRequest, make_request
from azur.media import synthetic
from azur.media.encode import EncodeOptions
from azur.pipeline import make_video

SYNTHETIC_MODEL = "test-synthetic"


class SyntheticBackend:
    """A backend that draws :mod:`azur.media.synthetic` clips: the engine seam, without model weights.

    The prompt names the clip kind ("flat", "gradient", "noise" or "footage")."""

    info = ModelInfo(SYNTHETIC_MODEL, "test", "synthetic clips for tests", 60, False)

    def check(self, request: VideoRequest) -> list[str]:
        return []

    def generate(self, request: VideoRequest, progress=None) -> Clip:  # type: ignore[no-untyped-def]
        frames = synthetic.clip(request.prompt, request.width, request.height, request.frame_count, request.seed)
        return Clip(frames=frames, frame_count=request.frame_count, fps=request.fps)


@pytest.fixture(scope="session")
def synthetic_model():
    register_backend(SYNTHETIC_MODEL, SyntheticBackend)
    yield SYNTHETIC_MODEL
    unregister_backend(SYNTHETIC_MODEL)


@pytest.fixture(scope="session")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("azur-home")


@pytest.fixture(scope="session")
def settings(home: Path) -> Settings:
    return Settings(home=home, provenance=ProvenanceSettings(c2pa=True, watermark=True, visible_mark=False))


def make_marked(settings: Settings, model: str, out: Path, *, kind: str = "flat", seconds: float = 4,
                size: str = "1280x720", container: str = "mp4", seed: int = 1, video_id: str | None = None):
    request = make_request(kind, seconds=seconds, size=size, seed=seed, model=model)
    return make_video(request, out, video_id=video_id, settings=settings, encode=EncodeOptions(container=container))


@pytest.fixture(scope="session")
def marked_mp4(settings: Settings, synthetic_model: str, tmp_path_factory):
    """A 4 s 720p flat-scene MP4 from the real pipeline (watermark + C2PA), and its VideoResult."""
    out = tmp_path_factory.mktemp("marked") / "marked.mp4"
    return make_marked(settings, synthetic_model, out, video_id="video_" + "3f" * 16)
