"""The asked frame is the stage: where the embedded model's object goes in a 16:9, 9:16 or 1:1 video.

The model thinks on a square canvas that wraps around (a torus): that is how it was trained, and how one
window continues the last one for as long as wanted. A person watching a video expects none of that: the
object stays whole, inside the frame, and crosses it at a pace that fits the clip. So the model's decoder
says what the object is and how it moves (its path: centre and size over time, unwrapped), and this module
places that path on the real frame:

- the path's displacement keeps its direction and shape, and is slowed, never sped up, until it fits inside
  the frame with a margin (a 20 s clip crosses slower than a 4 s one; a short clip keeps the model's pace);
- the start follows the model's start (the same fraction of the frame), moved just enough to fit, so an
  uploaded first frame's object starts where it is in the picture;
- the object is drawn once per frame, on the open plane: no second copy across an edge, no ghost where two
  windows overlap (they share one blended position).

Words the model was trained to ignore but a person means are read here: speed ("slowly", "lentement",
"quickly", "rapidement") scales the displacement before the fit, and size ("small", "petite", "big",
"grand") scales the object. They are a word table, not learned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from azur.embedded.text import words

# Free space kept between the object's outline and the frame's edges, in short sides (3.5%: 17 px at 480p).
MARGIN = 0.035
TRANSLATIONS = ("right", "left", "up", "down")  # world.MOTIONS that move the object, not resize it

# Words that change how the scene is staged, normalised (lowercase, no accents). Factors on the displacement.
SPEED_WORDS = {
    "slowly": 0.45, "slow": 0.45, "gently": 0.45, "lentement": 0.45, "lent": 0.45, "lente": 0.45,
    "doucement": 0.45, "tranquillement": 0.45,
    "quickly": 2.0, "fast": 2.0, "rapidly": 2.0, "swiftly": 2.0, "speedily": 2.0,
    "rapidement": 2.0, "vite": 2.0, "rapide": 2.0,
}
# Factors on the object's size. "plus petit" / "plus grand" (French for smaller / bigger) describe growing
# and shrinking, which the model reads itself: a size word right after "plus" is left to it.
SIZE_WORDS = {
    "tiny": 0.55, "minuscule": 0.55, "small": 0.7, "little": 0.7, "petit": 0.7, "petite": 0.7,
    "big": 1.4, "large": 1.4, "grand": 1.4, "grande": 1.4, "gros": 1.4, "grosse": 1.4,
    "huge": 1.7, "enorme": 1.7, "immense": 1.7,
}
STAGE_WORDS = frozenset(SPEED_WORDS) | frozenset(SIZE_WORDS)


@dataclass(frozen=True)
class Direction:
    """What the prompt's staging words ask for: factors on speed and on size (1 = as the model draws it)."""

    speed: float = 1.0
    size: float = 1.0

    @classmethod
    def read(cls, prompt: str) -> "Direction":
        speed = size = 1.0
        found = words(prompt)
        for i, word in enumerate(found):
            if word in SPEED_WORDS:
                speed = SPEED_WORDS[word]
            if word in SIZE_WORDS and not (i > 0 and found[i - 1] == "plus"):
                size = SIZE_WORDS[word]
        return cls(speed, size)


def low_resolution(size: tuple[int, int], short: int) -> tuple[int, int]:
    """(width, height) of the frames drawn before upscaling: `short` pixels on the short side, the output's aspect."""
    width, height = size
    if width >= height:
        return max(short, round(short * width / height)), short
    return short, max(short, round(short * height / width))


def grid(low: tuple[int, int]) -> np.ndarray:
    """(h*w, 2) pixel centres of a low-resolution frame in stage units (the short side is 1), row-major."""
    width, height = low
    short = min(width, height)
    xs = (np.arange(width, dtype=np.float32) + 0.5) / short
    ys = (np.arange(height, dtype=np.float32) + 0.5) / short
    y, x = np.meshgrid(ys, xs, indexing="ij")
    return np.stack([x.reshape(-1), y.reshape(-1)], axis=1)


def place(
    path: np.ndarray, radius: np.ndarray, low: tuple[int, int], direction: Direction = Direction(),
    margin: float = MARGIN, motion: str | None = None,
) -> np.ndarray:
    """The object's (x, y, log-scale) in stage units for each frame.

    path: (N, 3) the model's unwrapped centre x, y and log-scale per frame, in canvas units (the canvas side
    is 1, like the stage's short side, so sizes carry over). radius: (N,) the outline's largest radius per
    frame at that log-scale. motion: the motion the prompt asks for, as the model read it (world.MOTIONS):
    the path keeps only that motion. Over 20 s the model's small drifts add up (a growing square that
    drifted 0.3 frames upwards read as "up"), and a growth that reaches the model's largest size in 4 s
    then stood still for 16; so a translation keeps only its axis, and a size change stays in place and is
    spread over the clip, like a crossing. A translation also keeps its first size: the model's size drifted
    too (a "tiny ball cruising downwards" was 1.6 times as wide after 20 s).
    """
    width, height = low
    extent = np.array([width, height], np.float64) / min(width, height)  # the stage in short sides
    path = path.astype(np.float64)
    moved = (path - path[0]) * direction.speed  # displacement and growth, at the asked pace
    if motion in ("growing", "shrinking"):
        moved[:, :2] = 0.0
        extreme = moved[:, 2].max() if motion == "growing" else moved[:, 2].min()
        moved[:, 2] = extreme * np.linspace(0.0, 1.0, len(moved))
    elif motion in TRANSLATIONS[:2]:
        moved[:, 1:] = 0.0
    elif motion in TRANSLATIONS[2:]:
        moved[:, 0] = 0.0
        moved[:, 2] = 0.0
    log_scale = path[0, 2] + moved[:, 2] + math.log(direction.size)
    radius = radius.astype(np.float64) * np.exp(log_scale - path[:, 2])
    # The object must fit across the short side with its margins, whatever size was asked.
    largest = float(radius.max())
    if largest > 0.5 - margin:
        shrink = (0.5 - margin) / largest
        log_scale += math.log(shrink)
        radius *= shrink
        largest = float(radius.max())
    room = np.maximum(extent - 2 * (margin + largest), 0.0)
    low_end, high_end = moved[:, :2].min(0), moved[:, :2].max(0)
    span = high_end - low_end
    moving = span > 1e-6
    fit = float(min(1.0, *(room[moving] / span[moving]))) if moving.any() else 1.0
    # Start where the model starts, as a fraction of the frame, then slide just enough for the path to fit.
    wanted = np.mod(path[0, :2], 1.0) * extent
    lowest = margin + largest - fit * low_end
    highest = extent - margin - largest - fit * high_end
    start = np.clip(wanted, lowest, np.maximum(lowest, highest))
    centre = start + fit * moved[:, :2]
    return np.concatenate([centre, log_scale[:, None]], axis=1).astype(np.float32)
