"""Fixtures for the engine tests: tiny diffusers pipelines of each family, built once per session, and an
isolated Azur home (its own model catalog) per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("diffusers", reason="the diffusers extra is not installed: pip install -e '.[dev]'")

import tiny_pipelines

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded, ever

# Options that keep every tiny run to a fraction of a second: 32x32 pixels, 2 steps, short prompts,
# and windows of 9 frames (17 for LTX), so a 1-second clip already needs windowed extension.
TINY_OPTIONS = {
    "wan": {"area": 1024, "steps": 2, "max_frames": 9, "max_sequence_length": 16},
    "wan-i2v": {"area": 1024, "steps": 2, "max_frames": 9, "max_sequence_length": 16},
    "ltx": {"area": 1024, "steps": 2, "max_frames": 17, "max_sequence_length": 16},
    "cogvideox": {"area": 1024, "steps": 2, "max_frames": 9},
    "wan22-a14b": {"area": 1024, "steps": 4, "max_frames": 17, "max_sequence_length": 16},
    "wan22-ti2v": {"area": 1024, "steps": 2, "max_frames": 25, "fps": 24, "max_sequence_length": 16},
    "skyreels": {"area": 1024, "steps": 2, "max_sequence_length": 16},
    "ltx2": {"area": 1024, "steps": 2, "max_frames": 17, "max_sequence_length": 16},
}
FAMILY = {"wan": "wan", "wan-i2v": "wan", "ltx": "ltx", "cogvideox": "cogvideox", "wan22-a14b": "wan",
          "wan22-ti2v": "wan", "skyreels": "skyreels", "ltx2": "ltx2"}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Folders of tiny random pipelines, keyed ``wan``, ``wan-i2v``, ``ltx``, ``cogvideox``."""
    root = tmp_path_factory.mktemp("tiny-diffusers")
    return {key: build(root / key) for key, build in tiny_pipelines.BUILDERS.items()}


@pytest.fixture
def azur_home(tmp_path, monkeypatch) -> Path:
    """A fresh AZUR_HOME (settings and model catalog) for one test."""
    from azur.config import get_settings

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AZUR_HOME", str(home))
    monkeypatch.delenv("AZUR_CONFIG", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def installed(azur_home, tiny_models):
    """Install the tiny model ``key`` as ``tiny-<key>`` in the test's catalog; returns its name."""
    from azur.engine.catalog import ModelSpec, open_catalog

    def install(key: str, **options) -> str:
        name = f"tiny-{key}"
        open_catalog().add(ModelSpec(name, FAMILY[key], tiny_models[key], {**TINY_OPTIONS[key], **options}),
                           replace=True)
        return name

    return install
