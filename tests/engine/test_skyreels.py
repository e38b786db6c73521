"""SkyReels-V2 diffusion forcing on a tiny random pipeline: a clip longer than the model's block is made in
one pipeline call that extends itself (base frames, then overlapping blocks), at 24 fps; a first frame is
refused with the reason."""

from __future__ import annotations

import pytest

from azur.engine.backend import get_backend
from azur.engine.backends import skyreels
from azur.engine.request import InvalidRequest, make_request


def test_a_long_clip_is_one_self_extending_call(installed, monkeypatch):
    monkeypatch.setattr(skyreels, "BASE_FRAMES", 9)  # tiny blocks, so 2 s needs several
    monkeypatch.setattr(skyreels, "OVERLAP_FRAMES", 5)
    backend = get_backend(installed("skyreels"))
    request = make_request("waves roll onto a sandy beach", model=backend.spec.name, seed=4, seconds=2, size="854x480")
    plan = backend.plan(request)
    assert list(plan.windows) == [49] and plan.native_fps == 24  # one Azur window: the pipeline extends itself
    arguments = backend.call_arguments("x", 49, plan.native_size, None)
    assert (arguments["base_num_frames"], arguments["overlap_history"]) == (9, 5)
    stages = []
    clip = backend.generate(request, lambda fraction, stage: stages.append(stage))
    frames = list(clip.frames)
    assert len(frames) == 48 and frames[0].shape == (480, 854, 3)
    assert any(stage.startswith("step ") for stage in stages)
    with pytest.raises(InvalidRequest, match="text only"):
        backend.generate(request.with_changes(first_frame=frames[0]))
    assert backend.info.supports_first_frame is False
