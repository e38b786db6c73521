"""The arithmetic between a model's native shape and the asked clip (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from azur.engine.longclip import (
    FrameRule,
    conform,
    native_frames_needed,
    native_size,
    plan_windows,
    resize_cover,
)


def test_frame_rules_round_to_valid_counts():
    wan, ltx = FrameRule(4), FrameRule(8)
    assert [wan.round_up(n) for n in (1, 5, 6, 80, 81, 82)] == [5, 5, 9, 81, 81, 85]
    assert [ltx.round_up(n) for n in (1, 9, 10, 121)] == [9, 9, 17, 121]
    assert wan.round_down(83) == 81 and ltx.round_down(260) == 257
    assert wan.valid(81) and not wan.valid(80) and ltx.valid(257)
    with pytest.raises(ValueError):
        wan.round_down(4)


@pytest.mark.parametrize(
    ("asked", "area", "multiple", "expected"),
    [
        ((854, 480), 832 * 480, 16, (848, 480)),  # Wan 480p
        ((1280, 720), 832 * 480, 16, (848, 480)),
        ((480, 854), 832 * 480, 16, (480, 848)),  # portrait keeps its orientation
        ((1280, 720), 768 * 512, 32, (864, 480)),  # LTX: multiples of 32
        ((1080, 1080), 768 * 512, 32, (640, 640)),
    ],
)
def test_native_size_keeps_aspect_and_multiple(asked, area, multiple, expected):
    size = native_size(asked, area, multiple)
    assert size == expected
    assert size[0] % multiple == 0 and size[1] % multiple == 0


def test_native_frames_cover_the_duration():
    # 5 s at 24 fps is 120 frames; the last one is at 119/24 s = 79.3 native frames at 16 fps.
    assert native_frames_needed(120, 24, 16) == 81
    assert native_frames_needed(120, 24, 24) == 120
    assert native_frames_needed(48, 24, 8) == 17


def test_windows_split_long_clips_and_share_the_overlap():
    rule = FrameRule(4)
    assert plan_windows(81, rule=rule, max_frames=81, overlap=1) == ((81,), 1)
    windows, overlap = plan_windows(321, rule=rule, max_frames=81, overlap=1)  # 20 s of Wan
    assert windows == (81, 81, 81, 81) and sum(windows) - overlap * 3 == 321
    windows, overlap = plan_windows(330, rule=rule, max_frames=81, overlap=1)
    assert windows == (81, 81, 81, 81, 13) and all(rule.valid(w) for w in windows)  # the last one is short
    assert sum(windows) - overlap * (len(windows) - 1) >= 330
    windows, _ = plan_windows(100, rule=FrameRule(8), max_frames=257, overlap=1)
    assert windows == (105,)
    with pytest.raises(ValueError, match="overlap"):
        plan_windows(100, rule=rule, max_frames=9, overlap=9)


def test_conform_gives_exact_count_size_and_blends_time():
    # Native frames 0..16 at 16 fps, each filled with its own index x 10: output frame j shows time j/24.
    native = [np.full((16, 32, 3), i * 10, np.uint8) for i in range(17)]
    out = list(conform(iter(native), native_fps=16, out_frames=24, out_fps=24, size=(854, 480)))
    assert len(out) == 24 and all(f.shape == (480, 854, 3) and f.dtype == np.uint8 for f in out)
    values = [int(f[0, 0, 0]) for f in out]
    assert values[:4] == [0, 7, 13, 20]  # 0, 2/3, 4/3, 2 native frames in
    assert values[-1] == round(23 * 16 / 24 * 10)


def test_conform_reads_frames_lazily():
    pulled = []

    def frames():
        for i in range(100):
            pulled.append(i)
            yield np.zeros((8, 8, 3), np.uint8)

    out = conform(frames(), native_fps=24, out_frames=10, out_fps=24, size=(8, 8))
    next(out)
    assert len(pulled) <= 2


def test_resize_cover_crops_the_rounding_pixels():
    frame = np.zeros((480, 848, 3), np.uint8)
    assert resize_cover(frame, (854, 480)).shape == (480, 854, 3)
    assert resize_cover(frame, (1920, 1080)).shape == (1080, 1920, 3)
