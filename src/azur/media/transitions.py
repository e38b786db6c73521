"""Frames joined without a jump: crossfades between shots, a clip that loops, a morph between two frames.

Pure NumPy over RGB uint8 frames, model-independent: whatever made the frames, these joins look the same.
They stream: each keeps only the few frames it blends (a fraction of a second), never a whole clip.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def mix(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """``a`` blended towards ``b``: ``weight`` 0 is ``a``, 1 is ``b``."""
    out = a.astype(np.float32) * (1.0 - weight) + b.astype(np.float32) * weight
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def ease(t: float) -> float:
    """Smoothstep: a blend that starts and ends gently, so its first and last steps are the smallest."""
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


def crossfade(tail: list[np.ndarray], head: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The outgoing shot's last ``len(tail)`` frames dissolved into the incoming shot's first ones, then the
    rest of the incoming shot. Nothing is dropped from the incoming shot: the overlap is made of the extra
    frames the outgoing shot was rendered with."""
    count = len(tail)
    for i, outgoing in enumerate(tail):
        incoming = next(head)
        yield mix(outgoing, incoming, ease((i + 1) / (count + 1)))
    yield from head


def looped(frames: Iterable[np.ndarray], count: int, overlap: int) -> Iterator[np.ndarray]:
    """``count`` frames whose last flows into the first, from ``count + overlap`` frames ``f``.

    The output is ``f[overlap:count + overlap]``, its last ``overlap`` frames dissolved into the clip's
    opening ``f[0:overlap]``: the last frame shown is almost ``f[overlap - 1]`` and the first is
    ``f[overlap]``, neighbours in the model's own motion, so the seam is one ordinary step. Only the
    ``overlap`` opening frames are held in memory.
    """
    if overlap < 1 or count <= overlap:
        raise ValueError(f"a loop needs 0 < overlap < count, got overlap={overlap}, count={count}")
    source = iter(frames)
    opening = [next(source) for _ in range(overlap)]
    for _ in range(count - overlap):
        yield next(source)
    for i in range(overlap):
        # Weights rise to 1 on the last frame: it is the opening's last frame, the one before the first.
        yield mix(next(source), opening[i], ease((i + 1) / overlap))


def morph(start: np.ndarray, end: np.ndarray, count: int, through: Iterable[np.ndarray] | None = None) -> Iterator[np.ndarray]:
    """``count`` frames from exactly ``start`` to exactly ``end``.

    ``through``: frames a model made from ``start`` (image-to-video); they carry the motion and are pulled
    ever more towards ``end``. Without them it is a plain dissolve of the two stills.
    """
    moving = iter(through) if through is not None else None
    for i in range(count):
        weight = ease(i / max(1, count - 1))
        base = next(moving) if moving is not None else start
        if i == 0:
            base = start
        yield mix(base, end, weight)
