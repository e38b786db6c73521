"""Clean upscaling of low-resolution frames of flat scenes, with the style presets applied on the way.

The embedded model draws small frames (32 pixels on the short side): a plain background and an object.
Blowing them up with a plain bicubic filter gives blurred, faceted shapes at 1080p. Instead each frame is
explained as two tones (background colour, object colour) and a coverage map ``alpha``; only ``alpha`` is
interpolated (bicubic), then re-sharpened to an edge about a pixel and a half wide at the output size, and
the frame is recomposed. Clips that two tones do not explain (an uploaded photograph used as a first frame)
fall back to plain bicubic.

Geometry: the low-resolution frame is the whole output frame. Frames of the output's aspect (57x32 for
16:9, 32x57 for 9:16, 32x32 for 1:1) fill it exactly; a frame of another aspect is scaled to cover it
(one scale for both axes, so shapes keep their proportions) and centred, the overflow cropped. Nothing is
inset and no band of background is added.

Only the pixels around the object are interpolated and recomposed per frame: the background canvas is made
once per colour, which keeps a 1080p encode fast. Interpolation is NumPy only (no PyTorch): separable cubic
convolution weights, the same kernel (a = -0.75, half-pixel centres, clamped borders) as PyTorch's
``F.interpolate(mode="bicubic", align_corners=False)`` that it replaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

CUBIC_A = -0.75  # the cubic convolution kernel's parameter, as in PyTorch and OpenCV
# Low-resolution coverage below this is treated as none: its interpolated value stays under one 8-bit level.
_NO_COVERAGE = 1.0 / 512.0


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

    ``alpha`` and ``raw`` cover the canvas region starting at ``offset`` (row, column). ``raw`` is the
    coverage before sharpening, whose gentle slope gives the cartoon outline its width.
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
        # An ink outline where coverage crosses one half, about 4 output pixels wide at 720p (short side).
        outline_px = max(2.0, min(canvas.shape[:2]) / 180.0)
        r = raw[y0:y1, x0:x1]
        band = np.clip(1.5 - np.abs(r - 0.5) * 2.0 * scale / outline_px, 0.0, 1.0)
        ink = np.array([0.08, 0.08, 0.1], np.float32) if fg.mean() > 0.2 else np.array([0.85, 0.85, 0.85], np.float32)
        out = out * (1.0 - band[..., None]) + ink * band[..., None]
    canvas[oy + y0 : oy + y1, ox + x0 : ox + x1] = (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class CubicTaps:
    """How one axis of ``low`` pixels is resampled to ``out`` pixels: each output pixel is the sum of four
    input pixels ``index`` (out, 4) times ``weight`` (out, 4)."""

    index: np.ndarray
    weight: np.ndarray

    def rows(self, values: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Output rows start..stop of ``values`` (low, ...) resampled along its first axis."""
        index, weight = self.index[start:stop], self.weight[start:stop]
        extra = (1,) * (values.ndim - 1)
        return sum(weight[:, k].reshape(-1, *extra) * values[index[:, k]] for k in range(4))

    def columns(self, values: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Output columns start..stop of ``values`` (rows, low) resampled along its second axis."""
        index, weight = self.index[start:stop], self.weight[start:stop]
        return sum(weight[:, k] * values[:, index[:, k]] for k in range(4))

    def reached(self, covered: np.ndarray) -> tuple[int, int] | None:
        """The output range (start, stop) that input pixels marked in ``covered`` (low,) contribute to."""
        hit = np.flatnonzero((covered[self.index] & (self.weight != 0)).any(axis=1))
        return (int(hit[0]), int(hit[-1]) + 1) if hit.size else None


def cubic_taps(low: int, out: int, scale: float) -> CubicTaps:
    """Resample one axis of ``low`` pixels to ``out`` pixels at ``scale`` output pixels per input pixel,
    centred.

    With ``scale == out / low`` this is PyTorch's bicubic upsampling (align_corners=False) exactly; a larger
    scale crops both ends evenly (the cover fit of a frame of another aspect).
    """
    start = (low - out / scale) / 2.0  # source coordinate of the output's left edge
    real = start + (np.arange(out, dtype=np.float64) + 0.5) / scale - 0.5
    floor = np.floor(real)
    t = real - floor
    a = CUBIC_A

    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    index = np.clip(floor.astype(np.int64)[:, None] + np.arange(-1, 3), 0, low - 1)  # borders repeat the edge
    weight = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)
    return CubicTaps(index, weight.astype(np.float32))


def upscale(frames: np.ndarray, size: tuple[int, int], style: str = "flat") -> Iterator[np.ndarray]:
    """Yield each low-resolution frame (N, h, w, 3; float in [0, 1]; any aspect) at ``size`` (width,
    height) as uint8 (height, width, 3), the frame covering the whole output (see the module's doc).

    ``style`` is one of :data:`azur.engine.request.STYLES`: ``flat`` (crisp plain colours),
    ``cartoon`` (saturated colours and an ink outline) or ``soft`` (soft edges, shading, paper grain).
    Raises ValueError when frames are not (N, h, w, 3).
    """
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected frames of shape (N, h, w, 3), got {frames.shape}")
    width, height = size
    low_h, low_w = frames.shape[1:3]
    scale = max(width / low_w, height / low_h)  # cover: the frame fills the output, the overflow is cropped
    rows = cubic_taps(low_h, height, scale)
    cols = cubic_taps(low_w, width, scale)
    # Sharpening gain: the interpolated edge spans about `scale` pixels; keep ~1.5 (soft: ~short side/60).
    edge_px = max(min(width, height) / 60.0, 1.5) if style == "soft" else 1.5
    gain = max(scale / edge_px, 1.0)
    cache: dict = {}
    background = clip_background(frames)
    analysed = [_tones(f, background) for f in frames]
    # One way for the whole clip: switching per frame would make the odd frame (a cross-fade between two
    # windows, say) jump from crisp to blurred. Photographs (an uploaded first frame) go the bicubic way.
    two_tone = sum(t.fits for t, _ in analysed) >= 0.5 * len(analysed)
    for frame, (tones, alpha) in zip(frames, analysed):
        if not two_tone:
            yield _bicubic(frame, rows, cols)
            continue
        canvas = _background(style, tones.background, height, width, cache).copy()
        covered = alpha > _NO_COVERAGE
        y_range, x_range = rows.reached(covered.any(axis=1)), cols.reached(covered.any(axis=0))
        if y_range is not None and x_range is not None:  # else nothing of the object is in the output
            (y0, y1), (x0, x1) = y_range, x_range
            raw = cols.columns(rows.rows(alpha, y0, y1), x0, x1)
            big = np.clip((raw - 0.5) * gain + 0.5, 0.0, 1.0)
            _compose(canvas, big, np.clip(raw, 0.0, 1.0), tones, style, (y0, x0), scale)
        yield canvas


def _bicubic(frame: np.ndarray, rows: CubicTaps, cols: CubicTaps) -> np.ndarray:
    """Plain bicubic enlargement over the whole output, for frames that are not two flat tones."""
    tall = rows.rows(frame, 0, len(rows.index))  # (height, w, 3)
    big = np.stack([cols.columns(tall[..., c], 0, len(cols.index)) for c in range(3)], axis=-1)
    return (np.clip(big, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
