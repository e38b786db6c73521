"""Synthetic clips with known content, for tests and benchmarks of the media and provenance code.

Four kinds, from easiest to hardest to hide a mark in: ``footage`` (a textured, natural-looking picture with a
slow camera pan, a drifting light and a moving blob), ``noise`` (fresh noise every frame), ``gradient`` (a
moving colour gradient) and ``flat`` (a plain background with a moving flat shape, like the embedded model's
scenes). Each is a generator of uint8 RGB frames; the same seed gives the same clip.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

KINDS = ("flat", "gradient", "noise", "footage")


def clip(kind: str, width: int, height: int, frames: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Frames of one synthetic clip of ``kind`` (one of :data:`KINDS`)."""
    makers = {"flat": flat_scene, "gradient": gradient, "noise": noise, "footage": footage}
    if kind not in makers:
        raise ValueError(f"Unknown clip kind '{kind}'. Allowed: {', '.join(KINDS)}.")
    return makers[kind](width, height, frames, seed)


def flat_scene(width: int, height: int, frames: int, seed: int = 0) -> Iterator[np.ndarray]:
    """A plain background and a flat disc or square moving across it (anti-aliased edge)."""
    rng = np.random.default_rng(seed)
    bg, fg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    radius = rng.uniform(0.08, 0.25) * min(width, height)
    x0, y0 = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    vx, vy = rng.uniform(-0.4, 0.4, 2) * min(width, height) / max(frames, 1)
    square = rng.random() < 0.5
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    background = np.broadcast_to(bg.astype(np.uint8), (height, width, 3))
    for t in range(frames):
        cx, cy = x0 + vx * t, y0 + vy * t
        if square:
            dist = np.maximum(np.abs(xs - cx), np.abs(ys - cy)) - radius
        else:
            dist = np.hypot(xs - cx, ys - cy) - radius
        alpha = np.clip(0.5 - dist, 0.0, 1.0)[..., None]
        yield (background * (1.0 - alpha) + fg * alpha + 0.5).astype(np.uint8)


def gradient(width: int, height: int, frames: int, seed: int = 0) -> Iterator[np.ndarray]:
    """A two-colour linear gradient whose angle turns slowly."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 255, 3).astype(np.float32), rng.uniform(0, 255, 3).astype(np.float32)
    angle, spin = rng.uniform(0, 2 * np.pi), rng.uniform(-0.5, 0.5) / max(frames, 1)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs, ys = xs / width - 0.5, ys / height - 0.5
    for t in range(frames):
        th = angle + spin * t
        w = np.clip(0.5 + xs * np.cos(th) + ys * np.sin(th), 0, 1)[..., None]
        yield (a * (1 - w) + b * w + 0.5).astype(np.uint8)


def noise(width: int, height: int, frames: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Fresh uniform noise every frame, around a random mean colour."""
    rng = np.random.default_rng(seed)
    mean = rng.integers(40, 216, 3)
    for _ in range(frames):
        yield np.clip(mean + rng.integers(-40, 41, (height, width, 3)), 0, 255).astype(np.uint8)


def footage(width: int, height: int, frames: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Natural-looking texture (1/f noise, as in photographs), panned slowly, with a drifting light and a blob."""
    rng = np.random.default_rng(seed)
    margin = max(8, int(0.15 * max(width, height)))
    big_w, big_h = width + 2 * margin, height + 2 * margin
    texture = _pink_noise(rng, big_w, big_h)
    tint = rng.uniform(0.6, 1.2, 3).astype(np.float32)
    base = np.clip(texture[..., None] * tint * 70 + rng.uniform(70, 150), 0, 255).astype(np.float32)
    pan = rng.uniform(-1, 1, 2) * margin / max(frames, 1)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    bx, by, bv = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height, rng.uniform(-2, 2, 2)
    blob_color = rng.uniform(0, 255, 3).astype(np.float32)
    for t in range(frames):
        ox, oy = int(margin + pan[0] * t), int(margin + pan[1] * t)
        frame = base[oy : oy + height, ox : ox + width]
        light = 1.0 + 0.15 * np.sin(2 * np.pi * (xs / width + t / max(frames, 1)))[..., None]
        blob = np.exp(-((xs - bx - bv[0] * t) ** 2 + (ys - by - bv[1] * t) ** 2) / (0.02 * width * height))[..., None]
        yield np.clip(frame * light * (1 - 0.6 * blob) + blob_color * 0.6 * blob, 0, 255).astype(np.uint8)


def _pink_noise(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """1/f noise, zero mean, unit-ish spread; made at a quarter size and scaled up (cheap), plus fine grain."""
    w, h = max(8, width // 4), max(8, height // 4)
    spectrum = rng.normal(size=(h, w)) + 1j * rng.normal(size=(h, w))
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    spectrum /= np.maximum(np.hypot(fx, fy), 1.0 / max(w, h))
    small = np.real(np.fft.ifft2(spectrum)).astype(np.float32)
    small = (small - small.mean()) / (small.std() + 1e-6)
    big = np.asarray(Image.fromarray(small, mode="F").resize((width, height), Image.BICUBIC))
    return big + rng.normal(0, 0.15, (height, width)).astype(np.float32)
