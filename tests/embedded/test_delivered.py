"""The delivered-frame judge must be right on frames whose truth is known before `azur eval` trusts it: clips
drawn directly with the world's shapes at real output sizes, objects cut by an edge, wrapped across it or
doubled."""

from __future__ import annotations

import numpy as np
import pytest

from azur.embedded import world
from azur.embedded.delivered import judge_delivered


def draw(shape: str, obj: str, bg: str, path: list[tuple[float, float, float]], size: tuple[int, int], *,
         wrap: bool = False, ghost: tuple[float, float] | None = None) -> list[np.ndarray]:
    """uint8 frames of `shape` at (x, y, radius) per frame, in units of the frame's short side.

    wrap: the object also shows at the opposite side when it crosses the left or right edge (a torus);
    ghost: a second copy at this offset.
    """
    width, height = size
    short = min(size)
    gx = (np.arange(width, dtype=np.float32) + 0.5) / short
    gy = (np.arange(height, dtype=np.float32) + 0.5) / short
    frames = []
    for x, y, r in path:
        px, py = gx[None, :] - x, gy[:, None] - y
        if wrap:
            span = width / short
            px = np.mod(px + span / 2, span) - span / 2
        d = world._sdf(shape, px, py, np.float32(r))
        if ghost is not None:
            d = np.minimum(d, world._sdf(shape, px - ghost[0], py - ghost[1], np.float32(r)))
        a = np.clip(0.5 - d * short, 0, 1)[..., None]
        colour = a * world.PALETTE[world.COLORS.index(obj)] + (1 - a) * world.PALETTE[world.COLORS.index(bg)]
        frames.append((colour * 255 + 0.5).astype(np.uint8))
    return frames


def in_frame_clip(rng: np.random.Generator, scene: world.Scene, size: tuple[int, int], count: int = 12):
    """A path for the scene's motion that keeps the object inside the frame."""
    span_x, span_y = size[0] / min(size), size[1] / min(size)
    t = np.linspace(0.0, 1.0, count)
    if scene.motion in ("growing", "shrinking"):
        x, y = rng.uniform(0.35, span_x - 0.35), rng.uniform(0.35, span_y - 0.35)
        r = 0.09 * (0.25 / 0.09) ** (t if scene.motion == "growing" else 1 - t)
        return [(x, y, ri) for ri in r]
    travel = 0.35
    dx = {"right": travel, "left": -travel}.get(scene.motion, 0.0)
    dy = {"down": travel, "up": -travel}.get(scene.motion, 0.0)
    x = rng.uniform(0.25 + max(-dx, 0), span_x - 0.25 - max(dx, 0))
    y = rng.uniform(0.25 + max(-dy, 0), span_y - 0.25 - max(dy, 0))
    r = min(scene.radius, 0.15)
    return [(x + dx * ti, y + dy * ti, r) for ti in t]


@pytest.mark.parametrize("size", [(854, 480), (480, 854), (480, 480)])
def test_judge_is_right_on_known_clips_at_real_sizes(size):
    rng = np.random.default_rng(sum(size))
    scenes = [world.sample_scene(rng, clamped_starts=0.0) for _ in range(20)]
    verdicts = [judge_delivered(draw(s.shape, s.object_color, s.background_color, in_frame_clip(rng, s, size), size))
                for s in scenes]
    for name in world.ATTRIBUTES:
        right = np.mean([v.labels()[name] == s.labels()[name] for v, s in zip(verdicts, scenes)])
        assert right >= (0.95 if name == "shape" else 1.0), (name, right)
    assert all(v.whole == 1.0 and v.jumps == 0 for v in verdicts)


def test_an_object_wrapping_across_the_edge_is_not_whole_and_its_motion_still_reads_right():
    # A star moving right at 854x480 leaves by the right edge and comes back on the left, as the torus did.
    path = [(1.55 + 0.02 * i, 0.5, 0.12) for i in range(24)]  # the frame is 1.78 short sides wide
    verdict = judge_delivered(draw("star", "yellow", "blue", path, (854, 480), wrap=True))
    assert verdict.labels() == {"object_color": "yellow", "background_color": "blue", "shape": "star",
                                "motion": "right"}
    # Whole while inside (x < 1.63), then cut by the right edge, in two pieces, cut by the left edge, and
    # whole again once past it (x > 1.93).
    assert verdict.whole_frames[:4].all() and not verdict.whole_frames[5:18].any() and verdict.whole_frames[20:].all()
    assert (verdict.pieces[8:16] == 2).any() and verdict.touches_edge[5:18].all()
    assert verdict.jumps >= 1 and verdict.translation[0] > 0  # the jump across is not counted as motion


def test_an_object_turning_back_at_an_edge_still_reads_as_the_way_it_set_off():
    # Right for 7 frames, up to the edge of its course, then back left for 12: further back than it went.
    xs = [1.0 + 0.05 * i if i < 8 else 1.35 - 0.05 * (i - 7) for i in range(20)]
    verdict = judge_delivered(draw("triangle", "purple", "white", [(x, 0.6, 0.12) for x in xs], (854, 480)))
    assert verdict.motion == "right" and verdict.whole == 1.0 and verdict.shape == "triangle"


def test_an_object_cut_by_an_edge_is_not_whole():
    # One piece, but a third of it beyond the top edge (no wrap): a viewer sees it cut.
    path = [(0.9, 0.05, 0.15 + 0.002 * i) for i in range(8)]
    verdict = judge_delivered(draw("circle", "white", "black", path, (480, 854)))
    assert (verdict.pieces == 1).all() and verdict.touches_edge.all() and verdict.whole == 0.0


def test_a_ghost_copy_is_not_whole_but_anti_aliasing_specks_are_ignored():
    path = [(0.5 + 0.01 * i, 0.5, 0.1) for i in range(8)]
    ghost = judge_delivered(draw("square", "red", "green", path, (480, 480), ghost=(0.45, 0.0)))
    assert (ghost.pieces == 2).all() and ghost.whole == 0.0
    frames = draw("square", "red", "green", path, (480, 480))
    for frame in frames:
        frame[40:42, 300:302] = (frame[40:42, 300:302] * 0.4 + np.array([220, 40, 40]) * 0.6).astype(np.uint8)
    specked = judge_delivered(frames)
    assert specked.whole == 1.0 and specked.shape == "square" and specked.motion == "right"


def test_judge_refuses_malformed_input():
    with pytest.raises(ValueError, match="RGB frames"):
        judge_delivered([np.zeros((480, 854))] * 2)
    with pytest.raises(ValueError, match="at least two"):
        judge_delivered([np.zeros((480, 854, 3), np.uint8)])


def test_an_object_close_in_colour_to_its_background_is_still_seen_whole():
    # Yellow and orange are the nearest palette colours (0.32 apart); the model draws them a shade off.
    path = [(0.4 + 0.04 * i, 0.5, 0.12) for i in range(12)]
    frames = draw("star", "yellow", "orange", path, (480, 480))
    darker = [np.where(f[..., 1:2] > 180, (f.astype(np.int16) - [0, 25, 0]).clip(0, 255), f).astype(np.uint8)
              for f in frames]  # a yellow nudged towards orange where the object is
    for clip in (frames, darker):
        verdict = judge_delivered(clip)
        assert verdict.object_color == "yellow" and verdict.background_color == "orange"
        assert float(np.mean(verdict.whole_frames)) == 1.0 and verdict.motion == "right"


def test_a_background_drawn_a_shade_off_its_palette_colour_is_still_background():
    # The model's yellow background came out ~0.16 darker than the palette's: its border read as object.
    path = [(0.9, 0.5, 0.1 + 0.01 * i) for i in range(12)]
    frames = [(f.astype(np.int16) - np.where(f[..., 2:3] < 60, 30, 0)).clip(0, 255).astype(np.uint8)
              for f in draw("circle", "purple", "yellow", path, (854, 480))]  # only yellow has blue < 60
    verdict = judge_delivered(frames)
    assert verdict.background_color == "yellow" and verdict.object_color == "purple"
    assert float(np.mean(verdict.whole_frames)) == 1.0 and verdict.motion == "growing"


def test_judge_picture_reads_every_colour_and_shape_and_the_size_of_a_still():
    """A character's picture: the main object's colour and shape in the world's words, and how far it
    reaches from its centre in short sides (the size a character keeps)."""
    from azur.embedded.delivered import judge_picture

    rng = np.random.default_rng(5)
    for colour in world.COLORS:
        for shape in world.SHAPES:
            background = world.COLORS[(world.COLORS.index(colour) + 1 + rng.integers(7)) % 8]
            for radius in (0.1, 0.2):
                scene = world.Scene(colour, background, shape, "right", 0.5, 0.5, radius, 0.0)
                still = (world.render([scene], np.zeros((1, 1), np.float32), resolution=240)[0, 0] * 255 + 0.5)
                verdict = judge_picture(still.astype(np.uint8))
                assert (verdict.object_color, verdict.background_color, verdict.shape) == \
                    (colour, background, shape), (colour, background, shape, radius)
                # The reach lies between the inscribed and the outer radius (a square's corner: 1.41 times).
                scale = world.SHAPE_SCALE[shape]
                assert 0.4 * radius * scale < verdict.reach < 1.5 * radius * scale, (shape, radius, verdict.reach)
    with pytest.raises(ValueError, match="no object"):
        judge_picture(np.full((50, 80, 3), 90, np.uint8))
