"""The shipped weights: prompt adherence judged from pixels, determinism, long clips, first-frame conditioning."""

from __future__ import annotations


import numpy as np
import pytest

from azur.embedded import world
from azur.embedded.judge import judge

# Written by hand, outside the grammar's training templates (orders, connectives and word forms it never saw).
PROMPTS = [
    ("a red ball moving right on a blue background", "red", "blue", "circle", "right"),
    ("one yellow star drifting leftward over a plain purple background", "yellow", "purple", "star", "left"),
    ("une étoile verte qui monte sur un fond noir", "green", "black", "star", "up"),
    ("there is a white square getting bigger and bigger on an orange backdrop", "white", "orange", "square", "growing"),
    ("Sur un fond jaune, il y a un triangle bleu qui descend", "blue", "yellow", "triangle", "down"),
    ("on voit une balle orange qui rétrécit sur fond blanc", "orange", "white", "circle", "shrinking"),
    ("A purple box heading leftwards, set against green", "purple", "green", "square", "left"),
    ("un disque noir glissant en direction de la droite devant un fond rouge", "black", "red", "circle", "right"),
]


def test_generated_clips_follow_the_prompt(shipped_model):
    wrong, wrong_shapes = [], []
    for i, (prompt, obj, bg, shape, motion) in enumerate(PROMPTS):
        frames = shipped_model.generate(prompt, seconds=shipped_model.window_seconds, fps=12, seed=100 + i)
        verdict = judge(frames)
        got = (verdict.object_color, verdict.background_color, verdict.motion)
        if got != (obj, bg, motion):
            wrong.append((prompt, got))
        if verdict.shape != shape:
            wrong_shapes.append((prompt, verdict.shape))
    # At >= 95% per attribute the shipped model may miss one of these eight; two misses mean a regression.
    assert len(wrong) <= 1, wrong
    # Shapes are judged right in ~97% of fresh prompts (weights/eval.json); a model that draws every shape
    # alike gets two of these eight.
    assert len(wrong_shapes) <= 3, wrong_shapes


@pytest.mark.parametrize(("prompt", "obj", "motion"), [
    ("une étoile jaune qui grandit", "yellow", "growing"),
    ("a white ball moving up", "white", "up"),
])
def test_a_prompt_without_background_keeps_its_object_on_a_contrasting_background(shipped_model, prompt, obj, motion):
    verdicts = [judge(shipped_model.generate(prompt, seconds=shipped_model.window_seconds, fps=12, seed=seed))
                for seed in range(3, 7)]
    background = shipped_model.understood(prompt)["background_color"]
    assert background != obj
    assert all((v.object_color, v.background_color) == (obj, background) for v in verdicts)
    # Motion is judged right in ~99% of fresh prompts; one weak growth in four samples is allowed.
    assert sum(v.motion == motion for v in verdicts) >= 3, [v.motion for v in verdicts]


def test_output_shape_range_and_progress(shipped_model):
    reported: list[float] = []
    frames = shipped_model.generate("a blue star", seconds=3.5, fps=10, seed=1, progress=reported.append)
    assert frames.shape == (35, shipped_model.resolution, shipped_model.resolution, 3)
    assert frames.dtype == np.float32 and frames.min() >= 0 and frames.max() <= 1
    assert reported and reported[-1] == 1.0 and reported == sorted(reported)


def test_same_seed_same_video_other_seed_other_video(shipped_model):
    prompt = "un cercle jaune qui va vers la gauche sur fond bleu"
    a = shipped_model.generate(prompt, seconds=2, fps=8, seed=7)
    b = shipped_model.generate(prompt, seconds=2, fps=8, seed=7)
    c = shipped_model.generate(prompt, seconds=2, fps=8, seed=8)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1e-3


@pytest.mark.parametrize(("prompt", "seed", "expected"), [
    ("a green triangle moving up on a black background", 3, ("green", "black", "triangle")),
    # Squares and stars were the shapes that drifted (to circles, to squares) before the sampler checked
    # each window's latent against the caption's shape: 20 s clips keep it in ~79% of fresh prompts.
    ("a blue square moving right on a purple background", 1, ("blue", "purple", "square")),
    ("une étoile rouge qui descend sur un fond blanc", 1, ("red", "white", "star")),
])
def test_twenty_second_clip_keeps_the_object_colour_and_shape(shipped_model, prompt, seed, expected):
    # Its speed is measured by bench/generate_speed.py, not asserted here.
    frames = shipped_model.generate(prompt, seconds=20, fps=24, seed=seed)
    assert frames.shape[0] == 480
    window = round(shipped_model.window_seconds * 24)
    for part in (frames[:window], frames[len(frames) // 2 : len(frames) // 2 + window], frames[-window:]):
        verdict = judge(part)
        assert (verdict.object_color, verdict.background_color, verdict.shape) == expected


def test_long_clip_has_no_jump_between_windows(shipped_model):
    frames = shipped_model.generate("a white ball moving right on a purple background", seconds=8, fps=12, seed=5)
    # No frame-to-frame change much larger than the typical one: window boundaries included.
    steps = np.abs(np.diff(frames, axis=0)).mean((1, 2, 3))
    assert steps.max() < 4 * np.median(steps) + 0.01, (steps.round(3), np.median(steps))


def test_first_frame_conditioning_starts_from_the_image(shipped_model):
    scene = world.Scene("orange", "blue", "square", "down", x=0.3, y=0.3, radius=0.15, speed=0.4)
    image = (world.render([scene], np.zeros((1, 1)), resolution=128)[0, 0] * 255).astype(np.uint8)
    frames = shipped_model.generate(
        "an orange square falling on a blue background", seconds=2, fps=12, seed=0, first_frame=image
    )
    expected = world.render([scene], np.zeros((1, 1)))[0, 0]
    assert np.abs(frames[0] - expected).mean() < 0.06
    verdict = judge(frames)
    assert (verdict.object_color, verdict.background_color, verdict.motion) == ("orange", "blue", "down")


def test_unknown_words_still_give_a_video(shipped_model):
    # A background is named: a prompt without one is a separate, known weakness of the current weights.
    assert shipped_model.unknown_words("a red ball moving right on a blue background zorglub") == ["zorglub"]
    frames = shipped_model.generate("a red ball moving right on a blue background zorglub", seconds=2, fps=12, seed=0)
    verdict = judge(frames)
    assert (verdict.object_color, verdict.motion) == ("red", "right")


@pytest.mark.parametrize("bad", [dict(seconds=0, fps=24), dict(seconds=2, fps=0)])
def test_bad_lengths_are_refused(shipped_model, bad):
    with pytest.raises(ValueError, match="must be positive"):
        shipped_model.generate("a red ball", seed=0, **bad)


def test_malformed_first_frame_is_refused(shipped_model):
    with pytest.raises(ValueError, match="first_frame"):
        shipped_model.generate("a red ball", seconds=1, fps=8, seed=0, first_frame=np.zeros((8, 8)))
