"""From a model's native shape to the asked clip: sizes, frame counts, windows, and the final conform.

Open video models generate at their own shape: Wan 2.1 makes 4k+1 frames at 16 fps in multiples of 16
pixels, LTX-Video 8k+1 frames in multiples of 32, CogVideoX 4k+1 frames at 8 fps; each has a longest clip
(81, 257, 49 frames). Azur's output is always ``round(seconds x 24)`` frames at 24 fps at the asked size.
This module is the arithmetic between the two, in three steps:

1. :func:`native_size` — the generation size: the model's native pixel area at the asked aspect ratio,
   each side rounded to the model's multiple (854x480 becomes 848x480 for Wan, 864x480 for LTX).
2. :func:`plan_windows` — how many native frames cover the duration, and how to split them into windows
   no longer than the model's maximum. Each window after the first *continues* from the last
   ``overlap`` frames of the one before (the backend conditions on them; see ``diffusers_base``), so those
   frames come out twice and the repeat is dropped.
3. :func:`conform` — resample time to the output frame rate (a blend of the two nearest native frames)
   and resize to exactly the asked size (cover: scale then centre-crop the few rounding pixels), one
   frame at a time on uint8 pixels, so a 20 s 1080p clip never sits in memory as floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class FrameRule:
    """Frame counts a model accepts: ``step * k + 1`` (Wan, CogVideoX: step 4; LTX: step 8)."""

    step: int

    def valid(self, frames: int) -> bool:
        return frames >= 1 and (frames - 1) % self.step == 0

    def round_up(self, frames: int) -> int:
        """The smallest valid count >= ``frames`` (and >= step + 1: a model needs some motion)."""
        k = max(1, math.ceil((frames - 1) / self.step))
        return self.step * k + 1

    def round_down(self, frames: int) -> int:
        """The largest valid count <= ``frames``; raises ValueError below step + 1."""
        if frames < self.step + 1:
            raise ValueError(f"{frames} frames is below the shortest clip ({self.step + 1})")
        return self.step * ((frames - 1) // self.step) + 1


def native_size(asked: tuple[int, int], area: int, multiple: int) -> tuple[int, int]:
    """The (width, height) to generate at: about ``area`` pixels at the aspect ratio of ``asked``, each side
    a multiple of ``multiple``. Of the heights just below and above the ideal one, the one whose rounded
    width keeps the aspect ratio and area best wins (854x480 at Wan's 832x480 area: 848x480)."""
    width, height = asked
    aspect = width / height
    ideal = math.sqrt(area / aspect)
    best: tuple[float, tuple[int, int]] | None = None
    for h in {max(multiple, math.floor(ideal / multiple) * multiple), max(multiple, math.ceil(ideal / multiple) * multiple)}:
        w = max(multiple, round(h * aspect / multiple) * multiple)
        error = abs(math.log((w / h) / aspect)) + abs(math.log(w * h / area))
        if best is None or error < best[0]:
            best = (error, (w, h))
    assert best is not None
    return best[1]


def native_frames_needed(out_frames: int, out_fps: float, native_fps: float) -> int:
    """Native frames that span ``out_frames`` output frames: the last output frame, at time
    (out_frames - 1) / out_fps, must fall on or between native frames."""
    last = (out_frames - 1) * native_fps / out_fps
    return math.ceil(last - 1e-9) + 1


@dataclass(frozen=True)
class WindowPlan:
    """How one clip is generated: window lengths in native frames, and the frames they share."""

    native_size: tuple[int, int]
    native_fps: int
    frames_needed: int  # native frames that cover the asked duration
    windows: tuple[int, ...]  # frames each window generates (each valid for the model's rule)
    overlap: int  # frames each window after the first repeats from the previous one (dropped)

    @property
    def total_frames(self) -> int:
        """Native frames after dropping the repeats (>= frames_needed; the surplus is trimmed)."""
        return sum(self.windows) - self.overlap * (len(self.windows) - 1)


def plan_windows(
    frames_needed: int, *, rule: FrameRule, max_frames: int, overlap: int
) -> tuple[tuple[int, ...], int]:
    """Split ``frames_needed`` native frames into windows of at most ``max_frames`` (rounded down to the
    rule), each after the first sharing ``overlap`` frames with the one before; the last window is only as
    long as the rest needs. Returns (window lengths, overlap). Raises ValueError on an impossible overlap."""
    longest = rule.round_down(max_frames)
    if not 1 <= overlap < longest:
        raise ValueError(f"overlap {overlap} must be at least 1 and below the longest window ({longest} frames)")
    first = min(rule.round_up(frames_needed), longest)
    windows = [first]
    covered = first
    while covered < frames_needed:
        window = min(rule.round_up(frames_needed - covered + overlap), longest)
        windows.append(window)
        covered += window - overlap
    return tuple(windows), overlap


def output_positions(out_frames: int, out_fps: float, native_fps: float) -> list[float]:
    """For each output frame, its position on the native frame axis (fractional: between two frames)."""
    ratio = native_fps / out_fps
    return [j * ratio for j in range(out_frames)]


def resize_cover(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale a uint8 frame to fill ``size`` (width, height), centre-cropping the overflow."""
    width, height = size
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    img = Image.fromarray(frame).resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    if (new_w, new_h) != (width, height):
        img = img.crop((left, top, left + width, top + height))
    return np.asarray(img)


def _blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b on uint8 pixels, in 16-bit integers (no float frame)."""
    q = round(weight * 256)
    if q <= 0:
        return a
    if q >= 256:
        return b
    mixed = a.astype(np.uint16) * (256 - q) + b.astype(np.uint16) * q + 128
    return (mixed >> 8).astype(np.uint8)


def conform(
    frames: Iterable[np.ndarray],
    *,
    native_fps: float,
    out_frames: int,
    out_fps: float,
    size: tuple[int, int],
) -> Iterator[np.ndarray]:
    """Yield exactly ``out_frames`` uint8 frames at ``size`` from native frames at ``native_fps``.

    Output frame j shows time j / out_fps: a blend of the two native frames around it (16 → 24 fps
    interleaves whole frames and half-way blends). ``frames`` is consumed lazily, two frames at a time;
    if it runs out early the last frame is held (the plan makes that a rounding-level event).
    """
    source = iter(frames)
    index = 0  # native index of ``current``
    current = next(source, None)
    if current is None:
        raise ValueError("no frames to conform")
    following = next(source, None)
    for position in output_positions(out_frames, out_fps, native_fps):
        base = math.floor(position + 1e-9)
        while index < base and following is not None:
            index, current, following = index + 1, following, next(source, None)
        weight = position - index
        if following is None or weight <= 1e-9:
            frame = current
        else:
            frame = _blend(current, following, weight)
        yield resize_cover(np.ascontiguousarray(frame), size)
