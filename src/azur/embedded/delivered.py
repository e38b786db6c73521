"""A judge of delivered frames: what a person sees in the video a user gets, at any size and aspect.

`judge.py` reads the model's 32x32 scene, which wraps around like a torus; users never see that scene but
the uint8 frames the backend yields at 854x480, 480x854 or 480x480. This judge reads those, knowing nothing
of the model, and says what a viewer would:

- background colour: the clip's commonest colour (nearest palette colour over all pixels of all frames);
- object: pixels far from the background; its colour is the palette colour most of its *pure* pixels are
  nearest to (anti-aliased rims blend two colours and are left out);
- whole: per frame, the object is one piece (one connected component, specks of a few pixels from
  anti-aliasing ignored) touching no frame edge. An object cut by an edge, wrapped to the opposite side or
  doubled by a ghost copy is not whole;
- motion: the path of the main piece's centre in frame coordinates (no wrap-around: the frame has edges).
  Steps where the centre jumps (a piece reappearing at the other side, a ghost taking over) are not motion
  and are left out, so a wrap neither flips left into right nor goes unseen: it costs "whole" frames and
  is counted in ``jumps``. The direction is where the object sets off to, read over the clip's first half,
  so one that turns back at an edge still reads as asked. Growing and shrinking come from the area's
  trend while the centre stays put;
- shape: the main piece's mask matched (IoU) against each of the world's shapes drawn at the same centroid
  and area, voted over a few whole frames.

Frames are shrunk first (short side :data:`JUDGED_SHORT_SIDE`), which keeps a 20 s clip fast; only the
edge test reads the full-size border rows and columns. Positions and areas are in units of the frame's
short side, so thresholds mean the same in landscape, portrait and square frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from azur.embedded.world import COLORS, PALETTE, SHAPES, _sdf, attribute_labels

JUDGED_SHORT_SIDE = 96  # pixels of the frames' short side after shrinking
OBJECT_DISTANCE = 0.3  # RGB distance from the background above which a pixel belongs to the object
PURE_DISTANCE = 0.2  # RGB distance to a palette colour below which a pixel counts as that colour
SPECK_PIXELS = 4  # pieces of at most this many (shrunk) pixels are anti-aliasing specks, not the object
EDGE_PIXELS = 2  # object pixels on the full-size border above this many: the object touches the edge
JUMP = 0.08  # a centre step longer than this (short sides per frame) is a jump, not motion
GROWTH_LOG_AREA = 0.45  # |log(area_end / area_start)| above which the object grows or shrinks ...
STILL_TRANSLATION = 0.12  # ... provided its centre moved less than this (short sides)
SHAPE_VOTES = 7  # frames whose masks vote on the shape


@dataclass(frozen=True)
class DeliveredVerdict:
    """What a clip shows. ``whole_frames``: per frame, the object is one piece touching no edge."""

    object_color: str
    background_color: str
    shape: str
    motion: str
    whole_frames: np.ndarray  # bool (T,)
    pieces: np.ndarray  # int (T,): pieces of object bigger than a speck
    touches_edge: np.ndarray  # bool (T,)
    translation: tuple[float, float]  # centre steps (dx, dy) summed over the first half, jumps left out, short sides
    log_area_ratio: float
    jumps: int  # centre steps left out as jumps

    @property
    def whole(self) -> float:
        """Share of frames where the object is whole."""
        return float(self.whole_frames.mean()) if len(self.whole_frames) else 0.0

    def labels(self) -> dict[str, str]:
        return attribute_labels(self)


def _shrink(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    scale = JUDGED_SHORT_SIDE / min(height, width)
    if scale >= 1:
        return frame
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)  # area averaging: no aliasing of thin rims


def _border(frame: np.ndarray) -> np.ndarray:
    return np.concatenate([frame[0], frame[-1], frame[1:-1, 0], frame[1:-1, -1]])


def _nearest(colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest palette colour and the distance to it, per colour (..., 3)."""
    # |c - p|^2 = |c|^2 - 2 c.p + |p|^2: one matrix product instead of a (..., 8, 3) difference.
    d2 = (colors * colors).sum(-1)[..., None] - 2.0 * colors @ PALETTE.T + (PALETTE * PALETTE).sum(-1)
    nearest = d2.argmin(-1)
    return nearest, np.sqrt(np.maximum(np.take_along_axis(d2, nearest[..., None], -1)[..., 0], 0.0))


def _object_distance(bg: int) -> float:
    """How far from the background colour a pixel must be to count as object: OBJECT_DISTANCE, or half the
    way to the nearest other palette colour where that is closer (yellow and orange are 0.32 apart, so a
    yellow star on orange, drawn a shade darker, fell under 0.3 and was read as missing in most frames)."""
    others = np.delete(PALETTE, bg, axis=0)
    return min(OBJECT_DISTANCE, 0.5 * float(np.linalg.norm(others - PALETTE[bg], axis=1).min()))


def judge_delivered(frames: Iterable[np.ndarray]) -> DeliveredVerdict:
    """Judge one clip from its delivered frames: uint8 (H, W, 3) each, any size, at least two.

    ``frames`` may be a generator (the backend's); each frame is shrunk as it comes, so a long clip at a large
    size is never held whole. Raises ValueError for fewer than two frames or frames that are not RGB.
    """
    small, borders = [], []
    for frame in frames:
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 2:
            raise ValueError(f"expected RGB frames of shape (H, W, 3), got {frame.shape}")
        if frame.dtype != np.uint8:
            frame = (np.clip(frame, 0, 1) * 255 + 0.5).astype(np.uint8)
        small.append(_shrink(frame))
        borders.append(_border(frame))
    if len(small) < 2:
        raise ValueError(f"expected at least two frames, got {len(small)}")
    clip = np.stack(small).astype(np.float32) / 255.0  # (T, h, w, 3)
    t, h, w = clip.shape[:3]
    short = min(h, w)

    # 1. Colours: background is the commonest palette colour; object from its pure pixels.
    index, distance = _nearest(clip)
    bg = int(np.bincount(index.ravel(), minlength=len(COLORS)).argmax())
    # Distances are taken from the background as drawn (its pixels' median), not the palette's: a model's
    # yellow a shade darker sat 0.16 from the palette yellow, and its whole border read as object.
    drawn_bg = np.median(clip[index == bg][::7], axis=0)
    mask = ((clip - drawn_bg) ** 2).sum(-1) > _object_distance(bg) ** 2
    pure = mask & (distance < PURE_DISTANCE) & (index != bg)
    if pure.any():
        obj = int(np.bincount(index[pure], minlength=len(COLORS)).argmax())
    elif mask.any():
        obj = int(_nearest(clip[mask].mean(0))[0])
    else:
        obj = (bg + 1) % len(COLORS)  # nothing visible: any answer but the background is as wrong as another

    # 2. Per frame: pieces, the main piece's centre and area, and whether the object touches an edge.
    border_mask = np.linalg.norm(np.stack(borders).astype(np.float32) / 255.0 - drawn_bg, axis=-1) > _object_distance(bg)
    touches = border_mask.sum(1) > EDGE_PIXELS
    pieces = np.zeros(t, dtype=np.int64)
    centre = np.full((t, 2), np.nan)
    area = np.zeros(t)
    main_masks: list[np.ndarray | None] = []
    for i in range(t):
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask[i].astype(np.uint8), connectivity=8)
        sizes = stats[1:, cv2.CC_STAT_AREA]
        big = np.flatnonzero(sizes > SPECK_PIXELS)
        pieces[i] = len(big)
        if len(big) == 0:
            main_masks.append(None)
            continue
        main = int(big[sizes[big].argmax()]) + 1
        centre[i] = centroids[main] / short
        area[i] = sizes[main - 1] / short**2
        main_masks.append(labels == main)
    whole = (pieces == 1) & ~touches

    # 3. Motion: centre steps between frames that both show the object, jumps left out, over the clip's first
    #    half (an object may turn back at an edge: where it set off to is what the prompt asked); area trend.
    step = np.diff(centre, axis=0)
    valid = ~np.isnan(step).any(1)
    jump = valid & (np.hypot(step[:, 0], step[:, 1]) > JUMP)
    moving = np.where((valid & ~jump)[:, None], step, 0.0)
    dx, dy = moving[: max(1, len(moving) // 2)].sum(0)
    k = max(1, t // 4)
    log_ratio = float(np.log((area[-k:].mean() + 1e-4) / (area[:k].mean() + 1e-4)))
    if abs(log_ratio) > GROWTH_LOG_AREA and max(abs(dx), abs(dy)) < STILL_TRANSLATION:
        motion = "growing" if log_ratio > 0 else "shrinking"
    elif abs(dx) >= abs(dy):
        motion = "right" if dx > 0 else "left"
    else:
        motion = "down" if dy > 0 else "up"

    # 4. Shape: a vote of the main piece's mask over a few frames, whole ones first, biggest first.
    candidates = np.flatnonzero(whole) if whole.any() else np.flatnonzero(area > 0)
    if len(candidates):
        chosen = candidates[np.linspace(0, len(candidates) - 1, min(SHAPE_VOTES, len(candidates))).round().astype(int)]
        votes = [_judge_shape(main_masks[i]) for i in chosen]
        shape = max(SHAPES, key=lambda s: (votes.count(s), -SHAPES.index(s)))
    else:
        shape = SHAPES[0]
    return DeliveredVerdict(
        COLORS[obj], COLORS[bg], shape, motion, whole, pieces, touches, (float(dx), float(dy)), log_ratio,
        int(jump.sum()),
    )


_SHAPE_AREA: dict[str, float] = {}  # area of the shape at radius 1
_SHAPE_CENTROID: dict[str, tuple[float, float]] = {}  # its centroid relative to the SDF's centre, at radius 1


def _shape_geometry() -> None:
    grid = (np.arange(512, dtype=np.float32) + 0.5) / 256 - 1.0  # [-1, 1] at 512 samples, radius 0.5
    for shape in SHAPES:
        inside = _sdf(shape, grid[None, :], grid[:, None], np.float32(0.5)) < 0
        ys, xs = np.nonzero(inside)
        _SHAPE_AREA[shape] = inside.mean() * 4.0 / 0.25
        _SHAPE_CENTROID[shape] = (float(grid[xs].mean()) / 0.5, float(grid[ys].mean()) / 0.5)


def _judge_shape(mask: np.ndarray) -> str:
    """The world's shape whose template, drawn at the mask's centroid and area, overlaps it best (IoU)."""
    if not _SHAPE_AREA:
        _shape_geometry()
    ys, xs = np.nonzero(mask)
    area = len(xs)
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    span = max(xs.max() - xs.min(), ys.max() - ys.min()) + 1
    x0, y0 = max(0, xs.min() - span // 2), max(0, ys.min() - span // 2)
    x1, y1 = min(mask.shape[1], xs.max() + 1 + span // 2), min(mask.shape[0], ys.max() + 1 + span // 2)
    window = mask[y0:y1, x0:x1]
    px = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    py = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    best, best_iou = SHAPES[0], -1.0
    for shape in SHAPES:
        radius = np.sqrt(area / _SHAPE_AREA[shape])
        ox, oy = _SHAPE_CENTROID[shape]
        template = _sdf(shape, px - (cx - ox * radius), py - (cy - oy * radius), np.float32(radius)) < 0
        iou = (template & window).sum() / max((template | window).sum(), 1)
        if iou > best_iou:
            best, best_iou = shape, iou
    return best


@dataclass(frozen=True)
class PictureVerdict:
    """What one still picture shows, in the world's words: its main object's colour and shape, the
    background's colour, and ``reach``: how far the object extends from its centre, in short sides."""

    object_color: str
    background_color: str
    shape: str
    reach: float


def judge_picture(image: np.ndarray) -> PictureVerdict:
    """Judge one RGB uint8 picture (a character's reference) the way :func:`judge_delivered` judges a
    clip's frames: background = commonest palette colour, object = its biggest piece of pixels far from it.
    Raises ValueError when the picture is not RGB or shows no object apart from its background."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 2:
        raise ValueError(f"expected an RGB picture of shape (H, W, 3), got {image.shape}")
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    picture = _shrink(image).astype(np.float32) / 255.0
    short = min(picture.shape[:2])
    index, distance = _nearest(picture)
    bg = int(np.bincount(index.ravel(), minlength=len(COLORS)).argmax())
    drawn_bg = np.median(picture[index == bg], axis=0)
    mask = ((picture - drawn_bg) ** 2).sum(-1) > _object_distance(bg) ** 2
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    if count < 2 or sizes.max() <= SPECK_PIXELS:
        raise ValueError("the picture shows no object apart from its background")
    main = int(sizes.argmax()) + 1
    piece = labels == main
    pure = piece & (distance < PURE_DISTANCE) & (index != bg)
    if pure.any():
        obj = int(np.bincount(index[pure], minlength=len(COLORS)).argmax())
    else:
        obj = int(_nearest(picture[piece].mean(0))[0])
    ys, xs = np.nonzero(piece)
    cx, cy = centroids[main]
    reach = (float(np.hypot(xs - cx, ys - cy).max()) + 0.5) / short  # + half a pixel: to its outer edge
    return PictureVerdict(COLORS[obj], COLORS[bg], _judge_shape(piece), reach)
