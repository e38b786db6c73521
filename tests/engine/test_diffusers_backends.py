"""Each family's backend on tiny random pipelines: exact size and frame count at 24 fps, progress per
denoising step, windowed extension past the native length, first frames, and step caching."""

from __future__ import annotations

import numpy as np
import pytest

from azur.engine.backend import get_backend
from azur.engine.request import InvalidRequest, make_request


def _run(name: str, **request_options):
    request = make_request("a red ball bounces on a blue floor", model=name, seed=3,
                           **{"seconds": 1, "size": "854x480", **request_options})
    progress: list[tuple[float, str]] = []
    backend = get_backend(name)
    clip = backend.generate(request, lambda fraction, stage: progress.append((fraction, stage)))
    frames = list(clip.frames)
    return backend, request, clip, frames, progress


@pytest.mark.parametrize("key", ["wan", "ltx", "cogvideox"])
def test_each_family_makes_the_asked_clip(installed, key):
    backend, request, clip, frames, progress = _run(installed(key), seconds=2)
    assert clip.fps == 24 and clip.frame_count == 48 == len(frames)
    assert all(f.shape == (480, 854, 3) and f.dtype == np.uint8 for f in frames)
    plan = backend.plan(request)
    assert len(plan.windows) >= 2  # 2 s is past these tiny windows: extended window by window
    assert all(backend.defaults.frame_rule.valid(w) for w in plan.windows)
    assert plan.native_size[0] % backend.defaults.size_multiple == 0
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    steps = [stage for _, stage in progress if stage.startswith("step ")]
    assert len(steps) == 2 * len(plan.windows)  # one report per denoising step
    assert clip.stats["peak_memory_bytes"] > 0 and clip.stats["windows"] == len(plan.windows)
    assert any("peak memory" in note for note in clip.notes)


def test_same_seed_same_clip(installed):
    name = installed("wan")
    _, _, _, first, _ = _run(name)
    _, _, _, again, _ = _run(name)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_text_to_video_continues_from_the_given_first_frame(installed):
    # Temporal in-painting holds the first latent frame on the image: the clip starts on (close to) it.
    name = installed("wan")
    image = np.zeros((480, 854, 3), np.uint8)
    image[:, :, 0] = 230
    _, _, _, frames, _ = _run(name, first_frame=image)
    _, _, _, plain, _ = _run(name)
    start, start_plain = frames[0].astype(int), plain[0].astype(int)
    assert np.abs(start - image).mean() < np.abs(start_plain - image).mean()


def test_image_to_video_model_uses_the_first_frame_and_requires_one(installed):
    name = installed("wan-i2v")
    image = np.full((480, 854, 3), 128, np.uint8)
    _, _, clip, frames, _ = _run(name, first_frame=image)
    assert len(frames) == 24 and frames[0].shape == (480, 854, 3)
    with pytest.raises(InvalidRequest, match="image-to-video"):
        _run(name)


def test_ltx_distilled_options_mean_few_steps_without_guidance(installed):
    backend = get_backend(installed("ltx", steps=None, distilled=True))
    assert (backend.resolved.steps, backend.resolved.guidance, backend.cache) == (8, 1.0, "none")


def test_style_becomes_a_prompt_suffix(installed):
    backend = get_backend(installed("cogvideox"))
    request = make_request("un chat traverse le jardin", model="tiny-cogvideox", style="cartoon", seed=1)
    assert backend.prompt_for(request) == "un chat traverse le jardin, cartoon with bold outlines"


@pytest.mark.parametrize("key", ["wan", "ltx", "cogvideox"])
def test_a_prompt_longer_than_the_text_encoder_reads_is_noted(installed, key):
    backend = get_backend(installed(key, styles=False))  # no style words: "a ball" stays short
    short = make_request("a ball", model=backend.spec.name, seed=1)  # the tiny encoders read 16 tokens
    assert not any("tokens long" in note for note in backend.check(short))
    long = make_request("a red ball bounces on a blue floor " * 400, model=backend.spec.name, seed=1)
    [note] = [note for note in backend.check(long) if "tokens long" in note]
    assert f"reads the first {backend.resolved.max_sequence_length}" in note


def test_memory_profiles_need_a_gpu_and_say_so_on_a_cpu(installed):
    backend = get_backend(installed("wan", memory="model_offload", dtype="bf16", compile=True))
    assert backend.device == "cpu"
    notes = " / ".join(backend.load_notes)
    assert "model_offload" in notes and "bf16" in notes and "compile" in notes


def test_step_cache_skips_transformer_blocks(installed):
    from azur.engine.backends.diffusers_base import TransformerCallCounter

    counts = {}
    for cache in ("none", "first_block"):
        backend = get_backend(installed("wan", steps=8, cache=cache, cache_threshold=1.0, max_frames=17))
        counter = TransformerCallCounter(backend.pipe.transformer)
        try:
            _run(backend.spec.name, seconds=1)
        finally:
            counter.close()
        counts[cache] = (counter.calls, counter.full)
    assert counts["none"][0] == counts["none"][1] == 16  # 8 steps x (conditional + unconditional)
    assert counts["first_block"][0] == 16 and counts["first_block"][1] < 16
