"""Shared fixtures: the shipped model is loaded once per session (it takes ~0.1 s, but tests use it a lot)."""

from __future__ import annotations

import pytest

from azur.embedded.sample import TinyVideoModel


@pytest.fixture(scope="session")
def shipped_model() -> TinyVideoModel:
    return TinyVideoModel.load()
