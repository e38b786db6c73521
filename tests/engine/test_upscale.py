"""The clean upscaler: exact output size, crisp edges in the scene's own colours, low-resolution frames of
any aspect mapped onto the whole output frame, styles that change the look, photographs enlarged plainly,
and no PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from azur.engine.upscale import cubic_taps, upscale

RED, BLUE = [230, 26, 26], [26, 51, 204]


def scene(n: int = 12, low: int = 32, width: int | None = None, x: float = 8, y: float = 16) -> np.ndarray:
    """A red disc moving right over blue, anti-aliased, as the embedded model draws it; low x width pixels."""
    width = width or low
    yy, xx = np.mgrid[0:low, 0:width].astype(np.float32)
    frames = np.empty((n, low, width, 3), np.float32)
    for i in range(n):
        coverage = np.clip(5.5 - np.hypot(xx - (x + i), yy - y), 0, 1)[..., None]
        frames[i] = (1 - coverage) * np.array([0.1, 0.2, 0.8]) + coverage * np.array([0.9, 0.1, 0.1])
    return frames.astype(np.float32)


def red_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the red pixels."""
    ys, xs = np.nonzero(np.abs(frame.astype(int) - RED).sum(-1) < 30)
    return xs.min(), ys.min(), xs.max(), ys.max()


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (480, 480)])
def test_flat_frames_come_out_crisp_at_the_asked_size(size):
    frames = list(upscale(scene(), size, "flat"))
    assert len(frames) == 12 and all(f.shape == (size[1], size[0], 3) and f.dtype == np.uint8 for f in frames)
    last = frames[-1].reshape(-1, 3).astype(int)
    red = np.abs(last - [230, 26, 26]).sum(1) < 30
    blue = np.abs(last - [26, 51, 204]).sum(1) < 30
    # Nearly every pixel is one of the two tones: edges are about a pixel wide, not a blur.
    assert red.sum() > 0.02 * len(last) and (red | blue).mean() > 0.985


@pytest.mark.parametrize("size, low_size, centre", [
    ((1280, 720), (32, 57), (50, 8)),  # 16:9: a disc near the right edge and the top
    ((720, 1280), (57, 32), (6, 50)),  # 9:16: near the left edge and the bottom
])
def test_frames_of_the_output_aspect_fill_the_whole_frame(size, low_size, centre):
    low = scene(1, low_size[0], low_size[1], x=centre[0], y=centre[1])
    frame = next(iter(upscale(low, size, "flat")))
    assert frame.shape == (size[1], size[0], 3)
    scale = size[0] / low_size[1]
    left, top, right, bottom = red_box(frame)
    # The disc (radius 5.5 low pixels) sits where it sits in the small frame, scaled: no inset square.
    assert abs((left + right) / 2 - centre[0] * scale) < scale and abs((top + bottom) / 2 - centre[1] * scale) < scale
    assert abs((right - left) - 11 * scale) < 2 * scale and abs((bottom - top) - (right - left)) <= 3  # still round


def test_a_square_scene_covers_a_wide_frame_without_background_bands():
    frame = next(iter(upscale(scene(1, x=3), (1280, 720), "flat")))
    left, top, right, bottom = red_box(frame)
    # Scaled by 40 to cover 1280 px (the top and bottom overflow cropped): the disc cut by the scene's left
    # edge (it spans x = -2.5..8.5) is cut by the frame's left edge, not shown whole 280 px in.
    assert left == 0 and abs(right - 8.5 * 40) < 40 and abs((bottom - top) - 10 * 40) < 40


def test_interpolation_is_pytorchs_bicubic_without_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    low = rng.random((32, 57)).astype(np.float32)
    rows, cols = cubic_taps(32, 720, 22.5), cubic_taps(57, 1280, 1280 / 57)
    ours = cols.columns(rows.rows(low, 0, 720), 0, 1280)
    theirs = torch.nn.functional.interpolate(torch.from_numpy(low)[None, None], size=(720, 1280), mode="bicubic",
                                             align_corners=False)[0, 0].numpy()
    assert np.abs(ours - theirs).max() < 1e-4
    # And the upscaler runs where PyTorch is not installed: importing it does not import torch.
    code = "import sys, azur.engine.upscale; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_malformed_frames_are_refused():
    with pytest.raises(ValueError, match="expected frames"):
        next(iter(upscale(np.zeros((2, 32, 57)), (1280, 720))))


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


def test_photographs_of_any_aspect_fill_the_frame():
    rng = np.random.default_rng(0)
    photo = rng.random((2, 32, 57, 3)).astype(np.float32)
    frame = next(iter(upscale(photo, (854, 480), "flat")))
    assert frame.shape == (480, 854, 3)
    for band in (frame[:, :100], frame[:, -100:]):  # texture up to the edges: no plain bands
        assert len(np.unique(band.reshape(-1, 3), axis=0)) > 500
