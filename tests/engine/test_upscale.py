"""The clean upscaler: exact output size, crisp edges in the scene's own colours, the scene centred in
wide and tall frames, styles that change the look, photographs enlarged plainly."""

from __future__ import annotations

import numpy as np
import pytest

from azur.engine.upscale import upscale


def scene(n: int = 12, low: int = 32) -> np.ndarray:
    """A red disc moving right over blue, anti-aliased, as the embedded model draws it."""
    yy, xx = np.mgrid[0:low, 0:low].astype(np.float32)
    frames = np.empty((n, low, low, 3), np.float32)
    for i in range(n):
        coverage = np.clip(5.5 - np.hypot(xx - (8 + i), yy - 16), 0, 1)[..., None]
        frames[i] = (1 - coverage) * np.array([0.1, 0.2, 0.8]) + coverage * np.array([0.9, 0.1, 0.1])
    return frames.astype(np.float32)


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (480, 480)])
def test_flat_frames_come_out_crisp_at_the_asked_size(size):
    frames = list(upscale(scene(), size, "flat"))
    assert len(frames) == 12 and all(f.shape == (size[1], size[0], 3) and f.dtype == np.uint8 for f in frames)
    last = frames[-1].reshape(-1, 3).astype(int)
    red = np.abs(last - [230, 26, 26]).sum(1) < 30
    blue = np.abs(last - [26, 51, 204]).sum(1) < 30
    # Nearly every pixel is one of the two tones: edges are about a pixel wide, not a blur.
    assert red.sum() > 0.02 * len(last) and (red | blue).mean() > 0.985


def test_wide_frames_show_the_scene_centred_on_extended_background():
    frame = next(iter(upscale(scene(), (1280, 720), "flat"))).astype(int)
    # The edges beyond the centred 720x720 square are plain background.
    assert np.abs(frame[:, :280] - [26, 51, 204]).max() <= 2 and np.abs(frame[:, -280:] - [26, 51, 204]).max() <= 2


def test_styles_change_the_look():
    flat, cartoon, soft = (next(iter(upscale(scene(), (480, 480), s))).astype(int) for s in ("flat", "cartoon", "soft"))
    dark = lambda f: (f.sum(axis=2) < 120).mean()  # noqa: E731 - ink outline pixels
    assert dark(flat) == 0 and dark(cartoon) > 0.002
    assert soft[20:60].mean() > soft[-60:-20].mean() + 3  # light falls off from top to bottom
    assert np.abs(soft - flat).mean() > 2


def test_photographs_are_enlarged_without_two_tone_matting():
    rng = np.random.default_rng(0)
    photo = rng.random((4, 32, 32, 3)).astype(np.float32)
    frame = next(iter(upscale(photo, (480, 480), "flat")))
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 1000  # textures kept, not snapped to two tones
