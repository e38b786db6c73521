"""A pixel judge: what a clip shows, read from its frames alone, without the model or the prompt.

It is what `eval.py` scores prompt adherence with, so it must be right on ground truth: tests run it on
rendered clips of every attribute (it should be ~100% there) before trusting it on generated ones.

- background colour: the palette colour most pixels are nearest to (the object covers well under half).
- object: pixels far from the background colour; its colour is the palette colour most of its *pure* pixels
  are nearest to (anti-aliased edges blend two colours, red + blue looks purple, so they are left out).
- motion: centroid per frame with a circular mean (the world wraps around, so a plain mean of an object split
  over two edges would land in the middle of the frame), displacement unwrapped frame to frame; area trend
  for growing and shrinking.
- shape: the object's mask matched (IoU) against each shape drawn at the same centre and area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from azur.embedded.world import COLORS, PALETTE, SHAPES, _sdf, attribute_labels

OBJECT_DISTANCE = 0.3  # RGB distance from the background above which a pixel belongs to the object
PURE_DISTANCE = 0.2  # RGB distance to a palette colour below which a pixel counts as that colour
GROWTH_LOG_AREA = 0.45  # |log(area_end / area_start)| above which the object grows or shrinks ...
STILL_TRANSLATION = 0.12  # ... provided its centre moved less than this (canvas units)


@dataclass(frozen=True)
class Verdict:
    object_color: str
    background_color: str
    shape: str
    motion: str
    translation: tuple[float, float]  # total centre displacement (dx, dy) over the clip, canvas units
    log_area_ratio: float

    def labels(self) -> dict[str, str]:
        return attribute_labels(self)


def _nearest(colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.linalg.norm(colors[..., None, :] - PALETTE, axis=-1)
    return d.argmin(-1), d.min(-1)


def judge(frames: np.ndarray) -> Verdict:
    """Judge one clip: frames (T, R, R, 3) float in [0, 1], T >= 2."""
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 2:
        raise ValueError(f"expected frames of shape (T>=2, R, R, 3), got {frames.shape}")
    t, r = frames.shape[0], frames.shape[1]
    index, _ = _nearest(frames)
    bg = int(np.bincount(index.ravel(), minlength=len(COLORS)).argmax())

    distance_to_bg = np.linalg.norm(frames - PALETTE[bg], axis=-1)
    mask = distance_to_bg > OBJECT_DISTANCE
    pure = mask & (_nearest(frames)[1] < PURE_DISTANCE) & (index != bg)
    if pure.any():
        obj = int(np.bincount(index[pure], minlength=len(COLORS)).argmax())
    elif mask.any():
        obj = int(_nearest(frames[mask].mean(0))[0])
    else:
        obj = (bg + 1) % len(COLORS)  # nothing visible: any answer but the background is as wrong as another

    # Soft weights so that edge pixels move the centroid smoothly as the object slides sub-pixel.
    weight = np.clip(distance_to_bg / max(np.linalg.norm(PALETTE[obj] - PALETTE[bg]), 1e-3), 0, 1)
    weight = np.where(distance_to_bg > 0.1, weight, 0.0)
    area = weight.sum((1, 2)) / (r * r)
    angles = 2 * np.pi * (np.arange(r) + 0.5) / r
    centre = np.zeros((t, 2))
    for axis, sum_axes in ((0, 1), (1, 2)):  # x: sum over rows; y: sum over columns
        profile = weight.sum(sum_axes)  # (T, R)
        c = (profile * np.cos(angles)).sum(1)
        s = (profile * np.sin(angles)).sum(1)
        centre[:, axis] = np.mod(np.arctan2(s, c) / (2 * np.pi), 1.0)
    step = np.diff(centre, axis=0)
    step = np.mod(step + 0.5, 1.0) - 0.5
    visible = (area[1:] > 1e-3) & (area[:-1] > 1e-3)
    dx, dy = (step * visible[:, None]).sum(0)
    k = max(1, t // 4)
    log_ratio = float(np.log((area[-k:].mean() + 1e-4) / (area[:k].mean() + 1e-4)))

    translation = max(abs(dx), abs(dy))
    if abs(log_ratio) > GROWTH_LOG_AREA and translation < STILL_TRANSLATION:
        motion = "growing" if log_ratio > 0 else "shrinking"
    elif abs(dx) >= abs(dy):
        motion = "right" if dx > 0 else "left"
    else:
        motion = "down" if dy > 0 else "up"

    biggest = int(area.argmax())
    shape = _judge_shape(weight[biggest] > 0.5, centre[biggest], r)
    return Verdict(COLORS[obj], COLORS[bg], shape, motion, (float(dx), float(dy)), log_ratio)


_AREA_PER_RADIUS2: dict[str, float] = {}


def _shape_mask(shape: str, centre: np.ndarray, radius: float, r: int) -> np.ndarray:
    grid = (np.arange(r, dtype=np.float32) + 0.5) / r
    px = np.mod(grid[None, :] - centre[0] + 0.5, 1.0) - 0.5
    py = np.mod(grid[:, None] - centre[1] + 0.5, 1.0) - 0.5
    return _sdf(shape, px, py, np.float32(radius)) < 0


def _judge_shape(mask: np.ndarray, centre: np.ndarray, r: int) -> str:
    if not _AREA_PER_RADIUS2:
        for shape in SHAPES:  # measured once on a fine grid: area of the shape drawn at radius 0.25
            _AREA_PER_RADIUS2[shape] = _shape_mask(shape, np.array([0.5, 0.5]), 0.25, 512).mean() / 0.0625
    area = mask.mean()
    if area == 0:
        return SHAPES[0]
    best, best_iou = SHAPES[0], -1.0
    for shape in SHAPES:
        template = _shape_mask(shape, centre, float(np.sqrt(area / _AREA_PER_RADIUS2[shape])), r)
        iou = (template & mask).sum() / max((template | mask).sum(), 1)
        if iou > best_iou:
            best, best_iou = shape, iou
    return best


def agreement(verdict: Verdict, labels: dict[str, str]) -> dict[str, bool]:
    """Per attribute: does the judged clip match the expected labels?"""
    return {name: getattr(verdict, name) == value for name, value in labels.items()}

