"""Wan 2.2 through the Wan backend on tiny random pipelines: A14B's two experts both denoise, handing over
at the boundary; TI2V-5B's 16x VAE gives sides in multiples of 32, at 24 fps."""

from __future__ import annotations

import numpy as np

from azur.engine.backend import get_backend
from azur.engine.request import make_request


def test_a14b_runs_both_experts_split_at_the_boundary(installed):
    backend = get_backend(installed("wan22-a14b"))
    assert backend.pipe.config.boundary_ratio == 0.875
    calls = {"transformer": 0, "transformer_2": 0}
    handles = [getattr(backend.pipe, name).register_forward_pre_hook(
        lambda module, args, name=name: calls.__setitem__(name, calls[name] + 1)) for name in calls]
    try:
        request = make_request("a red ball bounces on a blue floor", model=backend.spec.name, seed=1, seconds=1,
                               size="854x480")
        frames = list(backend.generate(request).frames)
    finally:
        for handle in handles:
            handle.remove()
    assert len(frames) == 24 and frames[0].shape == (480, 854, 3)
    # 4 steps with shift 3: the first step's timestep is above 875 (high-noise expert), the rest below.
    timesteps = backend.pipe.scheduler.timesteps
    high = int((timesteps >= 875).sum())
    assert 0 < high < 4 and calls == {"transformer": 2 * high, "transformer_2": 2 * (4 - high)}


def test_ti2v_5b_makes_24_fps_at_sides_in_multiples_of_32(installed):
    backend = get_backend(installed("wan22-ti2v"))
    assert backend.size_multiple == 32
    request = make_request("waves roll onto a sandy beach", model=backend.spec.name, seed=2, seconds=1, size="1280x720")
    plan = backend.plan(request)
    assert plan.native_fps == 24 and plan.native_size[0] % 32 == 0 and plan.native_size[1] % 32 == 0
    clip = backend.generate(request)
    frames = list(clip.frames)
    assert len(frames) == 24 and frames[0].shape == (720, 1280, 3)
    assert np.std(np.stack(frames)) > 0  # not a constant picture
