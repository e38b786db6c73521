"""Clean upscaling of low-resolution frames of flat scenes, with the style presets applied on the way.

The embedded model draws 32x32 frames: a plain background and an object. Blowing them up with a plain
bicubic filter gives blurred, faceted shapes at 1080p. Instead each frame is explained as two tones
(background colour, object colour) and a coverage map ``alpha``; only ``alpha`` is interpolated, then
re-sharpened to an edge about a pixel and a half wide at the output size, and the frame is recomposed.
Clips that two tones do not explain (an uploaded photograph used as a first frame) fall back to bicubic.

The scene is square; a wide or tall output shows it in the middle and extends the plain background to
the edges, so shapes keep their proportions. Only the pixels around the object are recomposed per frame:
the background canvas is made once per colour, which keeps a 1080p encode fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

_CHUNK_PIXELS = 24_000_000  # alpha values interpolated at once (bounds memory at 1080p)


@dataclass
class _Tones:
    background: np.ndarray  # (3,) float in [0, 1]
    foreground: np.ndarray  # (3,) float in [0, 1]
    fits: bool  # True when two tones explain the frame


def clip_background(frames: np.ndarray) -> np.ndarray:
    """The background colour of a clip: the most common colour over all its frames.

    Taken over the whole clip, not per frame: an object crossing an edge or filling a corner would
    otherwise be mistaken for the background in the frames where it covers the border.
    """
    pixels = frames.reshape(-1, 3)
    bins = np.clip((pixels * 16).astype(np.int32), 0, 15)
    keys = bins[:, 0] * 256 + bins[:, 1] * 16 + bins[:, 2]
    commonest = np.bincount(keys, minlength=4096).argmax()
    return pixels[keys == commonest].mean(axis=0)


def _tones(frame: np.ndarray, bg: np.ndarray) -> tuple[_Tones, np.ndarray]:
    """Object colour and coverage (alpha) of one low-resolution frame over the background ``bg``."""
    dist = np.linalg.norm(frame - bg, axis=-1)
    peak = float(dist.max())
    if peak < 0.08:  # nothing but background
        return _Tones(bg, bg, True), np.zeros(frame.shape[:2], np.float32)
    fg = frame[dist > 0.6 * peak].mean(axis=0)
    axis = fg - bg
    alpha = np.clip(((frame - bg) @ axis) / float(axis @ axis), 0.0, 1.0).astype(np.float32)
    residual = np.linalg.norm(frame - (bg + alpha[..., None] * axis), axis=-1)
    fits = float(np.percentile(residual, 95)) < 0.12
    return _Tones(bg, fg, fits), alpha


def _background(style: str, bg: np.ndarray, height: int, width: int, cache: dict) -> np.ndarray:
    key = (style, tuple(np.round(bg * 32).astype(int)))
    canvas = cache.get(key)
    if canvas is None:
        if style == "soft":
            # A gentle vertical light fall-off and a fixed paper grain, the same in every frame.
            shade = np.linspace(1.06, 0.92, height, dtype=np.float32)[:, None, None]
            grain = np.random.default_rng(7).normal(0.0, 0.012, (height, width, 1)).astype(np.float32)
            img = np.clip(bg[None, None, :] * shade + grain, 0.0, 1.0)
        else:
            img = np.broadcast_to(bg.astype(np.float32), (height, width, 3))
        canvas = (img * 255.0 + 0.5).astype(np.uint8)
        if len(cache) > 16:
            cache.clear()
        cache[key] = canvas
    return canvas


def _saturate(color: np.ndarray, amount: float) -> np.ndarray:
    grey = color.mean()
    return np.clip(grey + (color - grey) * amount, 0.0, 1.0)


def _compose(
    canvas: np.ndarray,
    alpha: np.ndarray,
    raw: np.ndarray,
    tones: _Tones,
    style: str,
    offset: tuple[int, int],
    scale: float,
) -> None:
    """Paint the object whose sharpened coverage is ``alpha`` onto ``canvas`` (in place).

    ``raw`` is the coverage before sharpening, whose gentle slope gives the cartoon outline its width.
    """
    covered = np.maximum(alpha, raw) > 1.0 / 255.0
    ys, xs = np.flatnonzero(covered.any(axis=1)), np.flatnonzero(covered.any(axis=0))
    if ys.size == 0:
        return
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    a = alpha[y0:y1, x0:x1]
    oy, ox = offset
    if style == "flat":
        # Both tones are flat, so a pixel is a function of its coverage alone: a 256-entry table instead of
        # float arithmetic on every pixel of the box (the box spans the frame when the object wraps around).
        levels = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
        bg = canvas[oy + y0, ox + x0].astype(np.float32) / 255.0
        table = (np.clip(bg * (1 - levels) + tones.foreground * levels, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        canvas[oy + y0 : oy + y1, ox + x0 : ox + x1] = table[(a * 255.0 + 0.5).astype(np.uint8)]
        return
    region = canvas[oy + y0 : oy + y1, ox + x0 : ox + x1].astype(np.float32) / 255.0
    fg = tones.foreground.astype(np.float32)
    if style == "cartoon":
        fg = _saturate(fg, 1.25)
    paint = np.broadcast_to(fg, region.shape).copy()
    if style == "soft":
        # Shade the object like a lit body: brighter towards its upper left, darker at its rim.
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        weight = a.sum()
        cy, cx = (yy * a).sum() / weight, (xx * a).sum() / weight
        radius = max(np.sqrt(weight / np.pi), 1.0)
        light = np.hypot(yy - (cy - 0.35 * radius), xx - (cx - 0.35 * radius)) / (1.6 * radius)
        paint *= (1.18 - 0.35 * np.clip(light, 0.0, 1.0))[..., None]
        paint = np.clip(paint, 0.0, 1.0)
    out = region * (1.0 - a[..., None]) + paint * a[..., None]
    if style == "cartoon":
        # An ink outline where coverage crosses one half, about 4 output pixels wide at 720p.
        outline_px = max(2.0, canvas.shape[0] / 180.0)
        r = raw[y0:y1, x0:x1]
        band = np.clip(1.5 - np.abs(r - 0.5) * 2.0 * scale / outline_px, 0.0, 1.0)
        ink = np.array([0.08, 0.08, 0.1], np.float32) if fg.mean() > 0.2 else np.array([0.85, 0.85, 0.85], np.float32)
        out = out * (1.0 - band[..., None]) + ink * band[..., None]
    canvas[oy + y0 : oy + y1, ox + x0 : ox + x1] = (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def upscale(frames: np.ndarray, size: tuple[int, int], style: str = "flat") -> Iterator[np.ndarray]:
    """Yield each low-resolution frame (N, R, R, 3; float in [0, 1]) at ``size`` (width, height), uint8.

    ``style`` is one of :data:`azur.engine.request.STYLES`: ``flat`` (crisp plain colours),
    ``cartoon`` (saturated colours and an ink outline) or ``soft`` (soft edges, shading, paper grain).
    """
    width, height = size
    side = min(width, height)
    offset = ((height - side) // 2, (width - side) // 2)
    low = frames.shape[1]
    scale = side / low
    # Sharpening gain: the interpolated edge spans about `scale` pixels; keep ~1.5 (soft: ~side/60).
    edge_px = max(side / 60.0, 1.5) if style == "soft" else 1.5
    gain = max(scale / edge_px, 1.0)
    cache: dict = {}
    background = clip_background(frames)
    analysed = [_tones(f, background) for f in frames]
    # One way for the whole clip: switching per frame would make the odd frame (a cross-fade between two
    # windows, say) jump from crisp to blurred. Photographs (an uploaded first frame) go the bicubic way.
    two_tone = sum(t.fits for t, _ in analysed) >= 0.5 * len(analysed)
    chunk = max(1, _CHUNK_PIXELS // (side * side))
    for start in range(0, len(frames), chunk):
        part = analysed[start : start + chunk]
        if not two_tone:
            for i in range(len(part)):
                yield _bicubic(frames[start + i], width, height, side, offset)
            continue
        alphas = torch.from_numpy(np.stack([a for _, a in part]))[:, None]
        with torch.no_grad():
            raw = F.interpolate(alphas, size=(side, side), mode="bicubic", align_corners=False)[:, 0]
            big = ((raw - 0.5) * gain + 0.5).clamp_(0.0, 1.0).numpy()
            raw = raw.clamp_(0.0, 1.0).numpy()
        for i, (tones, _) in enumerate(part):
            canvas = _background(style, tones.background, height, width, cache).copy()
            _compose(canvas, big[i], raw[i], tones, style, offset, scale)
            yield canvas


def _bicubic(frame: np.ndarray, width: int, height: int, side: int, offset: tuple[int, int]) -> np.ndarray:
    """Plain bicubic enlargement, for frames that are not two flat tones."""
    t = torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))[None]
    with torch.no_grad():
        big = F.interpolate(t, size=(side, side), mode="bicubic", align_corners=False)[0]
    square = (big.clamp(0, 1).permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)
    edge = np.median(np.concatenate([square[0], square[-1], square[:, 0], square[:, -1]]), axis=0)
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = edge.astype(np.uint8)
    oy, ox = offset
    canvas[oy : oy + side, ox : ox + side] = square
    return canvas
